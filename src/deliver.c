/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deliver: "The life of one mail" (doc/design.md). Reads and parses the
 * mail, finds who wrote it and which ticket it belongs to, records it and
 * the answers it causes in one transaction, sends those after the commit
 * and logs one line. Every failure on our side exits 75 so that Postfix
 * keeps the mail; only a mail over the size limit is refused for good.
 */
#include "deliver.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "calendar.h"
#include "classify.h"
#include "compose.h"
#include "config.h"
#include "log.h"
#include "mailer.h"
#include "message.h"
#include "priority.h"
#include "reply.h"
#include "scope.h"
#include "spool.h"
#include "store.h"
#include "thread.h"

/* Transactions rerun after a serialization failure or deadlock. */
#define MAX_ATTEMPTS 4
/* How long deliver holds the claim on what it queued before sweep may
 * take it over: longer than any sendmail run it would wait for. */
#define CLAIM_SECONDS 600
/* First retry of an answer that sendmail refused. */
#define RETRY_SECONDS 60
/* Received dates up to this far ahead of our clock count as now. */
#define CLOCK_SKEW_SECONDS 300
/* References taken into account when threading. */
#define MAX_THREAD_IDS 50

typedef enum {
	ACTION_NEW_TICKET,
	ACTION_FOLLOW_UP,
	ACTION_STAFF,
	ACTION_MACHINE,
	ACTION_REJECTED,
	ACTION_DUPLICATE,
} Action;

static const char *const action_names[] = {
	[ACTION_NEW_TICKET] = "new-ticket", [ACTION_FOLLOW_UP] = "follow-up",
	[ACTION_STAFF] = "staff",	    [ACTION_MACHINE] = "machine",
	[ACTION_REJECTED] = "rejected",	    [ACTION_DUPLICATE] = "duplicate",
};

typedef struct {
	gint64 outbox_id;
	const char *what; /* "ack", "reject" */
	char **recipients;
	GBytes *content;
	gboolean sent;
} Queued;

typedef struct {
	const TgConfig *config;
	TgReplies *replies;
	TgCalendar *calendar;

	/* the mail */
	TgSpool *spool;
	TgMessage *msg;
	char *envelope_sender; /* NULL: unknown; "": the null sender */
	char *envelope_recipient;
	char *queue_id;        /* Postfix's, from --queue-id or Received */
	GDateTime *received_at;
	const char *received_from; /* "header", "option", "clock" */
	char *dedup_key;
	char *sender;          /* identity: From, else the envelope sender */
	char *reply_address;   /* where answers go: Reply-To, else sender */

	/* what we found out */
	TgIdentity who;
	TgMachineReason machine;
	TgTicket *ticket;      /* the ticket it threads into */
	const char *threaded_by;
	TgPriority priority;
	Action action;

	/* what we did */
	gint64 ticket_number;
	TgPlan *plan;          /* the plan a new ticket gets */
	GDateTime *deadline;
	char *old_ticket;      /* "#N" when a closed ticket was followed up */
	GArray *queued;        /* Queued */
} Delivery;

/* ---- input --------------------------------------------------------- */

static void
queued_clear (Queued *q)
{
	g_strfreev (q->recipients);
	g_clear_pointer (&q->content, g_bytes_unref);
}

static void
delivery_reset_outcome (Delivery *d)
{
	tg_identity_clear (&d->who);
	g_clear_pointer (&d->ticket, tg_ticket_free);
	g_clear_pointer (&d->plan, tg_plan_free);
	g_clear_pointer (&d->deadline, g_date_time_unref);
	g_clear_pointer (&d->old_ticket, g_free);
	g_array_set_size (d->queued, 0);
	d->ticket_number = 0;
	d->threaded_by = NULL;
}

static void
delivery_clear (Delivery *d)
{
	delivery_reset_outcome (d);
	g_clear_pointer (&d->queued, g_array_unref);
	g_clear_pointer (&d->replies, tg_replies_free);
	g_clear_pointer (&d->calendar, tg_calendar_free);
	g_clear_pointer (&d->spool, tg_spool_free);
	g_clear_pointer (&d->msg, tg_message_free);
	g_clear_pointer (&d->envelope_sender, g_free);
	g_clear_pointer (&d->envelope_recipient, g_free);
	g_clear_pointer (&d->queue_id, g_free);
	g_clear_pointer (&d->received_at, g_date_time_unref);
	g_clear_pointer (&d->dedup_key, g_free);
	g_clear_pointer (&d->sender, g_free);
	g_clear_pointer (&d->reply_address, g_free);
}

