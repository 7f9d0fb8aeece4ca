/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * escalate: one pass of the deadline watch. The decisions (when a notice
 * is due) are watch's; this reads the tickets, records each notice under
 * a unique key in the same transaction that queues its mail, and leaves
 * the sending to sweep's pass over the outbox. Staff mail is never held
 * back by the caps.
 */
#include "escalate.h"

#include <string.h>

#include "priority.h"
#include "reply.h"
#include "scope.h"
#include "trust.h"
#include "watch.h"

typedef struct {
	const TgSettings *config;
	TgStore *store;
	GDateTime *now;
	gboolean dry_run;
	TgEscalateTally *tally;
	const TgReplies *replies;
	TgDesk *desk;
	TgCalendar *calendar;
} Watch;

static void
watch_clear (Watch *w)
{
	g_clear_pointer (&w->desk, tg_desk_free);
	g_clear_pointer (&w->calendar, tg_calendar_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Watch, watch_clear)

/* The desk (holidays and secrets) and its calendar. */
static gboolean
load (Watch *w, GError **error)
{
	w->desk = tg_store_read_desk (w->store, error);
	if (w->desk == NULL)
		return FALSE;
	w->calendar = tg_settings_new_calendar (w->config, error);
	if (w->calendar == NULL)
		return FALSE;
	for (guint i = 0; i < w->desk->holidays->len; i++) {
		const TgHoliday *h =
			&g_array_index (w->desk->holidays, TgHoliday, i);

		tg_calendar_add_holiday (w->calendar, g_date_get_year (&h->date),
					 g_date_get_month (&h->date),
					 g_date_get_day (&h->date), h->name);
	}
	return TRUE;
}

/* The staff list and the recipients [escalation] names for @plan (NULL:
 * none), each once. (transfer full) */
static char **
recipients (const Watch *w, const char *plan)
{
	GPtrArray *list = g_ptr_array_new ();
	char **extra = plan ? g_hash_table_lookup (w->config->escalation_to,
						    plan)
			    : NULL;
	char **lists[] = { w->config->staff_addresses, extra };

	for (gsize l = 0; l < G_N_ELEMENTS (lists); l++)
		for (char **a = lists[l]; a != NULL && *a != NULL; a++) {
			gboolean seen = FALSE;

			for (guint i = 0; i < list->len && !seen; i++)
				seen = strcmp (list->pdata[i], *a) == 0;
			if (!seen)
				g_ptr_array_add (list, g_strdup (*a));
		}
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

/* Queues @reply to @rcpts, due at once for sweep's pass. */
static gboolean
queue (Watch *w, gint64 ticket_id, const TgReply *reply, char **rcpts,
       GError **error)
{
	TgOutgoing out = {
		.ticket_id = ticket_id,
		.kind = TG_KIND_NOTICE,
		.message_id = reply->message_id,
		.envelope_from = w->config->bounce_address,
		.recipients = (const char *const *) rcpts,
		.subject = reply->subject,
		.body_text = reply->body,
		.content = reply->content,
	};
	gint64 outbox_id = 0;

	return tg_store_add_outgoing (w->store, &out, 0, &outbox_id, NULL,
				      error);
}

static void
dry_line (Watch *w, char *line)
{
	g_ptr_array_add (w->tally->lines, line);
}

/* The notice of @kind about @t (its thread loaded) to @rcpts. */
static TgReply *
build_notice (Watch *w, const TgTicket *t, TgWatchKind kind, char **rcpts,
	      GError **error)
{
	g_autoptr (GArray) scope = g_array_new (FALSE, TRUE,
						sizeof (TgScopeMatch));
	g_autofree char *left = tg_watch_format_left (w->calendar, w->now,
						      t->response_due_at);
	g_autofree char *reply_to = tg_trust_signed_address (
		w->config, w->desk->keys, t->number, TG_TOKEN_STAFF, NULL);
	TgPlan plan;
	TgReplyFacts f = {
		.kind = kind == TG_WATCH_WARN ? TG_REPLY_WARN : TG_REPLY_BREACH,
		.config = w->config,
		.calendar = w->calendar,
		.priority = (TgPriority) t->priority,
		.received_at = t->received_at,
		.to_address = rcpts[0],
		.to_more = (const char *const *) rcpts + 1,
		.in_reply_to = t->last_message_id,
		.references = t->references,
		.reply_to = reply_to,
		.requester = t->requester_name ? t->requester_name
					       : t->requester,
		.attachment_limit = w->config->attachment_limit,
	};

	tg_reply_set_ticket (&f, t, &plan, scope);
	/* "Late by" reads the time since the deadline without a sign. */
	f.time_left = left[0] == '-' ? left + 1 : left;
	return tg_replies_build (w->replies, &f, error);
}

/* Records and queues one notice, in the caller's transaction;
 * *@sent_out FALSE when another sweep had recorded it. A breach notice
 * also records the warning, which then never comes after it. */
static gboolean
record_notice (Watch *w, const TgTicket *listed, TgWatchKind kind,
	       char **rcpts, gboolean *sent_out, GError **error)
{
	g_autoptr (TgTicket) t = NULL;
	g_autoptr (TgReply) reply = NULL;
	gboolean also = FALSE;

	if (!tg_store_record_escalation (
		    w->store, listed->id, tg_watch_kind_to_string (kind),
		    listed->response_due_at, w->now, sent_out, error))
		return FALSE;
	if (!*sent_out)
		return TRUE;
	if (kind == TG_WATCH_BREACH &&
	    !tg_store_record_escalation (w->store, listed->id, "warn",
					 listed->response_due_at, w->now,
					 &also, error))
		return FALSE;
	t = tg_store_get_ticket (w->store, listed->number, error);
	if (t == NULL)
		return FALSE;
	reply = build_notice (w, t, kind, rcpts, error);
	return reply != NULL && queue (w, t->id, reply, rcpts, error);
}

static gboolean
notify (Watch *w, const TgTicket *t, TgWatchKind kind, GError **error)
{
	g_auto (GStrv) rcpts = recipients (w, t->plan_name);
	gboolean sent = FALSE;

	if (rcpts[0] == NULL)
		return TRUE;
	if (w->dry_run) {
		g_autofree char *to = g_strjoinv (", ", rcpts);

		dry_line (w, g_strdup_printf ("%s #%" G_GINT64_FORMAT " to %s",
					      tg_watch_kind_to_string (kind),
					      t->number, to));
		return TRUE;
	}
	if (!tg_store_begin (w->store, error))
		return FALSE;
	if (!record_notice (w, t, kind, rcpts, &sent, error) ||
	    !tg_store_commit (w->store, error)) {
		tg_store_rollback (w->store);
		return FALSE;
	}
	if (sent && kind == TG_WATCH_WARN)
		w->tally->warned++;
	else if (sent)
		w->tally->breached++;
	return TRUE;
}

/* The notice a watched ticket is due for at w->now, if any. */
static gboolean
watch_ticket (Watch *w, const TgWatched *watched, GError **error)
{
	const TgTicket *t = watched->ticket;
	g_autoptr (GDateTime) breach = tg_watch_threshold (
		w->calendar, TG_WATCH_BREACH, t->received_at,
		t->reaction_minutes, t->response_due_at, w->config->warn_at);
	g_autoptr (GDateTime) warn = tg_watch_threshold (
		w->calendar, TG_WATCH_WARN, t->received_at,
		t->reaction_minutes, t->response_due_at, w->config->warn_at);

	if (tg_watch_is_due (w->calendar, breach, w->now))
		return notify (w, t, TG_WATCH_BREACH, error);
	if (!watched->warned && tg_watch_is_due (w->calendar, warn, w->now))
		return notify (w, t, TG_WATCH_WARN, error);
	return TRUE;
}

/* ---- the morning queue --------------------------------------------- */

static char *
queue_text (Watch *w, const GPtrArray *tickets)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < tickets->len; i++) {
		const TgTicket *t = tickets->pdata[i];
		g_autofree char *due =
			tg_reply_format_short (w->replies, w->calendar, t->response_due_at);
		g_autofree char *left =
			t->response_due_at
				? tg_watch_format_left (w->calendar, w->now,
							t->response_due_at)
			: t->billable
				? tg_replies_phrase (w->replies,
						     TG_PHRASE_QUEUE_PAID, NULL)
				: g_strdup ("-");
		g_autofree char *left_col = tg_reply_pad (left, 9, FALSE,
							  FALSE);
		g_autofree char *due_col = tg_reply_pad (due, 16, FALSE, FALSE);
		g_autofree char *priority = tg_reply_format_priority (
			w->replies, (TgPriority) t->priority);
		g_autofree char *priority_col =
			tg_reply_pad (priority, 6, FALSE, FALSE);

		g_string_append_printf (
			out, "%s#%-7" G_GINT64_FORMAT " %-9s %s %s %s %s: %s",
			i ? "\n" : "", t->number, t->plan_name ? t->plan_name : "-",
			priority_col, due_col, left_col,
			t->customer_name ? t->customer_name : t->requester,
			t->subject);
	}
	return g_string_free (out, FALSE);
}

