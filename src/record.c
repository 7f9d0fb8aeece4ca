/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * record: what each kind of mail writes, inside deliver's transaction,
 * and the answers it causes: a new ticket with its acknowledgment and the
 * staff notification; a follow-up; a staff reply relayed to the customer
 * with its commands applied; an internal comment; the notices that tell
 * a staff member why nothing was sent. Answers become outbox rows that
 * deliver sends after the commit.
 */
#include "delivery.h"

#include <stdarg.h>
#include <string.h>

#include "address.h"
#include "scope.h"
#include "thread.h"
#include "ticket.h"


void
tg_queued_clear (Queued *q)
{
	g_free (q->message_id);
	g_free (q->envelope_from);
	g_strfreev (q->recipients);
	g_clear_pointer (&q->content, g_bytes_unref);
}

gboolean
tg_record_is_staff (const Delivery *d, const char *addr)
{
	return addr != NULL &&
	       ((d->desk != NULL && g_hash_table_contains (d->desk->staff, addr)) ||
		tg_settings_is_staff_address (d->config, addr));
}

void
tg_record_warn (Delivery *d, TgPhrase id, ...)
{
	va_list ap;

	va_start (ap, id);
	g_ptr_array_add (d->warnings,
			 tg_phrases_vformat (tg_replies_get_phrases (d->replies),
					     id, ap));
	va_end (ap);
}

/* (transfer full): phrase @id filled from the placeholder name, value
 * pairs that follow (NULL-terminated). */
static char * G_GNUC_NULL_TERMINATED
say (const Delivery *d, TgPhrase id, ...)
{
	va_list ap;
	char *text;

	va_start (ap, id);
	text = tg_phrases_vformat (tg_replies_get_phrases (d->replies), id,
				   ap);
	va_end (ap);
	return text;
}

/* The subject a ticket keeps: the mail's without reply prefixes and our
 * tag, or the phrase for none. */
static char *
ticket_subject (const Delivery *d)
{
	char *subject = tg_thread_clean_subject (d->msg->subject,
						 d->config->subject_tag);

	if (*subject != '\0')
		return subject;
	g_free (subject);
	return say (d, TG_PHRASE_NO_SUBJECT, NULL);
}

void
tg_record_arrival_day (const Delivery *d, GDate *day)
{
	g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (d->config->timezone);
	g_autoptr (GDateTime) local =
		g_date_time_to_timezone (d->received_at, tz);

	g_date_clear (day, 1);
	g_date_set_dmy (day, g_date_time_get_day_of_month (local),
			g_date_time_get_month (local),
			g_date_time_get_year (local));
}

/* ---- what answers need ------------------------------------------------ */

static TgScope *
scope_from (const GPtrArray *rows)
{
	TgScope *scope = tg_scope_new ();

	for (guint i = 0; i < rows->len; i++) {
		const TgScopeRuleRow *r = rows->pdata[i];
		g_autoptr (GError) bad = NULL;

		/* One broken rule must not stop the desk: skip it loudly. */
		if (!tg_scope_add_rule (scope, r->topic, r->pattern,
					(const char *const *) r->plans, r->rule,
					&bad))
			g_warning ("%s", bad->message);
	}
	return scope;
}

/* The calendar (with the holidays from the day before arrival on) and
 * the scope rules, made from the desk the first time an answer needs
 * them. */
static gboolean
load_calendar (Delivery *d, GError **error)
{
	GDate from;

	if (d->calendar != NULL)
		return TRUE;
	if (d->desk == NULL) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_FAILED,
			     "the desk was not read before the calendar");
		return FALSE;
	}
	tg_record_arrival_day (d, &from);
	g_date_subtract_days (&from, 1);
	d->calendar = tg_settings_new_calendar (d->config, error);
	if (d->calendar == NULL)
		return FALSE;
	for (guint i = 0; i < d->desk->holidays->len; i++) {
		const TgHoliday *h =
			&g_array_index (d->desk->holidays, TgHoliday, i);

		if (g_date_compare (&h->date, &from) >= 0)
			tg_calendar_add_holiday (d->calendar,
						 g_date_get_year (&h->date),
						 g_date_get_month (&h->date),
						 g_date_get_day (&h->date),
						 h->name);
	}
	d->scope = scope_from (d->desk->rules);
	return TRUE;
}

static gboolean
may_answer (const Delivery *d)
{
	return d->reply_address != NULL &&
	       !tg_decide_is_own_address (d->config, d->reply_address);
}

/* Whether d->action causes @answer (decide.h); @noticed: machine mail
 * whose ticket staff heard of within the interval. */
static gboolean
causes (const Delivery *d, TgAnswers answer, gboolean noticed)
{
	TgAnswerFacts f = {
		.may_answer = may_answer (d),
		.ack_followups = d->config->ack_followups,
		.has_sender = d->sender != NULL,
		.has_ticket = d->ticket != NULL,
		.machine_own = d->machine == TG_MACHINE_OWN,
		.machine_noticed = noticed,
	};

	return (tg_decide_answers (d->action, &f) & answer) != 0;
}