char *
tg_deliver_dedup_key (const char *message_id, const char *from,
		      const char *date, const char *subject,
		      const char *body_digest)
{
	g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
	const char *parts[] = { message_id, from, date, subject };
	int n = message_id != NULL ? 1 : 4;

	g_checksum_update (sum, (const guchar *) "v1", 2);
	for (int i = 0; i < n; i++) {
		const char *s = parts[i] != NULL ? parts[i] : "";

		g_checksum_update (sum, (const guchar *) "\n", 1);
		g_checksum_update (sum, (const guchar *) s, strlen (s));
	}
	g_checksum_update (sum, (const guchar *) "\n", 1);
	g_checksum_update (sum, (const guchar *) body_digest,
			   strlen (body_digest));
	return g_strdup (g_checksum_get_string (sum));
}

/*
 * The clock starts when our MTA received the mail: the date of the
 * topmost Received header, which Postfix wrote, unless it is in the
 * future or older than a mail can stay in Postfix's queue.
 */
static void
choose_received_at (Delivery *d, GDateTime *option)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	GDateTime *header = d->msg->received_at;

	if (option != NULL) {
		d->received_at = g_date_time_ref (option);
		d->received_from = "option";
		return;
	}
	if (header != NULL &&
	    g_date_time_difference (header, now) <=
		    CLOCK_SKEW_SECONDS * G_TIME_SPAN_SECOND &&
	    g_date_time_difference (now, header) <=
		    d->config->queue_lifetime * G_TIME_SPAN_SECOND) {
		d->received_at = g_date_time_compare (header, now) > 0
			? g_date_time_ref (now)
			: g_date_time_ref (header);
		d->received_from = "header";
		return;
	}
	d->received_at = g_date_time_ref (now);
	d->received_from = "clock";
}

static void
choose_addresses (Delivery *d)
{
	const TgMessage *msg = d->msg;

	if (msg->from != NULL)
		d->sender = g_strdup (msg->from->addr);
	else if (d->envelope_sender != NULL && *d->envelope_sender != '\0')
		d->sender = g_ascii_strdown (d->envelope_sender, -1);
	if (msg->reply_to != NULL)
		d->reply_address = g_strdup (msg->reply_to->addr);
	else
		d->reply_address = g_strdup (d->sender);
}

static gboolean
read_mail (Delivery *d, GError **error)
{
	const TgConfig *c = d->config;

	d->spool = tg_spool_read_fd (STDIN_FILENO, c->max_message_size,
				     c->spool_memory,
				     *c->spool_directory ? c->spool_directory
							 : NULL,
				     error);
	if (d->spool == NULL)
		return FALSE;
	d->msg = tg_message_parse (d->spool, error);
	if (d->msg == NULL)
		return FALSE;
	d->dedup_key = tg_deliver_dedup_key (
		d->msg->message_id, tg_message_get_header (d->msg, "From"),
		tg_message_get_header (d->msg, "Date"), d->msg->subject,
		d->msg->body_digest);
	choose_addresses (d);
	d->priority = tg_priority_from_headers (
		tg_message_get_header (d->msg, "X-Priority"),
		tg_message_get_header (d->msg, "Importance"),
		tg_message_get_header (d->msg, "Priority"));
	return TRUE;
}

/* ---- who wrote it, and which ticket it belongs to ------------------ */

static gboolean
is_own_id (const char *id, gpointer data)
{
	return tg_compose_is_own_message_id (id, data);
}

/* Our own addresses never get an answer: that would be a loop. */
static gboolean
is_own_address (const TgConfig *c, const char *addr)
{
	return addr != NULL &&
	       (g_strcmp0 (addr, c->support_address) == 0 ||
		g_strcmp0 (addr, c->comment_address) == 0 ||
		g_strcmp0 (addr, c->bounce_address) == 0 ||
		tg_config_is_staff_address (c, addr));
}

static void
arrival_day (const Delivery *d, GDate *day)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (d->config->timezone);
	g_autoptr (GDateTime) local =
		g_date_time_to_timezone (d->received_at, tz);

	g_date_clear (day, 1);
	g_date_set_dmy (day, g_date_time_get_day_of_month (local),
			g_date_time_get_month (local),
			g_date_time_get_year (local));
}

