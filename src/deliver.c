/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deliver: the pipe entry. Postfix runs it once per mail with the mail
 * on standard input; it reads the configuration, starts the database
 * connection while it reads the mail, hands both to intake (intake.h,
 * where every decision is made) and turns the outcome into an exit code
 * and one line for Postfix. Every failure on our side exits 75 so that
 * Postfix keeps the mail; only a mail over the size limit is refused for
 * good.
 */
#include "deliver.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "exitcode.h"
#include "intake.h"
#include "log.h"
#include "reply.h"
#include "settings.h"
#include "spool.h"
#include "store.h"

/* ---- the command --------------------------------------------------- */

/* The line Postfix copies into its log or the bounce; prepared before
 * the alarm can fire, written by the handler with write(2) only. */
static char timeout_line[128];
static int timeout_code;

static void
on_alarm (int sig)
{
	ssize_t ignored = write (STDERR_FILENO, timeout_line,
				 strlen (timeout_line));

	(void) ignored;
	(void) sig;
	_exit (timeout_code);
}

/*
 * Postfix bounces a command that outruns command_time_limit, so deliver
 * keeps a shorter deadline of its own. When it fires, the process exits
 * 75; an open transaction dies with the connection and rolls back.
 */
static void
arm_deadline (int seconds)
{
	struct sigaction sa = { 0 };

	timeout_code = tg_exit_code (TG_FAULT_TIME_LIMIT, TG_CALLER_DELIVER);
	g_snprintf (timeout_line, sizeof timeout_line,
		    /* english: the one line Postfix reads, as fail() writes */
		    "%s ticketgate: time limit of %d seconds exceeded\n",
		    tg_exit_status (TG_FAULT_TIME_LIMIT), seconds);
	sa.sa_handler = on_alarm;
	sigaction (SIGALRM, &sa, NULL);
	alarm (seconds);
}

/* Writes the one line for Postfix, logs the details, returns the code
 * (both from the table in exitcode.c). */
static int G_GNUC_PRINTF (2, 3)
fail (TgFault fault, const char *format, ...)
{
	const char *status = tg_exit_status (fault);
	g_autofree char *text = NULL;
	va_list ap;

	va_start (ap, format);
	text = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_warning ("deliver failed (%s): %s", status, text);
	fprintf (stderr, "%s ticketgate: %s\n", status, text);
	return tg_exit_code (fault, TG_CALLER_DELIVER);
}

typedef struct {
	char *sender;
	char *recipient;
	char *received_at;
	char *queue_id;
	char *action;
} Options;

static gboolean
parse_options (int argc, char **argv, Options *o, GError **error)
{
	GOptionEntry entries[] = {
		{ "sender", 's', 0, G_OPTION_ARG_STRING, &o->sender,
		  "Envelope sender (default: $SENDER)", "ADDR" },
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &o->recipient,
		  "Envelope recipient (default: $RECIPIENT)", "ADDR" },
		{ "received-at", 0, 0, G_OPTION_ARG_STRING, &o->received_at,
		  "When the mail arrived (ISO 8601), for replays and imports",
		  "TIME" },
		{ "queue-id", 0, 0, G_OPTION_ARG_STRING, &o->queue_id,
		  "Postfix's queue id, for the log (pipe(8): ${queue_id})",
		  "ID" },
		{ "action", 0, 0, G_OPTION_ARG_STRING, &o->action,
		  "\"comment\": staff mail is an internal comment", "ACTION" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GOptionContext) ctx =
		g_option_context_new ("- store one mail from standard input");

	g_option_context_add_main_entries (ctx, entries, NULL);
	g_option_context_set_help_enabled (ctx, TRUE);
	if (!g_option_context_parse (ctx, &argc, &argv, error))
		return FALSE;
	if (argc > 1) {
		g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			     "unexpected argument \"%s\"", argv[1]);
		return FALSE;
	}
	if (o->action != NULL && strcmp (o->action, "comment") != 0) {
		g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			     "--action: unknown action \"%s\"", o->action);
		return FALSE;
	}
	if (o->sender == NULL)
		o->sender = g_strdup (g_getenv ("SENDER"));
	if (o->recipient == NULL)
		o->recipient = g_strdup (g_getenv ("RECIPIENT"));
	return TRUE;
}

static GDateTime *
parse_received_at (const char *text, const TgSettings *config, GError **error)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (config->timezone);

	return tg_calendar_parse_instant (text, tz, error);
}

/* Everything deliver holds for one run. */
typedef struct {
	TgSettings *config;
	TgReplies *replies;
	TgSpool *spool;
	TgIntake *intake;
	gint64 started;
} Pipe;

