/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep: one pass over the outbox. Rows are claimed before sending, so
 * that a deliver still sending them, or a second sweep, never sends the
 * same row twice at the same time.
 */
#include "sweep.h"

#include <sysexits.h>

#include <stdio.h>

#include "config.h"
#include "escalate.h"
#include "mailer.h"
#include "store.h"


int
tg_sweep_backoff (int attempts)
{
	int delay = TG_SWEEP_FIRST_RETRY;

	for (int i = 1; i < attempts && delay < TG_SWEEP_MAX_RETRY; i++)
		delay *= 2;
	return MIN (delay, TG_SWEEP_MAX_RETRY);
}

gboolean
tg_sweep_in_claim (gint64 elapsed, int sendmail_timeout)
{
	return elapsed + (gint64) (sendmail_timeout + TG_OUTBOX_SENT_PATIENCE) *
				 G_USEC_PER_SEC <
	       (gint64) TG_OUTBOX_CLAIM_SECONDS * G_USEC_PER_SEC;
}

typedef struct {
	int sent, failed, gave_up;
} Tally;

static void
send_one (const TgConfig *c, TgStore *store, const TgOutboxItem *item,
	  Tally *tally)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) db = NULL;
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	gboolean give_up;

	if (tg_mailer_send (c->sendmail, item->envelope_from,
			    (const char *const *) item->recipients,
			    item->content, c->sendmail_timeout, &error)) {
		tally->sent++;
		if (!tg_store_outbox_sent_patiently (store, item->id,
						     TG_OUTBOX_SENT_PATIENCE, &db))
			g_warning ("outbox(%" G_GINT64_FORMAT ") was sent but "
				   "not recorded (%s): it may be sent again "
				   "once its claim expires",
				   item->id, db->message);
		return;
	}
	give_up = g_date_time_difference (now, item->created_at) >=
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

static int
sweep (const TgConfig *c, TgStore *store, int limit)
{
	Tally tally = { 0 };
	int total = 0;

	for (gboolean more = TRUE; more;) {
		g_autoptr (GError) error = NULL;
		gint64 claimed = g_get_monotonic_time ();
		g_autoptr (GPtrArray) items = tg_store_claim_due (
			store, limit, TG_OUTBOX_CLAIM_SECONDS, &error);

		if (items == NULL) {
			g_warning ("sweep: %s", error->message);
			return EX_TEMPFAIL;
		}
		/* Rows that failed now are not due again in this pass. */
		more = (int) items->len == limit;
		for (guint i = 0; i < items->len; i++, total++) {
			/* The rest wait for their claim to expire. */
			if (!tg_sweep_in_claim (g_get_monotonic_time () - claimed,
						c->sendmail_timeout)) {
				more = FALSE;
				break;
			}
			send_one (c, store, items->pdata[i], &tally);
		}
	}
	if (total > 0)
		g_message ("sweep: sent=%d deferred=%d gave_up=%d", tally.sent,
			   tally.failed, tally.gave_up);
	{
		g_autoptr (GError) error = NULL;

		if (!tg_store_prune_sent_log (store, &error))
			g_warning ("sweep: pruning the send log: %s",
				   error->message);
	}
	return EX_OK;
}

/* The deadline watch at @now: what it queues, sweep's pass sends; with
 * @dry_run it only says what would be sent, on stdout. */
static int
escalate (const TgConfig *c, TgStore *store, GDateTime *now,
	  gboolean dry_run)
{
	g_autoptr (GError) error = NULL;
	g_auto (TgEscalateTally) tally = { 0 };

	if (!tg_escalate_run (c, store, now, dry_run, &tally, &error)) {
		g_warning ("sweep: the deadline watch: %s", error->message);
		return g_error_matches (error, TG_STORE_ERROR,
					TG_STORE_ERROR_TEMPORARY)
			? EX_TEMPFAIL
			: EX_CONFIG;
	}
	for (guint i = 0; i < tally.lines->len; i++)
		printf ("would send %s\n", (char *) tally.lines->pdata[i]);
	if (tally.warned + tally.breached + tally.daily > 0)
		g_message ("sweep: warnings=%d breaches=%d daily=%d",
			   tally.warned, tally.breached, tally.daily);
	return EX_OK;
}

static GDateTime *
parse_now (const char *text, const TgConfig *c)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (c->timezone);

	if (text == NULL)
		return g_date_time_new_now_utc ();
	return g_date_time_new_from_iso8601 (text, tz);
}

int
tg_sweep_main (const char *config_path, int argc, char **argv)
{
	int limit = 100;
	g_autofree char *now_text = NULL;
	gboolean dry_run = FALSE;
	GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
		  "Mails claimed per batch (default 100)", "N" },
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
	g_autofree char *path = tg_config_default_path (config_path);
	g_autoptr (TgConfig) config = NULL;
	g_autoptr (TgStore) store = NULL;

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || limit < 1) {
		g_printerr ("ticketgate sweep: %s\n",
			    error ? error->message : "--limit must be positive");
		return EX_USAGE;
	}
	config = tg_config_load (path, &error);
	if (config == NULL) {
		g_printerr ("ticketgate: %s\n", error->message);
		return EX_CONFIG;
	}
	now = parse_now (now_text, config);
	if (now == NULL) {
		g_printerr ("ticketgate sweep: --now: not an ISO 8601 time: %s\n",
			    now_text);
		return EX_USAGE;
	}
	store = tg_store_connect (config->conninfo, "ticketgate-sweep",
				  config->connect_timeout,
				  config->statement_timeout, &error);
	if (store == NULL) {
		g_warning ("sweep: %s", error->message);
		return EX_TEMPFAIL;
	}
	code = escalate (config, store, now, dry_run);
	if (code != EX_OK || dry_run)
		return code;
	return sweep (config, store, limit);
}