static char *
late_text (Watch *w, const GPtrArray *tickets)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < tickets->len; i++) {
		const TgTicket *t = tickets->pdata[i];
		g_autofree char *due = tg_reply_format_short (
			w->replies, w->calendar, t->response_due_at);
		g_autofree char *answered = tg_reply_format_short (
			w->replies, w->calendar, t->first_response_at);
		g_autofree char *number = g_strdup_printf (
			"%-7" G_GINT64_FORMAT, t->number);
		g_autofree char *plan = tg_reply_pad (
			t->plan_name ? t->plan_name : "-", 9, FALSE, FALSE);
		g_autofree char *due_col = tg_reply_pad (due, 16, FALSE, FALSE);
		g_autofree char *answered_col =
			tg_reply_pad (answered, 16, FALSE, FALSE);
		g_autofree char *line = tg_replies_phrase (
			w->replies, TG_PHRASE_LATE_LINE, "number", number,
			"plan", plan, "due", due_col, "answered", answered_col,
			"customer",
			t->customer_name ? t->customer_name : t->requester,
			"subject", t->subject, NULL);

		g_string_append_printf (out, "%s%s", i ? "\n" : "", line);
	}
	if (out->len == 0)
		g_string_append (out, "-");
	return g_string_free (out, FALSE);
}