/* The signed reply address of mail about ticket @number (trust.h). */
static char *
reply_address_for (const Delivery *d, gint64 number, TgTokenAudience audience,
		   const char *person)
{
	return tg_trust_signed_address (d->config,
					d->desk ? d->desk->keys : NULL, number,
					audience, person);
}

static void
hold (Delivery *d, const char *what, const char *why, const char *addr)
{
	g_ptr_array_add (d->held, g_strdup_printf ("%s:%s:%s", what, why, addr));
}

/* Counts a mail of @kind to @rcpt against its caps; a relay to @always
 * (the ticket's requester) is counted but never refused. */
static gboolean
reserve (Delivery *d, TgStore *store, TgMessageKind kind, const char *rcpt,
	 const char *what, const char *always, TgSendVerdict *verdict,
	 GError **error)
{
	const TgSettings *c = d->config;
	g_autofree char *key = tg_address_canonical (rcpt,
						     c->recipient_delimiter);
	gboolean enforce = kind != TG_KIND_RELAY || always == NULL ||
			   !tg_address_same_person (rcpt, always,
						    c->recipient_delimiter);

	return tg_store_reserve_send (store, key, what, enforce,
				      c->cap_per_hour, c->cap_per_day,
				      verdict, error);
}

/*
 * Who of @rcpts may get this mail, in the form sendmail is given
 * (@admitted takes them). An address nobody could answer is dropped.
 * Mail to staff is never held back. Everything else counts against the
 * rolling caps of each address's canonical form, and over a cap, or to
 * an address that bounces, is held back and noted in d->held; only a
 * relay to @always (the ticket's requester) always goes, since a person
 * wrote it, and is noted as over when it would have been held.
 */
static gboolean
admit_recipients (Delivery *d, TgStore *store, TgMessageKind kind,
		  const char *const *rcpts, const char *what,
		  const char *always, GPtrArray *admitted, GError **error)
{
	for (int i = 0; rcpts[i] != NULL; i++) {
		g_autofree char *to = tg_address_for_sending (rcpts[i]);
		TgSendVerdict verdict = TG_SEND_OK;

		if (to == NULL) {
			hold (d, what, "invalid", rcpts[i]);
			continue;
		}
		if (kind != TG_KIND_NOTICE &&
		    !reserve (d, store, kind, rcpts[i], what, always,
			      &verdict, error))
			return FALSE;
		if (verdict == TG_SEND_CAPPED || verdict == TG_SEND_BOUNCING) {
			hold (d, what,
			      verdict == TG_SEND_BOUNCING ? "bouncing" : "cap",
			      rcpts[i]);
			continue;
		}
		if (verdict == TG_SEND_OVER)
			hold (d, what, "over-cap-sent", rcpts[i]);
		g_ptr_array_add (admitted, g_steal_pointer (&to));
	}
	g_ptr_array_add (admitted, NULL);
	return TRUE;
}

/* Records @reply as an outgoing message of @kind to @rcpts (those of
 * them admitted; a relay always to @always) and queues it. */
static gboolean
queue_outgoing (Delivery *d, TgStore *store, gint64 ticket_id,
		TgMessageKind kind, const TgReply *reply,
		const char *const *rcpts, const char *what,
		const char *always, GError **error)
{
	g_autoptr (GPtrArray) admitted = g_ptr_array_new_with_free_func (g_free);
	TgOutgoing out = {
		.ticket_id = ticket_id,
		.kind = kind,
		.message_id = reply->message_id,
		.envelope_from = d->config->bounce_address,
		.subject = reply->subject,
		.body_text = reply->body,
		.content = reply->content,
		.note = d->action == TG_ACTION_MACHINE ? "machine" : NULL,
		.cause_key = d->dedup_key,
		.encloses = reply->encloses ? d->message_row : 0,
		.may_hand_over = TRUE,
	};
	Queued q = { 0 };

	if (reply->encloses && d->message_row == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_FAILED,
			     "%s: the mail it forwards is not stored", what);
		return FALSE;
	}
	if (!admit_recipients (d, store, kind, rcpts, what, always, admitted,
			       error))
		return FALSE;
	if (admitted->len == 1)
		return TRUE; /* everyone held back: stored, not sent */
	out.recipients = (const char *const *) admitted->pdata;
	if (!tg_store_add_outgoing (store, &out, d->config->outbox_claim,
				    &q.outbox_id, &q.handed, error))
		return FALSE;
	q.what = what;
	q.message_id = g_strdup (reply->message_id);
	q.recipients = g_strdupv ((char **) admitted->pdata);
	q.content = g_bytes_ref (reply->content);
	q.encloses = out.encloses;
	g_array_append_val (d->queued, q);
	return TRUE;
}

/* The facts every answer to this mail shares. */
static TgReplyFacts
reply_facts (const Delivery *d, TgReplyKind kind, const char *subject)
{
	TgReplyMail mail = {
		.msg = d->msg,
		.sender = d->sender,
		.reply_address = d->reply_address,
		.customer = d->who.customer_name,
		.unknown_sender = d->who.customer_id == 0,
		.priority = d->priority,
		.received_at = d->received_at,
	};
	TgReplyFacts f = tg_reply_facts_for (d->config, kind, subject, &mail);

	f.calendar = d->calendar;
	f.warnings = (const char *const *) d->warnings->pdata;
	f.n_warnings = d->warnings->len;
	return f;
}