static gboolean
sender_may_write (Delivery *d, TgStore *store, const TgTicket *t,
		  gboolean *ok_out, GError **error)
{
	TgWriteRights rights = {
		.is_staff = d->who.is_staff,
		.is_requester = d->sender != NULL &&
				(g_strcmp0 (d->sender, t->requester) == 0 ||
				 g_strcmp0 (d->sender, t->reply_address) == 0),
		.same_customer = d->who.customer_id != 0 &&
				 d->who.customer_id == t->customer_id,
	};

	if (!tg_thread_may_write (&rights) && d->sender != NULL &&
	    !tg_store_is_cc (store, t->id, d->sender, &rights.is_cc, error))
		return FALSE;
	*ok_out = tg_thread_may_write (&rights);
	return TRUE;
}

/* A stored Message-ID wins; then the subject tag, for those who may
 * write to that ticket. */
static gboolean
find_ticket (Delivery *d, TgStore *store, GError **error)
{
	g_autoptr (GPtrArray) ids = tg_thread_candidate_ids (
		d->msg->in_reply_to, d->msg->references, MAX_THREAD_IDS);
	g_autoptr (GError) local = NULL;
	g_autoptr (TgTicket) tagged = NULL;
	gint64 number = 0;
	gboolean ok = FALSE;

	d->ticket = tg_store_find_ticket_by_message_ids (
		store, (const char *const *) ids->pdata, ids->len, &local);
	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (d->ticket != NULL) {
		d->threaded_by = "message-id";
		return TRUE;
	}
	if (!tg_thread_find_tag (d->msg->subject, d->config->subject_tag,
				 &number))
		return TRUE;
	tagged = tg_store_get_ticket (store, number, &local);
	if (tagged == NULL) {
		if (g_error_matches (local, TG_STORE_ERROR,
				     TG_STORE_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (!sender_may_write (d, store, tagged, &ok, error))
		return FALSE;
	if (ok) {
		d->ticket = g_steal_pointer (&tagged);
		d->threaded_by = "tag";
	} else {
		d->threaded_by = "tag-refused";
	}
	return TRUE;
}

/* Whether a follow-up to @t is so late that it starts a new ticket. */
static gboolean
is_long_closed (const Delivery *d, const TgTicket *t)
{
	return g_strcmp0 (t->status, "closed") == 0 && t->closed_at != NULL &&
	       g_date_time_difference (d->received_at, t->closed_at) >
		       (GTimeSpan) d->config->reopen_days * G_TIME_SPAN_DAY;
}

static Action
decide (Delivery *d)
{
	if (d->who.is_duplicate)
		return ACTION_DUPLICATE;
	if (d->machine != TG_MACHINE_NONE)
		return ACTION_MACHINE;
	if (d->who.is_staff)
		return ACTION_STAFF;
	if (d->sender == NULL)
		return ACTION_REJECTED;
	if (d->ticket != NULL && !is_long_closed (d, d->ticket))
		return ACTION_FOLLOW_UP;
	if (d->ticket != NULL) {
		d->old_ticket = g_strdup_printf ("#%" G_GINT64_FORMAT,
						 d->ticket->number);
		g_clear_pointer (&d->ticket, tg_ticket_free);
	}
	if (d->who.customer_id == 0 &&
	    d->config->unknown_sender == TG_UNKNOWN_SENDER_REJECT)
		return ACTION_REJECTED;
	return ACTION_NEW_TICKET;
}

static gboolean
lookup (Delivery *d, TgStore *store, GError **error)
{
	GDate day;

	arrival_day (d, &day);
	if (!tg_store_identify (store, d->sender ? d->sender : "", &day,
				d->dedup_key, &d->who, error))
		return FALSE;
	d->who.is_staff = d->who.is_staff ||
			  tg_config_is_staff_address (d->config, d->sender);
	d->machine = tg_classify_machine (d->msg, d->envelope_sender,
					  d->config->support_address, is_own_id,
					  d->config->support_address);
	if (!d->who.is_duplicate && !find_ticket (d, store, error))
		return FALSE;
	d->action = decide (d);
	return TRUE;
}

/* ---- recording ----------------------------------------------------- */

static gboolean
load_calendar (Delivery *d, TgStore *store, GError **error)
{
	g_autoptr (GArray) holidays = NULL;
	GDate from;

	if (d->calendar != NULL)
		return TRUE;
	d->calendar = tg_config_new_calendar (d->config, error);
	if (d->calendar == NULL)
		return FALSE;
	arrival_day (d, &from);
	g_date_subtract_days (&from, 1);
	holidays = tg_store_list_holidays (store, &from, error);
	if (holidays == NULL)
		return FALSE;
	for (guint i = 0; i < holidays->len; i++) {
		const TgHoliday *h = &g_array_index (holidays, TgHoliday, i);

		tg_calendar_add_holiday (d->calendar, g_date_get_year (&h->date),
					 g_date_get_month (&h->date),
					 g_date_get_day (&h->date), h->name);
	}
	return TRUE;
}

static TgScope *
load_scope (TgStore *store, GError **error)
{
	g_autoptr (GPtrArray) rows = tg_store_list_scope_rules (store, error);
	g_autoptr (TgScope) scope = NULL;

	if (rows == NULL)
		return NULL;
	scope = tg_scope_new ();
	for (guint i = 0; i < rows->len; i++) {
		const TgScopeRuleRow *r = rows->pdata[i];
		g_autoptr (GError) bad = NULL;

		/* One broken rule must not stop the desk: skip it loudly. */
		if (!tg_scope_add_rule (scope, r->topic, r->pattern,
					(const char *const *) r->plans, r->rule,
					&bad))
			g_warning ("%s", bad->message);
	}
	return g_steal_pointer (&scope);
}

static gboolean
may_answer (const Delivery *d)
{
	return d->reply_address != NULL &&
	       !is_own_address (d->config, d->reply_address);
}

static gboolean
queue_outgoing (Delivery *d, TgStore *store, gint64 ticket_id,
		const TgReply *reply, const char *what, GError **error)
{
	const char *rcpts[] = { d->reply_address, NULL };
	TgOutgoing out = {
		.ticket_id = ticket_id,
		.kind = TG_KIND_ACK,
		.message_id = reply->message_id,
		.envelope_from = d->config->bounce_address,
		.recipients = rcpts,
		.subject = reply->subject,
		.body_text = reply->body,
		.content = reply->content,
	};
	Queued q = { 0, what, g_strdupv ((char **) rcpts),
		     g_bytes_ref (reply->content), FALSE };

	if (!tg_store_add_outgoing (store, &out, CLAIM_SECONDS, &q.outbox_id,
				    error)) {
		queued_clear (&q);
		return FALSE;
	}
	g_array_append_val (d->queued, q);
	return TRUE;
}

/* The facts every answer to this mail shares. */
static TgReplyFacts
reply_facts (const Delivery *d, TgReplyKind kind, const char *subject)
{
	const TgMessage *msg = d->msg;
	TgReplyFacts f = {
		.kind = kind,
		.config = d->config,
		.calendar = d->calendar,
		.subject = subject,
		.customer = d->who.customer_name,
		.priority = d->priority,
		.received_at = d->received_at,
		.to_address = d->reply_address,
		.in_reply_to = msg->message_id,
		.references = msg->references,
	};

	if (msg->from != NULL && g_strcmp0 (d->reply_address, d->sender) == 0)
		f.to_name = msg->from->name;
	f.requester = msg->from != NULL && msg->from->name != NULL
		? msg->from->name
		: d->sender;
	if (f.customer == NULL)
		f.customer = f.requester;
	return f;
}

static gboolean
store_incoming (Delivery *d, TgStore *store, gint64 ticket_id,
		TgMessageKind kind, GError **error)
{
	gint64 row = 0;
	TgIncoming in = {
		.ticket_id = ticket_id,
		.kind = kind,
		.msg = d->msg,
		.raw = d->spool,
		.dedup_key = d->dedup_key,
		.envelope_sender = d->envelope_sender,
		.envelope_recipient = d->envelope_recipient,
		.priority = d->priority,
		.received_at = d->received_at,
	};

	return tg_store_add_incoming (store, &in, &row, error);
}

/* Everyone the customer wrote to besides us follows the ticket. */
static char **
cc_list (const Delivery *d)
{
	GPtrArray *cc = g_ptr_array_new ();
	const GPtrArray *lists[] = { d->msg->to, d->msg->cc };

	for (int l = 0; l < 2; l++)
		for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++) {
			const char *a = ((TgAddress *) lists[l]->pdata[i])->addr;

			if (!is_own_address (d->config, a) &&
			    g_strcmp0 (a, d->sender) != 0 &&
			    g_strcmp0 (a, d->reply_address) != 0 &&
			    strchr (a, '@') != NULL)
				g_ptr_array_add (cc, g_strdup (a));
		}
	g_ptr_array_add (cc, NULL);
	return (char **) g_ptr_array_free (cc, FALSE);
}

/* The plan a new ticket gets: the subscription in force when the mail
 * arrived, else the fallback plan for customers without one (and for
 * unknown senders), whose hourly rate the answer quotes. */
static gboolean
choose_plan (Delivery *d, TgStore *store, GError **error)
{
	if (d->who.plan != NULL) {
		d->plan = g_steal_pointer (&d->who.plan);
		return TRUE;
	}
	d->plan = tg_store_get_plan (store, d->config->fallback_plan, error);
	if (d->plan == NULL)
		g_prefix_error (error, "%s: [policy] fallback_plan: ",
				d->config->path);
	return d->plan != NULL;
}

static gboolean
open_ticket (Delivery *d, TgStore *store, GError **error)
{
	g_autoptr (TgScope) scope = NULL;
	g_autoptr (GArray) flags = NULL;
	g_autoptr (GPtrArray) topics = g_ptr_array_new ();
	g_auto (GStrv) cc = cc_list (d);
	g_autofree char *subject =
		tg_thread_clean_subject (d->msg->subject, d->config->subject_tag);
	g_autoptr (TgReply) reply = NULL;
	gint64 id = 0;
	TgReplyFacts facts;
	TgNewTicket t;

	if (!choose_plan (d, store, error) || !load_calendar (d, store, error))
		return FALSE;
	if (d->plan->email_support && d->plan->reaction_minutes > 0)
		d->deadline = tg_calendar_deadline (d->calendar, d->received_at,
						    d->plan->reaction_minutes);
	scope = load_scope (store, error);
	if (scope == NULL)
		return FALSE;
	flags = tg_scope_match (scope, d->plan->name, d->msg->subject,
				d->msg->body_text);
	for (guint i = 0; i < flags->len; i++)
		g_ptr_array_add (topics,
				 (gpointer) g_array_index (flags, TgScopeMatch, i).topic);
	g_ptr_array_add (topics, NULL);
	t = (TgNewTicket){
		.requester = d->sender,
		.requester_name = d->msg->from ? d->msg->from->name : NULL,
		.reply_address = d->reply_address,
		.customer_id = d->who.customer_id,
		.subject = subject,
		.priority = d->priority,
		.plan = d->plan,
		.billable = !d->plan->email_support,
		.scope_flags = (const char *const *) topics->pdata,
		.received_at = d->received_at,
		.response_due_at = d->deadline,
	};
	if (!tg_store_create_ticket (store, &t, &id, &d->ticket_number, error) ||
	    !tg_store_add_cc (store, id, (const char *const *) cc, error) ||
	    !store_incoming (d, store, id, TG_KIND_CUSTOMER, error))
		return FALSE;
	if (!may_answer (d))
		return TRUE;
	facts = reply_facts (d, d->plan->email_support ? TG_REPLY_ACK
						       : TG_REPLY_ACK_PAID,
			     subject);
	facts.ticket_number = d->ticket_number;
	facts.plan = d->plan;
	facts.deadline = d->deadline;
	facts.scope = flags;
	reply = tg_replies_build (d->replies, &facts);
	return queue_outgoing (d, store, id, reply, "ack", error);
}

/* With [policy] ack_followups, a follow-up is acknowledged like the
 * first mail, with the ticket's own plan and deadline. */
static gboolean
acknowledge_again (Delivery *d, TgStore *store, GError **error)
{
	const TgTicket *t = d->ticket;
	TgPlan plan = {
		.name = t->plan_name,
		.reaction_minutes = t->reaction_minutes,
		.email_support = !t->billable,
		.hourly_rate = t->hourly_rate,
		.currency = t->currency,
	};
	g_autoptr (TgReply) reply = NULL;
	TgReplyFacts facts;

	if (!load_calendar (d, store, error))
		return FALSE;
	facts = reply_facts (d, t->billable ? TG_REPLY_ACK_PAID : TG_REPLY_ACK,
			     t->subject);
	facts.ticket_number = t->number;
	facts.plan = t->plan_name != NULL ? &plan : NULL;
	facts.received_at = t->received_at;
	facts.deadline = t->response_due_at;
	facts.customer = t->customer_name ? t->customer_name : facts.customer;
	reply = tg_replies_build (d->replies, &facts);
	return queue_outgoing (d, store, t->id, reply, "ack", error);
}

/* A customer writes again: stored on the ticket; a resolved or recently
 * closed ticket opens again. No new acknowledgment unless configured. */
static gboolean
follow_up (Delivery *d, TgStore *store, GError **error)
{
	TgTicket *t = d->ticket;
	gboolean reopen = g_strcmp0 (t->status, "resolved") == 0 ||
			  g_strcmp0 (t->status, "closed") == 0 ||
			  g_strcmp0 (t->status, "pending") == 0;

	d->ticket_number = t->number;
	if (!store_incoming (d, store, t->id, TG_KIND_CUSTOMER, error))
		return FALSE;
	if (reopen && !tg_store_set_ticket_status (store, t->id, "open", error))
		return FALSE;
	if (!d->config->ack_followups || !may_answer (d))
		return TRUE;
	return acknowledge_again (d, store, error);
}

static gboolean
reject (Delivery *d, TgStore *store, GError **error)
{
	g_autofree char *subject =
		tg_thread_clean_subject (d->msg->subject, d->config->subject_tag);
	g_autoptr (TgReply) reply = NULL;
	TgReplyFacts facts;

	if (!store_incoming (d, store, 0, TG_KIND_REJECTED, error))
		return FALSE;
	if (d->sender == NULL || !may_answer (d))
		return TRUE;
	if (!load_calendar (d, store, error))
		return FALSE;
	facts = reply_facts (d, TG_REPLY_REJECT_UNKNOWN, subject);
	reply = tg_replies_build (d->replies, &facts);
	return queue_outgoing (d, store, 0, reply, "reject", error);
}

static gboolean
record_action (Delivery *d, TgStore *store, GError **error)
{
	gint64 ticket_id = d->ticket != NULL ? d->ticket->id : 0;

	if (d->ticket != NULL)
		d->ticket_number = d->ticket->number;
	switch (d->action) {
	case ACTION_NEW_TICKET:
		return open_ticket (d, store, error);
	case ACTION_FOLLOW_UP:
		return follow_up (d, store, error);
	case ACTION_STAFF:
		return store_incoming (d, store, ticket_id, TG_KIND_STAFF,
				       error);
	case ACTION_MACHINE:
		return store_incoming (d, store, ticket_id, TG_KIND_MACHINE,
				       error);
	case ACTION_REJECTED:
		return reject (d, store, error);
	case ACTION_DUPLICATE:
		break;
	}
	return TRUE;
}

/* One attempt: look up, then write everything in one transaction. */
static gboolean
attempt (Delivery *d, TgStore *store, GError **error)
{
	delivery_reset_outcome (d);
	if (!lookup (d, store, error))
		return FALSE;
	if (d->action == ACTION_DUPLICATE)
		return TRUE;
	if (!tg_store_begin (store, error))
		return FALSE;
	if (!record_action (d, store, error) || !tg_store_commit (store, error)) {
		tg_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

static gboolean
store_mail (Delivery *d, TgStore *store, GError **error)
{
	for (int i = 1;; i++) {
		g_autoptr (GError) local = NULL;

		if (attempt (d, store, &local))
			return TRUE;
		/* A concurrent copy of this very mail committed first; the
		 * lookup proves it, so that no other unique key can make a
		 * mail vanish as a "duplicate". */
		if (g_error_matches (local, TG_STORE_ERROR,
				     TG_STORE_ERROR_DUPLICATE) &&
		    lookup (d, store, error)) {
			if (d->action == ACTION_DUPLICATE)
				return TRUE;
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		if (!g_error_matches (local, TG_STORE_ERROR,
				      TG_STORE_ERROR_RETRY) ||
		    i == MAX_ATTEMPTS) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		g_debug ("retrying transaction: %s", local->message);
		g_usleep (g_random_int_range (1000, 20000) * i);
	}
}

/* ---- after the commit ---------------------------------------------- */

/* Hands each queued answer to sendmail. A failure is recorded for sweep
 * and never changes the exit code: the mail itself is stored. */
static void
send_queued (Delivery *d, TgStore *store)
{
	const TgConfig *c = d->config;

	for (guint i = 0; i < d->queued->len; i++) {
		Queued *q = &g_array_index (d->queued, Queued, i);
		g_autoptr (GError) error = NULL;
		g_autoptr (GError) db = NULL;

		if (tg_mailer_send (c->sendmail, c->bounce_address,
				    (const char *const *) q->recipients,
				    q->content, c->sendmail_timeout, &error)) {
			q->sent = TRUE;
			if (!tg_store_outbox_sent (store, q->outbox_id, &db))
				g_warning ("outbox(%" G_GINT64_FORMAT
					   ") sent, marking failed: %s",
					   q->outbox_id, db->message);
			continue;
		}
		g_warning ("sending %s failed, sweep retries: %s", q->what,
			   error->message);
		if (!tg_store_outbox_failed (store, q->outbox_id, error->message,
					     RETRY_SECONDS, FALSE, &db))
			g_warning ("outbox(%" G_GINT64_FORMAT ") failed: %s",
				   q->outbox_id, db->message);
	}
}

static char *
queued_summary (const Delivery *d)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < d->queued->len; i++) {
		const Queued *q = &g_array_index (d->queued, Queued, i);

		g_string_append_printf (out, "%s%s:%s", out->len ? "," : "",
					q->what, q->sent ? "sent" : "deferred");
	}
	return g_string_free (out, FALSE);
}

/* The one line per mail: queue id and Message-ID first (STYLE.md 9). */
static void
log_summary (const Delivery *d)
{
	g_autoptr (GString) line = g_string_new (NULL);
	g_autofree char *number = d->ticket_number
		? g_strdup_printf ("%" G_GINT64_FORMAT, d->ticket_number)
		: NULL;
	g_autofree char *due = d->deadline ? g_date_time_format_iso8601 (d->deadline)
					   : NULL;
	g_autofree char *received = g_date_time_format_iso8601 (d->received_at);
	g_autofree char *queued = queued_summary (d);
	g_autofree char *size = g_strdup_printf ("%zu", d->msg->size);

	tg_log_kv (line, "queue_id", d->queue_id);
	tg_log_kv (line, "message_id", d->msg->message_id);
	tg_log_kv (line, "from", d->sender);
	tg_log_kv (line, "action", action_names[d->action]);
	tg_log_kv (line, "ticket", number);
	tg_log_kv (line, "threaded_by", d->threaded_by);
	tg_log_kv (line, "customer", d->who.customer_name);
	tg_log_kv (line, "plan", d->plan ? d->plan->name : NULL);
	tg_log_kv (line, "priority", tg_priority_to_string (d->priority));
	tg_log_kv (line, "deadline", due);
	tg_log_kv (line, "received", received);
	tg_log_kv (line, "received_from", d->received_from);
	tg_log_kv (line, "machine", tg_classify_reason_to_string (d->machine));
	tg_log_kv (line, "follows", d->old_ticket);
	tg_log_kv (line, "queued", *queued ? queued : NULL);
	tg_log_kv (line, "size", size);
	g_message ("%s", line->str);
}

/* ---- the command --------------------------------------------------- */

/* The line Postfix copies into its log or the bounce; prepared before
 * the alarm can fire, written by the handler with write(2) only. */
static char timeout_line[128];

static void
on_alarm (int sig)
{
	ssize_t ignored = write (STDERR_FILENO, timeout_line,
				 strlen (timeout_line));

	(void) ignored;
	(void) sig;
	_exit (EX_TEMPFAIL);
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

	g_snprintf (timeout_line, sizeof timeout_line,
		    "4.3.0 ticketgate: time limit of %d seconds exceeded\n",
		    seconds);
	sa.sa_handler = on_alarm;
	sigaction (SIGALRM, &sa, NULL);
	alarm (seconds);
}

/* Writes the one line for Postfix, logs the details, returns the code. */
static int G_GNUC_PRINTF (3, 4)
fail (int code, const char *status, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start (ap, format);
	text = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_warning ("deliver failed (%s): %s", status, text);
	fprintf (stderr, "%s ticketgate: %s\n", status, text);
	return code;
}

static int
fail_store (const GError *error)
{
	g_warning ("database: %s", error->message);
	if (g_error_matches (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY))
		return fail (EX_TEMPFAIL, "4.3.0", "database unavailable, "
						    "will retry");
	return fail (EX_TEMPFAIL, "4.3.0",
		     "database error, will retry (details in the mail log)");
}

typedef struct {
	char *sender;
	char *recipient;
	char *received_at;
	char *queue_id;
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
	if (o->sender == NULL)
		o->sender = g_strdup (g_getenv ("SENDER"));
	if (o->recipient == NULL)
		o->recipient = g_strdup (g_getenv ("RECIPIENT"));
	return TRUE;
}

static GDateTime *
parse_received_at (const char *text, const TgConfig *config)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (config->timezone);

	return g_date_time_new_from_iso8601 (text, tz);
}

/* Configuration and templates: any problem here is ours, so 75. */
static int
load_setup (Delivery *d, TgConfig **config_out, const char *config_path)
{
	g_autofree char *path = tg_config_default_path (config_path);
	g_autoptr (GError) error = NULL;
	TgConfig *config = tg_config_load (path, &error);

	if (config == NULL || !tg_config_check (config, &error)) {
		tg_config_free (config);
		return fail (EX_TEMPFAIL, "4.3.5", "%s", error->message);
	}
	*config_out = config;
	d->config = config;
	d->replies = tg_replies_load (config->templates_directory, &error);
	if (d->replies == NULL)
		return fail (EX_TEMPFAIL, "4.3.5", "%s", error->message);
	return EX_OK;
}

static int
read_input (Delivery *d, const Options *o)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GDateTime) when = NULL;

	if (o->received_at != NULL) {
		when = parse_received_at (o->received_at, d->config);
		if (when == NULL)
			return fail (EX_TEMPFAIL, "4.3.5",
				     "--received-at: not an ISO 8601 time: %s",
				     o->received_at);
	}
	if (!read_mail (d, &error)) {
		if (g_error_matches (error, TG_SPOOL_ERROR,
				     TG_SPOOL_ERROR_TOO_BIG))
			return fail (EX_DATAERR, "5.3.4", "%s", error->message);
		return fail (EX_TEMPFAIL, "4.3.0", "%s", error->message);
	}
	d->envelope_sender = g_strdup (o->sender);
	d->envelope_recipient = g_strdup (o->recipient);
	d->queue_id = g_strdup (o->queue_id ? o->queue_id : d->msg->received_id);
	choose_received_at (d, when);
	return EX_OK;
}

