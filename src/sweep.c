/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep: one pass over the outbox. Rows are claimed before sending, so
 * that a deliver still sending them, or a second sweep, never sends the
 * same row twice at the same time.
 */
#include "sweep.h"

#include <sysexits.h>

#include <stdio.h>

#include "calendar.h"
#include "compose.h"
#include "settings.h"
#include "escalate.h"
#include "exitcode.h"
#include "log.h"
#include "sender.h"
#include "store.h"

/*
 * What stops a sweep (the database unreachable, a claim that fails) is
 * logged, and also said on stderr when the log is elsewhere: cron mails
 * what a job prints, and that is how the admin hears of it. What merely
 * defers one answer (sendmail refused it) is only logged.
 */
static void G_GNUC_PRINTF (1, 2)
trouble (const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start (ap, format);
	text = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_warning ("sweep: %s", text);
	if (!tg_log_is_stderr ())
		g_printerr ("ticketgate sweep: %s\n", text);
}

typedef struct {
	int limit;      /* rows claimed per batch */
	gboolean flush; /* every unsent row now, not only the due ones */
} SweepOptions;


int
tg_sweep_backoff (int attempts)
{
	int delay = TG_SWEEP_FIRST_RETRY;

	for (int i = 1; i < attempts && delay < TG_SWEEP_MAX_RETRY; i++)
		delay *= 2;
	return MIN (delay, TG_SWEEP_MAX_RETRY);
}

gboolean
tg_sweep_in_claim (gint64 elapsed, int sendmail_timeout, int claim)
{
	return elapsed + (gint64) (sendmail_timeout + TG_OUTBOX_SENT_PATIENCE) *
				 G_USEC_PER_SEC <
	       (gint64) claim * G_USEC_PER_SEC;
}

typedef struct {
	int sent, failed, gave_up, journaled;
} Tally;

static void
record_failure (const TgSettings *c, TgStore *store, const TgOutboxItem *item,
		const GError *error, Tally *tally)
{
	g_autoptr (GError) db = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	gboolean give_up = g_date_time_difference (now, item->created_at) >=
			   (GTimeSpan) c->retry_for * G_TIME_SPAN_SECOND;

	if (give_up)
		tally->gave_up++;
	else
		tally->failed++;
	g_warning ("outbox(%" G_GINT64_FORMAT ") to %s: %s%s", item->id,
		   item->recipients[0], error->message,
		   give_up ? "; giving up" : "");
	if (!tg_store_outbox_failed (store, item->id, error->message,
				     tg_sweep_backoff (item->attempts + 1),
				     give_up, &db))
		g_warning ("outbox(%" G_GINT64_FORMAT "): %s", item->id,
			   db->message);
}

/* Sends one claimed row; FALSE when its send could not be recorded in
 * the database, which is then away: the sweep stops there. */
static gboolean
send_one (const TgSettings *c, TgStore *store, TgSender *sender,
	  const TgOutboxItem *item, GBytes *whole, Tally *tally)
{
	g_autoptr (GError) error = NULL;
	TgSenderMail mail = {
		.outbox_id = item->id,
		.message_id = item->message_id,
		.envelope_from = item->envelope_from,
		.recipients = (const char *const *) item->recipients,
		.content = whole,
	};

	switch (tg_sender_send (sender, &mail, &error)) {
	case TG_SENDER_SENT:
		tally->sent++;
		return TRUE;
	case TG_SENDER_REFUSED:
		record_failure (c, store, item, error, tally);
		return TRUE;
	case TG_SENDER_JOURNALED:
	case TG_SENDER_UNRECORDED:
		tally->sent++;
		tally->journaled++;
		return FALSE;
	}
	return FALSE;
}

/*
 * One batch: claim, fold the journal in (after the claim: a line written
 * by the previous holder of a row, before its claim ran out, is then
 * seen), send what it does not name. FALSE when the sweep must stop.
 */