static gboolean
store_incoming (Delivery *d, TgStore *store, gint64 ticket_id,
		TgMessageKind kind, const char *note, GError **error)
{
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
		.note = note,
	};

	return tg_store_add_incoming (store, &in, &d->message_row, error);
}

static gboolean
has_address (const GPtrArray *list, const char *addr)
{
	for (guint i = 0; i < list->len; i++)
		if (g_strcmp0 (list->pdata[i], addr) == 0)
			return TRUE;
	return FALSE;
}

/* Whether @a is one the ticket's CC list may hold: deliverable, not
 * ours, not staff, not the sender, not already in @list or @have. */
static gboolean
may_add_cc (const Delivery *d, const char *a, const GPtrArray *list,
	    char **have)
{
	const char *delims = d->config->recipient_delimiter;

	if (tg_decide_is_own_address (d->config, a) || tg_record_is_staff (d, a) ||
	    !tg_address_is_deliverable (a) || tg_address_same_person (a, d->sender, delims) ||
	    tg_address_same_person (a, d->reply_address, delims))
		return FALSE;
	for (guint i = 0; i < list->len; i++)
		if (tg_address_same_person (list->pdata[i], a, delims))
			return FALSE;
	for (char **h = have; h != NULL && *h != NULL; h++)
		if (tg_address_same_person (*h, a, delims))
			return FALSE;
	return TRUE;
}

/* Tells staff which CCs a ticket did not take: at most [limits] max_ccs
 * are kept, so that one mail cannot make every answer fan out. */
static void
warn_dropped (Delivery *d, const GPtrArray *dropped, guint total)
{
	g_autoptr (GString) list = g_string_new (NULL);

	if (total == 0)
		return;
	for (guint i = 0; i < dropped->len; i++)
		g_string_append_printf (list, "%s%s", i ? ", " : "",
					(const char *) dropped->pdata[i]);
	g_autofree char *count = g_strdup_printf ("%u", total);
	g_autofree char *max = g_strdup_printf ("%d", d->config->max_ccs);
	g_autofree char *addresses = NULL;

	if (total > dropped->len) {
		g_autofree char *more =
			g_strdup_printf ("%u", total - dropped->len);

		addresses = say (d, TG_PHRASE_CC_DROPPED_MORE, "list",
				 list->str, "count", more, NULL);
	} else {
		addresses = g_strdup (list->str);
	}
	tg_record_warn (d, total == 1 ? TG_PHRASE_WARN_CC_DROPPED_ONE
				      : TG_PHRASE_WARN_CC_DROPPED,
			"count", count, "max", max, "addresses", addresses,
			NULL);
}

/* Most CCs named in a warning; the rest are counted. */
#define MAX_NAMED_DROPPED 20

/*
 * Everyone the sender wrote to besides us follows the ticket, up to
 * [limits] max_ccs with the @have it already has; the rest are dropped
 * and staff are told. (transfer full)
 */
static char **
cc_list (Delivery *d, char **have)
{
	GPtrArray *cc = g_ptr_array_new ();
	g_autoptr (GPtrArray) dropped = g_ptr_array_new ();
	const GPtrArray *lists[] = { d->msg->to, d->msg->cc };
	guint room = d->config->max_ccs - MIN ((guint) d->config->max_ccs,
					       have ? g_strv_length (have) : 0);
	guint total_dropped = 0;

	for (int l = 0; l < 2; l++)
		for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++) {
			const char *a = ((TgAddress *) lists[l]->pdata[i])->addr;

			if (!may_add_cc (d, a, cc, have))
				continue;
			if (cc->len < room) {
				g_ptr_array_add (cc, g_strdup (a));
				continue;
			}
			if (dropped->len < MAX_NAMED_DROPPED)
				g_ptr_array_add (dropped, (gpointer) a);
			total_dropped++;
		}
	warn_dropped (d, dropped, total_dropped);
	g_ptr_array_add (cc, NULL);
	return (char **) g_ptr_array_free (cc, FALSE);
}

/* ---- staff notifications ------------------------------------------- */