static void
pipe_clear (Pipe *p)
{
	g_clear_pointer (&p->intake, tg_intake_free);
	g_clear_pointer (&p->spool, tg_spool_free);
	g_clear_pointer (&p->replies, tg_replies_free);
	g_clear_pointer (&p->config, tg_settings_free);
}

/* Configuration and templates: any problem here is ours, so 75. */
static int
load_setup (Pipe *p, const char *config_path)
{
	g_autofree char *path = tg_settings_default_path (config_path);
	g_autoptr (GError) error = NULL;

	p->config = tg_settings_load (path, &error);
	if (p->config == NULL || !tg_settings_check (p->config, &error))
		return fail (TG_FAULT_CONFIG, "%s", error->message);
	p->replies = tg_replies_load (p->config->templates_directory, &error);
	if (p->replies == NULL)
		return fail (TG_FAULT_CONFIG, "%s", error->message);
	return EX_OK;
}

static int
read_input (Pipe *p, const Options *o)
{
	const TgSettings *c = p->config;
	g_autoptr (GError) error = NULL;
	g_autoptr (GDateTime) when = NULL;
	TgEnvelope env = {
		.sender = o->sender,
		.recipient = o->recipient,
		.original_recipient = g_getenv ("ORIGINAL_RECIPIENT"),
		.queue_id = o->queue_id,
		.comment = o->action != NULL,
	};

	if (o->received_at != NULL) {
		when = parse_received_at (o->received_at, c, &error);
		if (when == NULL)
			return fail (TG_FAULT_USAGE, "--received-at: %s",
				     error->message);
	}
	env.received_at = when;
	p->spool = tg_spool_read_fd (STDIN_FILENO, c->max_message_size,
				     c->spool_memory,
				     *c->spool_directory ? c->spool_directory
							 : NULL,
				     &error);
	if (p->spool == NULL)
		return fail (tg_exit_fault (error), "%s", error->message);
	p->intake = tg_intake_new (c, p->replies, p->started);
	if (!tg_intake_read (p->intake, p->spool, &env, &error))
		return fail (error->code, "%s", error->message);
	return EX_OK;
}

/* A connection begun before the mail was read is used if it is young:
 * one left waiting longer (a slow or large mail) may have been closed by
 * the server's authentication or idle-session timeout. */
#define EARLY_CONNECTION_MAX_AGE G_USEC_PER_SEC

/* Completes the connection begun early (@early, or NULL and the reason
 * in @early_error), or starts afresh when it is too old. */
static TgStore *
connect_store (const TgSettings *c, TgStorePending **early,
	       GError **early_error, GError **error)
{
	if (*early == NULL) {
		g_propagate_error (error, g_steal_pointer (early_error));
		return NULL;
	}
	if (tg_store_pending_age (*early) < EARLY_CONNECTION_MAX_AGE)
		return tg_store_connect_finish (*early, error);
	g_clear_pointer (early, tg_store_pending_free);
	return tg_store_connect (c->conninfo, "ticketgate-deliver",
				 c->connect_timeout, c->statement_timeout,
				 error);
}

static int
run (Pipe *p, const Options *o, const char *config_path)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) db = NULL;
	g_autoptr (GError) early_error = NULL;
	g_autoptr (TgStorePending) early = NULL;
	g_autoptr (TgStore) store = NULL;
	const TgSettings *c;
	int code;

	p->started = g_get_monotonic_time ();
	code = load_setup (p, config_path);
	if (code != EX_OK)
		return code;
	c = p->config;
	arm_deadline (c->time_limit);
	/* The server starts our backend while we read and parse the mail. */
	early = tg_store_connect_start (c->conninfo, "ticketgate-deliver",
					c->connect_timeout,
					c->statement_timeout, &early_error);
	code = read_input (p, o);
	if (code != EX_OK)
		return code;
	store = connect_store (c, &early, &early_error, &db);
	if (store == NULL)
		tg_intake_fail (db, &error);
	if (store == NULL || !tg_intake_store (p->intake, store, &error))
		return fail (error->code, "%s", error->message);
	return EX_OK;
}

int
tg_deliver_main (const char *config_path, int argc, char **argv)
{
	Options o = { 0 };
	Pipe p = { 0 };
	g_autoptr (GError) error = NULL;
	int code;

	/* Before the configuration says otherwise: well under Postfix's
	 * default command_time_limit of 1000 seconds. */
	arm_deadline (300);
	if (!parse_options (argc, argv, &o, &error))
		return fail (TG_FAULT_USAGE, "bad arguments: %s",
			     error->message);
	code = run (&p, &o, config_path);
	pipe_clear (&p);
	g_free (o.sender);
	g_free (o.recipient);
	g_free (o.received_at);
	g_free (o.queue_id);
	g_free (o.action);
	alarm (0);
	return code;
}