static gboolean
send_claimed (const TgSettings *c, TgStore *store, TgSender *sender,
	      const GPtrArray *items, gint64 claimed, gboolean *more,
	      int *total, Tally *tally)
{
	for (guint i = 0; i < items->len; i++, (*total)++) {
		const TgOutboxItem *item = items->pdata[i];
		TgSenderMail mail = { .content = item->content,
				      .encloses = item->encloses };
		g_autoptr (GBytes) whole = NULL;
		g_autoptr (GError) unreadable = NULL;

		if (tg_sender_is_named (sender, item->id))
			continue;
		/* A notification made whole from the mail it forwards
		 * before the claim is judged: reading that mail back is
		 * part of the time the send takes. */
		whole = tg_sender_make_whole (sender, &mail, &unreadable);
		/* The rest wait for their claim to expire. */
		if (!tg_sweep_in_claim (g_get_monotonic_time () - claimed,
					c->sendmail_timeout, c->outbox_claim)) {
			*more = FALSE;
			break;
		}
		if (whole == NULL &&
		    g_error_matches (unreadable, TG_STORE_ERROR,
				     TG_STORE_ERROR_TEMPORARY)) {
			/* The database went away: stop, as below. */
			g_warning ("outbox(%" G_GINT64_FORMAT "): %s", item->id,
				   unreadable->message);
			return FALSE;
		}
		if (whole == NULL) {
			record_failure (c, store, item, unreadable, tally);
			continue;
		}
		if (!send_one (c, store, sender, item, whole, tally))
			return FALSE;
	}
	return TRUE;
}

static gboolean
sweep_batch (const TgSettings *c, TgStore *store, TgSender *sender,
	     const SweepOptions *o, gboolean *more, int *total, Tally *tally)
{
	g_autoptr (GError) error = NULL;
	gint64 claimed = g_get_monotonic_time ();
	g_autoptr (GPtrArray) items = tg_store_claim_due (
		store, o->limit, c->outbox_claim, &error);
	gboolean ok;

	if (items == NULL) {
		trouble ("%s", error->message);
		return FALSE;
	}
	/* Rows that failed now are not due again in this pass. */
	*more = (int) items->len == o->limit;
	if (items->len > 0)
		tg_sender_fold (sender);
	ok = send_claimed (c, store, sender, items, claimed, more, total,
			   tally);
	/* What a batching sender sent is recorded at once, inside the
	 * claim: tg_sweep_in_claim() allowed for it before the last send. */
	if (!tg_sender_flush (sender)) {
		tally->journaled++;
		return FALSE;
	}
	return ok;
}

gboolean
tg_sweep_send_due (const TgSettings *c, TgStore *store, TgSender *sender,
		   int limit)
{
	SweepOptions o = { .limit = limit };
	Tally tally = { 0 };
	int total = 0;
	gboolean ok = TRUE;

	for (gboolean more = TRUE; ok && more;)
		ok = sweep_batch (c, store, sender, &o, &more, &total, &tally);
	if (total > 0)
		g_message ("sweep: sent=%d deferred=%d gave_up=%d%s", tally.sent,
			   tally.failed, tally.gave_up,
			   tally.journaled ? " (the database went away: "
					     "stopped)"
					   : "");
	return ok;
}

static int
sweep (const TgSettings *c, const TgReplies *replies, TgStore *store,
       const SweepOptions *o)
{
	g_autoptr (TgSender) sender =
		tg_sender_new (c, replies, store, G_MAXINT64);
	g_autoptr (GError) error = NULL;

	/* What the journal names is never claimed. */
	tg_sender_fold (sender);
	if (o->flush && !tg_store_outbox_due_now (store, &error)) {
		trouble ("%s", error->message);
		return tg_exit_for_error (error, TG_CALLER_SWEEP);
	}
	if (!tg_sweep_send_due (c, store, sender, o->limit))
		return tg_exit_code (TG_FAULT_DB_DOWN, TG_CALLER_SWEEP);
	if (!tg_store_prune_sent_log (store, &error))
		g_warning ("sweep: pruning the send log: %s", error->message);
	return EX_OK;
}