/* [mail] staff_address without @except (the staff member who wrote). */
static char **
staff_recipients (const Delivery *d, const char *except)
{
	GPtrArray *list = g_ptr_array_new ();

	for (char **a = d->config->staff_addresses; a && *a; a++)
		if (g_strcmp0 (*a, except) != 0)
			g_ptr_array_add (list, g_strdup (*a));
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

/* "Jane Doe via Example Support": who wrote, and that it came through us. */
static char *
via_name (const Delivery *d)
{
	const char *who = d->msg->from && d->msg->from->name
		? d->msg->from->name
		: d->sender;
	g_autofree char *unknown =
		who == NULL ? say (d, TG_PHRASE_WRITER_UNKNOWN, NULL) : NULL;

	return say (d, TG_PHRASE_FROM_VIA, "writer", who ? who : unknown,
		    "from_name", d->config->from_name, NULL);
}

/* Forwards this mail to staff with @f's facts on top; @f is filled by the
 * caller with the ticket's. */
static gboolean
notify_staff (Delivery *d, TgStore *store, gint64 ticket_id, TgReplyFacts *f,
	      GError **error)
{
	g_auto (GStrv) rcpts = staff_recipients (d, d->sender);
	g_autofree char *from = via_name (d);
	g_autofree char *reply_to = NULL;
	g_autoptr (TgReply) reply = NULL;

	if (rcpts[0] == NULL)
		return TRUE;
	if (!load_calendar (d, error))
		return FALSE;
	f->calendar = d->calendar;
	f->kind = TG_REPLY_NOTIFY;
	f->to_name = NULL;
	f->to_address = rcpts[0];
	f->to_more = (const char *const *) rcpts + 1;
	f->from_name = from;
	f->reply_to = reply_to =
		reply_address_for (d, f->ticket_number, TG_TOKEN_STAFF, NULL);
	reply = tg_replies_build (d->replies, f, error);
	if (reply == NULL)
		return FALSE;
	return queue_outgoing (d, store, ticket_id, TG_KIND_NOTICE, reply,
			       (const char *const *) rcpts, "notify", NULL,
			       error);
}

/* The facts of an existing ticket, for a notification about it. The
 * returned plan and scope borrow from @t. */
static TgReplyFacts
ticket_facts (const Delivery *d, const TgTicket *t, TgPlan *plan,
	      GArray *scope)
{
	TgReplyFacts f = reply_facts (d, TG_REPLY_NOTIFY, t->subject);
	const char *requester = f.requester;

	tg_reply_set_ticket (&f, t, plan, scope);
	if (t->customer_name == NULL)
		f.customer = requester;
	return f;
}

static gboolean
notify_about (Delivery *d, TgStore *store, const char *event, GError **error)
{
	g_autoptr (GArray) scope = g_array_new (FALSE, TRUE,
						sizeof (TgScopeMatch));
	TgPlan plan;
	TgReplyFacts f = ticket_facts (d, d->ticket, &plan, scope);

	f.event = event;
	return notify_staff (d, store, d->ticket->id, &f, error);
}

/* Tells @rcpts (staff) something about this mail; a reply to it is
 * signed for ticket @number and the first recipient, unless 0. */
static gboolean
notice_to (Delivery *d, TgStore *store, gint64 ticket_id, gint64 number,
	   const char *const *rcpts, const char *subject, const char *text,
	   GError **error)
{
	g_autoptr (TgReply) reply = NULL;
	g_autofree char *reply_to = NULL;
	TgReplyFacts f;

	if (rcpts[0] == NULL)
		return TRUE;
	if (!load_calendar (d, error))
		return FALSE;
	f = reply_facts (d, TG_REPLY_STAFF_NOTICE, subject);
	f.to_address = rcpts[0];
	f.to_more = rcpts + 1;
	f.to_name = NULL;
	f.ticket_number = d->ticket_number;
	f.notice = text;
	f.reply_to = reply_to =
		reply_address_for (d, number, TG_TOKEN_PERSON, rcpts[0]);
	reply = tg_replies_build (d->replies, &f, error);
	if (reply == NULL)
		return FALSE;
	return queue_outgoing (d, store, ticket_id, TG_KIND_NOTICE, reply,
			       rcpts, "notice", NULL, error);
}

/* Tells the staff member who wrote why nothing was sent. */
static gboolean
notice (Delivery *d, TgStore *store, gint64 ticket_id, const char *subject,
	const char *text, GError **error)
{
	const char *rcpts[] = { d->sender, NULL };

	return notice_to (d, store, ticket_id, d->ticket_number, rcpts,
			  subject, text, error);
}

/* ---- customer mail ------------------------------------------------- */

/* The plan a new ticket gets: the subscription in force when the mail
 * arrived, else the fallback plan for customers without one (and for
 * unknown senders), whose hourly rate the answer quotes. */
static gboolean
choose_plan (Delivery *d, GError **error)
{
	if (d->who.plan != NULL) {
		d->plan = g_steal_pointer (&d->who.plan);
		return TRUE;
	}
	d->plan = tg_desk_find_plan (d->desk, d->config->fallback_plan);
	if (d->plan == NULL)
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "%s: [policy] fallback_plan: no plan called %s",
			     d->config->path, d->config->fallback_plan);
	return d->plan != NULL;
}

static const char *const *
topic_list (GArray *flags, GPtrArray *out)
{
	for (guint i = 0; i < flags->len; i++)
		g_ptr_array_add (out, (gpointer) g_array_index (
					      flags, TgScopeMatch, i).topic);
	g_ptr_array_add (out, NULL);
	return (const char *const *) out->pdata;
}

