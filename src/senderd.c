/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * senderd: the resident sender. It holds the sender lock and one
 * database connection that LISTENs for answers left to it, and one
 * mailer (a kept SMTP connection with [mail] submit), and sends every
 * due outbox row the way sweep does: claim, fold the journal, send,
 * record. Woken by the NOTIFY of the transaction that wrote the row,
 * and every WAKE_MS in any case, for rows whose retry falls due.
 */
#include "senderd.h"

#include <signal.h>
#include <time.h>
#include <sysexits.h>

#include "exitcode.h"
#include "mailer.h"
#include "reply.h"
#include "sender.h"
#include "settings.h"
#include "store.h"
#include "sweep.h"

/* A pass even without a NOTIFY: rows whose retry time came. */
#define WAKE_MS (30 * 1000)
/* Between attempts to connect, doubled up to the cap. */
#define FIRST_PAUSE_MS 1000
#define MAX_PAUSE_MS (30 * 1000)
#define BATCH 100

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void
on_signal (int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void
catch_signals (void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset (&sa.sa_mask);
	/* No SA_RESTART: a wait in poll() returns at once. */
	sigaction (SIGTERM, &sa, NULL);
	sigaction (SIGINT, &sa, NULL);
	sigaction (SIGHUP, &sa, NULL);
}

/* What one configuration makes: replaced whole by SIGHUP. */
typedef struct {
	TgSettings *config;
	TgReplies *replies;
	TgMailer *mailer;
	TgStore *store;      /* NULL while the database is away */
	TgSender *sender;    /* with the store */
} Desk;

static void
desk_disconnect (Desk *d)
{
	g_clear_pointer (&d->sender, tg_sender_free);
	g_clear_pointer (&d->store, tg_store_free);
}

static void
desk_clear (Desk *d)
{
	desk_disconnect (d);
	g_clear_pointer (&d->mailer, tg_mailer_free);
	g_clear_pointer (&d->replies, tg_replies_free);
	g_clear_pointer (&d->config, tg_settings_free);
}

static gboolean
desk_load (Desk *d, const char *path, GError **error)
{
	Desk fresh = { 0 };

	fresh.config = tg_settings_load (path, error);
	if (fresh.config == NULL)
		return FALSE;
	fresh.replies = tg_replies_load (fresh.config->templates_directory,
					 error);
	if (fresh.replies != NULL)
		fresh.mailer = tg_mailer_new (fresh.config->submit,
					      fresh.config->sendmail, error);
	if (fresh.mailer == NULL) {
		desk_clear (&fresh);
		return FALSE;
	}
	desk_clear (d);
	*d = fresh;
	return TRUE;
}

/* Sleeps @ms unless a signal comes first. */
static void
pause_ms (int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep (&t, NULL);
}

/*
 * Connects and takes the sender lock. FALSE with @why when the
 * database is away; TRUE with @got FALSE when another sender holds the
 * lock (this one waits as a standby).
 */
static gboolean
desk_connect (Desk *d, gboolean *got, GError **error)
{
	const TgSettings *c = d->config;

	d->store = tg_store_connect (c->conninfo, "ticketgate-sender",
				     c->connect_timeout, c->statement_timeout,
				     error);
	if (d->store == NULL)
		return FALSE;
	if (!tg_store_sender_lock (d->store, got, error)) {
		g_clear_pointer (&d->store, tg_store_free);
		return FALSE;
	}
	if (!*got) {
		g_clear_pointer (&d->store, tg_store_free);
		return TRUE;
	}
	d->sender = tg_sender_new (c, d->replies, d->store, G_MAXINT64);
	tg_sender_use_mailer (d->sender, d->mailer);
	/* One commit per batch, not per answer: the journal line of each
	 * send stands for it until then. */
	tg_sender_batch (d->sender);
	/* What the journal names is never claimed. */
	tg_sender_fold (d->sender);
	return TRUE;
}

/* Until the lock is held or a signal comes; logs each change once. */
static void
wait_for_lock (Desk *d)
{
	int pause = FIRST_PAUSE_MS;
	gboolean said_away = FALSE, said_standby = FALSE;

	while (d->store == NULL && !stop_requested && !reload_requested) {
		g_autoptr (GError) error = NULL;
		gboolean got = FALSE;

		if (desk_connect (d, &got, &error) && got) {
			g_message ("sender: sending answers as they are "
				   "written");
			return;
		}
		if (error != NULL && !said_away) {
			g_warning ("sender: %s; trying again", error->message);
			said_away = TRUE;
		} else if (error == NULL && !said_standby) {
			g_message ("sender: another sender runs on this "
				   "database; standing by");
			said_standby = TRUE;
		}
		pause_ms (pause);
		pause = MIN (pause * 2, MAX_PAUSE_MS);
	}
}

/* One pass and one wait; drops the connection when it fails. */
static void
serve_once (Desk *d)
{
	g_autoptr (GError) error = NULL;
	gboolean woken = FALSE;

	if (!tg_sweep_send_due (d->config, d->store, d->sender, BATCH)) {
		desk_disconnect (d);
		return;
	}
	if (stop_requested || reload_requested)
		return;
	if (!tg_store_wait_for_answers (d->store, WAKE_MS, &woken, &error)) {
		g_warning ("sender: %s", error->message);
		desk_disconnect (d);
	}
}

static void
reload (Desk *d, const char *path)
{
	g_autoptr (GError) error = NULL;

	reload_requested = 0;
	if (!desk_load (d, path, &error)) {
		g_warning ("sender: %s; keeping the configuration it had",
			   error->message);
		return;
	}
	g_message ("sender: configuration %s read again", path);
}

int
tg_senderd_main (const char *config_path, int argc, char **argv)
{
	GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
	g_autoptr (GOptionContext) ctx = g_option_context_new (
		"- send answers as they are written (the resident sender)");
	g_autoptr (GError) error = NULL;
	g_autofree char *path = tg_settings_default_path (config_path);
	Desk d = { 0 };

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc > 1) {
		g_printerr ("ticketgate sender: %s\n",
			    error ? error->message : "no arguments expected");
		return tg_exit_code (TG_FAULT_USAGE, TG_CALLER_SWEEP);
	}
	if (!desk_load (&d, path, &error)) {
		g_printerr ("ticketgate: %s\n", error->message);
		return tg_exit_code (TG_FAULT_CONFIG, TG_CALLER_SWEEP);
	}
	catch_signals ();
	while (!stop_requested) {
		if (reload_requested) {
			desk_disconnect (&d);
			reload (&d, path);
		}
		if (d.store == NULL)
			wait_for_lock (&d);
		else
			serve_once (&d);
	}
	g_message ("sender: stopped");
	desk_clear (&d);
	return EX_OK;
}