static int
run (Delivery *d, const Options *o, const char *config_path,
     TgConfig **config_out)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgStore) store = NULL;
	int code;

	code = load_setup (d, config_out, config_path);
	if (code != EX_OK)
		return code;
	arm_deadline (d->config->time_limit);
	code = read_input (d, o);
	if (code != EX_OK)
		return code;
	store = tg_store_connect (d->config->conninfo, "ticketgate-deliver",
				  d->config->connect_timeout,
				  d->config->statement_timeout, &error);
	if (store == NULL || !store_mail (d, store, &error))
		return fail_store (error);
	send_queued (d, store);
	log_summary (d);
	return EX_OK;
}

int
tg_deliver_main (const char *config_path, int argc, char **argv)
{
	Options o = { 0 };
	Delivery d = { 0 };
	g_autoptr (GError) error = NULL;
	g_autoptr (TgConfig) config = NULL;
	int code;

	/* Before the configuration says otherwise: well under Postfix's
	 * default command_time_limit of 1000 seconds. */
	arm_deadline (300);
	if (!parse_options (argc, argv, &o, &error))
		return fail (EX_TEMPFAIL, "4.3.5", "bad arguments: %s",
			     error->message);
	d.queued = g_array_new (FALSE, TRUE, sizeof (Queued));
	g_array_set_clear_func (d.queued, (GDestroyNotify) queued_clear);
	code = run (&d, &o, config_path, &config);
	delivery_clear (&d);
	g_free (o.sender);
	g_free (o.recipient);
	g_free (o.received_at);
	g_free (o.queue_id);
	alarm (0);
	return code;
}