static gboolean
answer_new_ticket (Delivery *d, TgStore *store, gint64 id, const char *subject,
		   char **cc, GArray *flags, GError **error)
{
	g_autoptr (TgReply) reply = NULL;
	g_autofree char *reply_to = NULL;
	g_autofree char *event = NULL;
	const char *rcpts[] = { d->reply_address, NULL };
	TgReplyFacts f = reply_facts (d, d->plan->email_support
						 ? TG_REPLY_ACK
						 : TG_REPLY_ACK_PAID,
				      subject);

	f.ticket_number = d->ticket_number;
	f.plan = d->plan;
	f.deadline = d->deadline;
	f.scope = flags;
	f.cc = (const char *const *) cc;
	f.follows_number = d->follows_number;
	if (causes (d, TG_ANSWER_ACK, FALSE)) {
		f.reply_to = reply_to = reply_address_for (
			d, d->ticket_number, TG_TOKEN_PERSON, d->reply_address);
		reply = tg_replies_build (d->replies, &f, error);
		if (reply == NULL)
			return FALSE;
		if (!queue_outgoing (d, store, id, TG_KIND_ACK, reply, rcpts,
				     "ack", NULL, error))
			return FALSE;
	}
	f.event = event = say (d, d->follows_number
					  ? TG_PHRASE_EVENT_NEW_FOLLOWS
					  : TG_PHRASE_EVENT_NEW, NULL);
	return notify_staff (d, store, id, &f, error);
}

static gboolean
open_ticket (Delivery *d, TgStore *store, GError **error)
{
	g_autoptr (GArray) flags = NULL;
	g_autoptr (GPtrArray) topics = g_ptr_array_new ();
	g_auto (GStrv) cc = cc_list (d, NULL);
	g_autofree char *subject = ticket_subject (d);
	g_autofree char *refers = NULL;
	gint64 id = 0;
	TgNewTicket t;

	if (!choose_plan (d, error) || !load_calendar (d, error))
		return FALSE;
	if (d->plan->email_support && d->plan->reaction_minutes > 0)
		d->deadline = tg_calendar_deadline (d->calendar, d->received_at,
						    d->plan->reaction_minutes);
	flags = tg_scope_match (d->scope, d->plan->name, d->msg->subject,
				d->msg->body_text);
	t = (TgNewTicket){
		.requester = d->sender,
		.requester_name = d->msg->from ? d->msg->from->name : NULL,
		.reply_address = d->reply_address,
		.customer_id = d->who.customer_id,
		.subject = subject,
		.priority = d->priority,
		.plan = d->plan,
		.billable = !d->plan->email_support,
		.scope_flags = topic_list (flags, topics),
		.received_at = d->received_at,
		.response_due_at = d->deadline,
		.follows_id = d->follows_id,
		.refers_id = d->refers ? d->refers->id : 0,
	};
	if (d->refers != NULL) {
		refers = g_strdup_printf ("%" G_GINT64_FORMAT,
					  d->refers->number);
		tg_record_warn (d, TG_PHRASE_WARN_REFERS, "number", refers,
				NULL);
	}
	if (!tg_store_create_ticket (store, &t, &id, &d->ticket_number, error) ||
	    !tg_store_add_cc (store, id, (const char *const *) cc, error) ||
	    !store_incoming (d, store, id, TG_KIND_CUSTOMER, NULL, error))
		return FALSE;
	return answer_new_ticket (d, store, id, subject, cc, flags, error);
}

/* With [policy] ack_followups, a follow-up is acknowledged like the
 * first mail, with the ticket's own plan and deadline. */
static gboolean
acknowledge_again (Delivery *d, TgStore *store, GError **error)
{
	const TgTicket *t = d->ticket;
	const char *rcpts[] = { d->reply_address, NULL };
	g_autoptr (GArray) scope = g_array_new (FALSE, TRUE,
						sizeof (TgScopeMatch));
	g_autoptr (TgReply) reply = NULL;
	g_autofree char *reply_to = NULL;
	TgPlan plan;
	TgReplyFacts f;

	if (!load_calendar (d, error))
		return FALSE;
	f = ticket_facts (d, t, &plan, scope);
	f.kind = t->billable ? TG_REPLY_ACK_PAID : TG_REPLY_ACK;
	f.received_at = t->received_at;
	f.scope = NULL;
	f.reply_to = reply_to = reply_address_for (d, t->number,
						   TG_TOKEN_PERSON,
						   d->reply_address);
	reply = tg_replies_build (d->replies, &f, error);
	if (reply == NULL)
		return FALSE;
	return queue_outgoing (d, store, t->id, TG_KIND_ACK, reply, rcpts,
			       "ack", NULL, error);
}

/* The requester may bring more people into the ticket, up to
 * [limits] max_ccs in all. */
static gboolean
add_requester_ccs (Delivery *d, TgStore *store, GError **error)
{
	const TgTicket *t = d->ticket;
	const char *delims = d->config->recipient_delimiter;
	g_auto (GStrv) cc = NULL;

	if (!tg_address_same_person (d->sender, t->requester, delims) &&
	    !tg_address_same_person (d->sender, t->reply_address, delims))
		return TRUE;
	cc = cc_list (d, t->cc);
	return tg_store_add_cc (store, t->id, (const char *const *) cc, error);
}

/* A customer writes again: stored on the ticket, shown to staff; a
 * resolved, pending or recently closed ticket opens again. No new
 * acknowledgment unless [policy] ack_followups says so. */