/* The deadline watch at @now: what it queues, sweep's pass sends; with
 * @dry_run it only says what would be sent, on stdout. */
static int
escalate (const TgSettings *c, const TgReplies *replies, TgStore *store,
	  GDateTime *now, gboolean dry_run)
{
	g_autoptr (GError) error = NULL;
	g_auto (TgEscalateTally) tally = { 0 };

	if (!tg_escalate_run (c, replies, store, now, dry_run, &tally,
			      &error)) {
		trouble ("the deadline watch: %s", error->message);
		/* A notice that could not be written out is recorded
		 * nowhere (its transaction rolled back): the next sweep
		 * writes it again. */
		return tg_exit_for_error (error, TG_CALLER_SWEEP);
	}
	for (guint i = 0; i < tally.lines->len; i++)
		printf ("would send %s\n", (char *) tally.lines->pdata[i]);
	if (tally.warned + tally.breached + tally.daily > 0)
		g_message ("sweep: warnings=%d breaches=%d daily=%d",
			   tally.warned, tally.breached, tally.daily);
	return EX_OK;
}

static GDateTime *
parse_now (const char *text, const TgSettings *c, GError **error)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (c->timezone);

	if (text == NULL)
		return g_date_time_new_now_utc ();
	return tg_calendar_parse_instant (text, tz, error);
}

int
tg_sweep_main (const char *config_path, int argc, char **argv)
{
	SweepOptions o = { .limit = 100 };
	g_autofree char *now_text = NULL;
	gboolean dry_run = FALSE;
	GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &o.limit,
		  "Mails claimed per batch (default 100)", "N" },
		{ "flush", 0, 0, G_OPTION_ARG_NONE, &o.flush,
		  "Try every unsent answer now, not only those due (after "
		  "mending sendmail)", NULL },
		{ "now", 0, 0, G_OPTION_ARG_STRING, &now_text,
		  "Judge deadlines at TIME (ISO 8601), not now", "TIME" },
		{ "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
		  "Print the notices that are due; send and record nothing",
		  NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GDateTime) now = NULL;
	int code;
	g_autoptr (GOptionContext) ctx =
		g_option_context_new ("- send the outgoing mail that is due");
	g_autoptr (GError) error = NULL;
	g_autofree char *path = tg_settings_default_path (config_path);
	g_autoptr (TgSettings) config = NULL;
	g_autoptr (TgReplies) replies = NULL;
	g_autoptr (TgStore) store = NULL;

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || o.limit < 1) {
		g_printerr ("ticketgate sweep: %s\n",
			    error ? error->message : "--limit must be positive");
		return tg_exit_code (TG_FAULT_USAGE, TG_CALLER_SWEEP);
	}
	config = tg_settings_load (path, &error);
	if (config == NULL) {
		g_printerr ("ticketgate: %s\n", error->message);
		return tg_exit_code (TG_FAULT_CONFIG, TG_CALLER_SWEEP);
	}
	/* The notices are written with them, and a notification made whole
	 * names the attachments it leaves out in their words. */
	replies = tg_replies_load (config->templates_directory, &error);
	if (replies == NULL) {
		trouble ("%s", error->message);
		return tg_exit_code (TG_FAULT_CONFIG, TG_CALLER_SWEEP);
	}
	now = parse_now (now_text, config, &error);
	if (now == NULL) {
		g_printerr ("ticketgate sweep: --now: %s\n", error->message);
		return tg_exit_code (TG_FAULT_USAGE, TG_CALLER_SWEEP);
	}
	store = tg_store_connect (config->conninfo, "ticketgate-sweep",
				  config->connect_timeout,
				  config->statement_timeout, &error);
	if (store == NULL) {
		trouble ("%s", error->message);
		return tg_exit_for_error (error, TG_CALLER_SWEEP);
	}
	code = escalate (config, replies, store, now, dry_run);
	if (code != EX_OK || dry_run)
		return code;
	return sweep (config, replies, store, &o);
}