/* Records and queues the morning queue of @day, in the caller's
 * transaction; nothing when another sweep had. */
static gboolean
record_daily (Watch *w, const GDate *day, char **rcpts, GError **error)
{
	g_autoptr (GDateTime) previous = NULL;
	g_autoptr (GPtrArray) open = NULL;
	g_autoptr (GPtrArray) late = NULL;
	g_autoptr (TgReply) reply = NULL;
	g_autofree char *day_text = tg_reply_format_day (w->replies, day);
	g_autofree char *open_text = NULL;
	g_autofree char *late_lines = NULL;
	gboolean inserted = FALSE;
	TgReplyFacts f = {
		.kind = TG_REPLY_DAILY,
		.config = w->config,
		.calendar = w->calendar,
		.received_at = w->now,
		.to_address = rcpts[0],
		.to_more = (const char *const *) rcpts + 1,
		.day = day_text,
	};

	if (!tg_store_record_daily (w->store, day, w->now, &inserted,
				    &previous, error))
		return FALSE;
	if (!inserted)
		return TRUE;
	open = tg_store_list_queue (w->store, error);
	late = open ? tg_store_list_late (w->store, previous, w->now, error)
		    : NULL;
	if (late == NULL)
		return FALSE;
	f.queue = open_text = queue_text (w, open);
	f.queue_count = open->len;
	f.late = late_lines = late_text (w, late);
	reply = tg_replies_build (w->replies, &f, error);
	if (reply == NULL)
		return FALSE;
	w->tally->daily++;
	return queue (w, 0, reply, rcpts, error);
}

static gboolean
daily (Watch *w, GError **error)
{
	g_auto (GStrv) rcpts = recipients (w, NULL);
	GDate day;

	if (!w->config->daily_queue || rcpts[0] == NULL ||
	    !tg_watch_daily_due (w->calendar, w->now, &day))
		return TRUE;
	if (w->dry_run) {
		dry_line (w, g_strdup ("daily queue"));
		return TRUE;
	}
	if (!tg_store_begin (w->store, error))
		return FALSE;
	if (!record_daily (w, &day, rcpts, error) ||
	    !tg_store_commit (w->store, error)) {
		tg_store_rollback (w->store);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_escalate_run (const TgSettings *config, const TgReplies *replies,
		 TgStore *store, GDateTime *now, gboolean dry_run,
		 TgEscalateTally *tally, GError **error)
{
	g_auto (Watch) w = { .config = config, .replies = replies,
			     .store = store, .now = now, .dry_run = dry_run,
			     .tally = tally };
	g_autoptr (GPtrArray) watched = NULL;

	g_return_val_if_fail (config != NULL && replies != NULL &&
				      store != NULL && now != NULL &&
				      tally != NULL,
			      FALSE);
	memset (tally, 0, sizeof *tally);
	tally->lines = g_ptr_array_new_with_free_func (g_free);
	if (!load (&w, error))
		return FALSE;
	watched = tg_store_list_watched (store, error);
	if (watched == NULL)
		return FALSE;
	for (guint i = 0; i < watched->len; i++)
		if (!watch_ticket (&w, watched->pdata[i], error))
			return FALSE;
	return daily (&w, error);
}

void
tg_escalate_tally_clear (TgEscalateTally *tally)
{
	if (tally == NULL)
		return;
	g_clear_pointer (&tally->lines, g_ptr_array_unref);
}