static gboolean
follow_up (Delivery *d, TgStore *store, GError **error)
{
	TgTicket *t = d->ticket;
	TgStatus next = tg_ticket_after_customer_mail (t->status);
	gboolean reopen = next != t->status;
	g_autofree char *event = NULL;

	if (!tg_store_lock_ticket (store, t->id, error) ||
	    !store_incoming (d, store, t->id, TG_KIND_CUSTOMER, NULL, error) ||
	    !add_requester_ccs (d, store, error))
		return FALSE;
	if (reopen) {
		if (!tg_store_set_ticket_status (store, t->id, next, error))
			return FALSE;
		t->status = next;
	}
	if (causes (d, TG_ANSWER_ACK, FALSE) &&
	    !acknowledge_again (d, store, error))
		return FALSE;
	event = say (d, reopen ? TG_PHRASE_EVENT_FOLLOW_UP_REOPENED
			       : TG_PHRASE_EVENT_FOLLOW_UP, NULL);
	return notify_about (d, store, event, error);
}

static gboolean
reject (Delivery *d, TgStore *store, GError **error)
{
	g_autofree char *subject = ticket_subject (d);
	g_autoptr (TgReply) reply = NULL;
	const char *rcpts[] = { d->reply_address, NULL };
	TgReplyFacts f;

	if (!store_incoming (d, store, 0, TG_KIND_REJECTED, NULL, error))
		return FALSE;
	if (!causes (d, TG_ANSWER_REJECT, FALSE))
		return TRUE;
	/* The answer quotes the fallback plan's rate for paid support. */
	if (!choose_plan (d, error) || !load_calendar (d, error))
		return FALSE;
	f = reply_facts (d, TG_REPLY_REJECT_UNKNOWN, subject);
	f.plan = d->plan;
	reply = tg_replies_build (d->replies, &f, error);
	if (reply == NULL)
		return FALSE;
	return queue_outgoing (d, store, 0, TG_KIND_ACK, reply, rcpts,
			       "reject", NULL, error);
}

/* ---- staff mail ---------------------------------------------------- */

/* Priority and assignee from the command block; the status is set last
 * by the caller, so that it wins over the first response's "open". */
static gboolean
apply_commands (Delivery *d, TgStore *store, GError **error)
{
	const TgCommands *c = d->commands;
	gint64 id = d->ticket->id;

	if (c->has_priority &&
	    !tg_store_set_ticket_priority (store, id, c->priority, error))
		return FALSE;
	if (c->assign != NULL &&
	    !tg_store_set_ticket_assignee (store, id, c->assign, error))
		return FALSE;
	return TRUE;
}

static gboolean
apply_status (Delivery *d, TgStore *store, GError **error)
{
	if (!d->commands->has_status)
		return TRUE;
	return tg_store_set_ticket_status (store, d->ticket->id,
					   d->commands->status, error);
}

/* The customer's side of a ticket: the reply address and the CCs, none
 * of them ours. */
static char **
customer_recipients (const Delivery *d)
{
	const TgTicket *t = d->ticket;
	GPtrArray *list = g_ptr_array_new ();

	if (!tg_decide_is_own_address (d->config, t->reply_address))
		g_ptr_array_add (list, g_strdup (t->reply_address));
	for (char **c = t->cc; c && *c; c++)
		if (!tg_decide_is_own_address (d->config, *c) &&
		    !has_address (list, *c))
			g_ptr_array_add (list, g_strdup (*c));
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

/* "Alice Smith (Example Support)": the name the desk keeps for the
 * staff member, never one the mail brought along. */
static char *
staff_from_name (const Delivery *d)
{
	const char *who = d->who.staff_name;

	if (who == NULL || *who == '\0')
		return g_strdup (d->config->from_name);
	return g_strdup_printf ("%s (%s)", who, d->config->from_name);
}

/* Tells the staff member whose reply was relayed which recipients were
 * over their caps (d->held from @first on): the requester got it all
 * the same, the CCs did not. */
static gboolean
notice_relay_held (Delivery *d, TgStore *store, guint first, GError **error)
{
	g_autoptr (GString) held = g_string_new (NULL);
	g_autofree char *text = NULL;
	g_autofree char *subject = NULL;

	if (first >= d->held->len)
		return TRUE;
	for (guint i = first; i < d->held->len; i++)
		g_string_append_printf (held, "%s  %s", held->len ? "\n" : "",
					(const char *) d->held->pdata[i]);
	text = say (d, TG_PHRASE_RELAY_LIMITS, "held", held->str, NULL);
	subject = say (d, TG_PHRASE_RELAY_LIMITS_SUBJECT, "subject",
		       d->msg->subject, NULL);
	return notice (d, store, d->ticket->id, subject, text, error);
}


static gboolean
relay (Delivery *d, TgStore *store, GError **error)
{
	const TgTicket *t = d->ticket;
	g_auto (GStrv) rcpts = customer_recipients (d);
	g_autofree char *from = staff_from_name (d);
	g_autofree char *subject = g_strdup_printf ("Re: %s", t->subject);
	g_autofree char *reply_to = NULL;
	g_autoptr (TgReply) reply = NULL;
	guint held;
	TgReplyFacts f;

	if (rcpts[0] == NULL)
		return TRUE;
	if (!load_calendar (d, error))
		return FALSE;
	f = reply_facts (d, TG_REPLY_NOTIFY, subject);
	f.ticket_number = t->number;
	f.to_name = t->requester_name != NULL &&
				    g_strcmp0 (rcpts[0], t->requester) == 0
			    ? t->requester_name
			    : NULL;
	f.to_address = rcpts[0];
	f.to_more = (const char *const *) rcpts + 1;
	f.from_name = from;
	f.in_reply_to = t->last_message_id;
	f.references = t->references;
	f.reply_to = reply_to = reply_address_for (d, t->number,
						   TG_TOKEN_PERSON, rcpts[0]);
	reply = tg_replies_build_relay (
		d->replies, &f, d->spool, (const char *const *) d->commands->lines->pdata,
		subject, error);
	if (reply == NULL)
		return FALSE;
	held = d->held->len;
	return queue_outgoing (d, store, t->id, TG_KIND_RELAY, reply,
			       (const char *const *) rcpts, "relay",
			       t->reply_address, error) &&
	       notice_relay_held (d, store, held, error);
}

/* A staff answer to the customer: the first one is the ticket's first
 * response, and opens a new ticket (ticket.h). */
static gboolean
record_answer (Delivery *d, TgStore *store, GError **error)
{
	TgTicket *t = d->ticket;
	g_autoptr (GDateTime) first =
		tg_ticket_first_response (t->first_response_at, d->received_at);
	TgStatus next = tg_ticket_after_staff_answer (t->status);

	if (!tg_store_record_first_response (store, t->id, first, error))
		return FALSE;
	if (next != t->status &&
	    !tg_store_set_ticket_status (store, t->id, next, error))
		return FALSE;
	t->status = next;
	return TRUE;
}

/* A staff answer: stored, commands applied, relayed to the customer; the
 * first one is the ticket's first response. */
static gboolean
staff_reply (Delivery *d, TgStore *store, GError **error)
{
	gint64 id = d->ticket->id;

	return tg_store_lock_ticket (store, id, error) &&
	       store_incoming (d, store, id, TG_KIND_STAFF, NULL, error) &&
	       apply_commands (d, store, error) && relay (d, store, error) &&
	       record_answer (d, store, error) && apply_status (d, store, error);
}

/* A note for staff only: never relayed, never a first response. */
static gboolean
comment (Delivery *d, TgStore *store, GError **error)
{
	g_autofree char *event =
		say (d, TG_PHRASE_EVENT_COMMENT, "sender", d->sender, NULL);

	return tg_store_lock_ticket (store, d->ticket->id, error) &&
	       store_incoming (d, store, d->ticket->id, TG_KIND_COMMENT, NULL,
			       error) &&
	       apply_commands (d, store, error) &&
	       apply_status (d, store, error) &&
	       notify_about (d, store, event, error);
}

/* "#1000", or the phrase for no ticket. */
static char *
ticket_name (const Delivery *d, const TgTicket *t)
{
	if (t == NULL)
		return say (d, TG_PHRASE_TICKET_NONE, NULL);
	return g_strdup_printf ("#%" G_GINT64_FORMAT, t->number);
}

/* A bad command block: the mail is kept, nothing is applied or relayed,
 * and its writer is told why. */
static gboolean
refuse (Delivery *d, TgStore *store, GError **error)
{
	g_autofree char *number = ticket_name (d, d->ticket);
	g_autofree char *text = say (d, TG_PHRASE_REFUSED, "ticket", number,
				     "problem", d->refusal, NULL);
	g_autofree char *subject = say (d, TG_PHRASE_NOT_SENT_SUBJECT,
					"subject", d->msg->subject, NULL);
	gint64 id = d->ticket ? d->ticket->id : 0;

	d->ticket_number = d->ticket ? d->ticket->number : 0;
	return store_incoming (d, store, id, TG_KIND_STAFF, d->refusal,
			       error) &&
	       notice (d, store, id, subject, text, error);
}

static gboolean
staff_alone (Delivery *d, TgStore *store, GError **error)
{
	g_autofree char *subject = say (d, TG_PHRASE_NOT_SENT_SUBJECT,
					"subject", d->msg->subject, NULL);
	g_autofree char *text = say (d, TG_PHRASE_NO_TICKET, NULL);
	g_autofree char *note = say (d, TG_PHRASE_NOTE_NO_TICKET, NULL);

	return store_incoming (d, store, 0,
			       d->to_comment ? TG_KIND_COMMENT : TG_KIND_STAFF,
			       note, error) &&
	       notice (d, store, 0, subject, text, error);
}

/*
 * Mail from a staff address that proved nothing (doc/SECURITY.md): kept
 * on the ticket it named as held, with nothing relayed, applied or
 * counted as a response. Staff hear of it once, at the staff list (or
 * the address it claimed, without one): never its writer, who may be
 * anyone. The notice is not signed: a reply to it proves nothing.
 */
static gboolean
staff_held (Delivery *d, TgStore *store, GError **error)
{
	const TgTicket *t = d->ticket ? d->ticket : d->refers;
	g_auto (GStrv) list = staff_recipients (d, NULL);
	const char *self[] = { d->sender, NULL };
	const char *const *rcpts =
		list[0] != NULL ? (const char *const *) list : self;
	g_autofree char *why = say (
		d, TG_PHRASE_HELD_WHY, "sender", d->sender, "evidence",
		d->auth.evidence && *d->auth.evidence
			? d->auth.evidence
			: tg_authres_verdict_to_string (d->auth.verdict), NULL);
	g_autofree char *number = ticket_name (d, t);
	g_autofree char *unknown = d->envelope_sender == NULL
		? say (d, TG_PHRASE_SENDER_UNKNOWN, NULL)
		: NULL;
	g_autofree char *text = say (
		d, TG_PHRASE_HELD, "ticket", number, "subject",
		d->msg->subject, "envelope_sender",
		d->envelope_sender ? d->envelope_sender : unknown, "why", why, NULL);
	g_autofree char *subject = say (d, TG_PHRASE_HELD_SUBJECT, "subject",
					d->msg->subject, NULL);
	gint64 id = t ? t->id : 0;

	d->ticket_number = t ? t->number : 0;
	return store_incoming (d, store, id, TG_KIND_HELD, why, error) &&
	       notice_to (d, store, id, 0, rcpts, subject, text, error);
}

/* ---- machine mail -------------------------------------------------- */

static gboolean
was_sent_to (const Delivery *d, char **rcpts, const char *addr)
{
	for (char **r = rcpts; r != NULL && *r != NULL; r++)
		if (tg_address_same_person (*r, addr,
					    d->config->recipient_delimiter))
			return TRUE;
	return FALSE;
}

/*
 * A delivery status notification about a mail of ours stops automatic
 * mail to each address it says failed, provided that address was among
 * the mail's recipients: a forged report cannot silence a customer.
 */
static gboolean
mark_bounces (Delivery *d, TgStore *store, GError **error)
{
	const TgDsn *dsn = d->msg->dsn;
	g_auto (GStrv) rcpts = NULL;
	gboolean found = FALSE;
	gint64 ticket_id = 0;

	if (dsn == NULL || dsn->original_message_id == NULL ||
	    g_strcmp0 (dsn->action, "failed") != 0)
		return TRUE;
	if (!tg_store_find_sent (store, dsn->original_message_id, &found,
				 &ticket_id, &rcpts, error))
		return FALSE;
	for (guint i = 0; found && i < dsn->final_recipients->len; i++) {
		const char *addr = dsn->final_recipients->pdata[i];
		g_autofree char *key = tg_address_canonical (
			addr, d->config->recipient_delimiter);

		if (key == NULL || !was_sent_to (d, rcpts, addr))
			continue;
		if (!tg_store_mark_bouncing (store, key, ticket_id,
					     dsn->status, error))
			return FALSE;
		g_ptr_array_add (d->held,
				 g_strdup_printf ("bouncing-now:%s", addr));
	}
	return TRUE;
}

/* Machine mail is stored on its ticket (or alone), never answered and
 * never reopens anything; staff hear of it on a ticket at most once per
 * [policy] machine_notify_interval. Our own mail coming back is only
 * stored. */
static gboolean
machine (Delivery *d, TgStore *store, GError **error)
{
	gint64 id = d->ticket != NULL ? d->ticket->id : 0;
	g_autofree char *event = NULL;
	gboolean noticed = FALSE;

	if (!store_incoming (d, store, id, TG_KIND_MACHINE, NULL, error) ||
	    !mark_bounces (d, store, error))
		return FALSE;
	if (!causes (d, TG_ANSWER_NOTIFY, FALSE))
		return TRUE;
	if (!tg_store_machine_noticed (store, id,
				       d->config->machine_notify_interval,
				       &noticed, error))
		return FALSE;
	if (!causes (d, TG_ANSWER_NOTIFY, noticed))
		return TRUE;
	event = say (d, d->msg->dsn != NULL ? TG_PHRASE_EVENT_DSN
					    : TG_PHRASE_EVENT_MACHINE, NULL);
	return notify_about (d, store, event, error);
}

gboolean
tg_record_action (Delivery *d, TgStore *store, GError **error)
{
	if (d->ticket != NULL)
		d->ticket_number = d->ticket->number;
	switch (d->action) {
	case TG_ACTION_NEW_TICKET:
		return open_ticket (d, store, error);
	case TG_ACTION_FOLLOW_UP:
		return follow_up (d, store, error);
	case TG_ACTION_STAFF_REPLY:
		return staff_reply (d, store, error);
	case TG_ACTION_COMMENT:
		return comment (d, store, error);
	case TG_ACTION_STAFF_REFUSED:
		return refuse (d, store, error);
	case TG_ACTION_STAFF_ALONE:
		return staff_alone (d, store, error);
	case TG_ACTION_STAFF_HELD:
		return staff_held (d, store, error);
	case TG_ACTION_MACHINE:
		return machine (d, store, error);
	case TG_ACTION_REJECTED:
		return reject (d, store, error);
	case TG_ACTION_DUPLICATE:
		break;
	}
	return TRUE;
}
