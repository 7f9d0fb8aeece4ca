/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * decide: deliver's decisions as pure functions of plain facts: the
 * writer's addresses, the ticket a mail joins, the action and the answers
 * it causes. What the database knows arrives as arguments; nothing here
 * reads or writes anything.
 */
#include "decide.h"

#include "address.h"
#include "thread.h"
#include "ticket.h"

static const char *const action_names[] = {
	[TG_ACTION_NEW_TICKET] = "new-ticket",
	[TG_ACTION_FOLLOW_UP] = "follow-up",
	[TG_ACTION_STAFF_REPLY] = "staff-reply",
	[TG_ACTION_COMMENT] = "comment",
	[TG_ACTION_STAFF_REFUSED] = "staff-refused",
	[TG_ACTION_STAFF_ALONE] = "staff-no-ticket",
	[TG_ACTION_STAFF_HELD] = "staff-held",
	[TG_ACTION_MACHINE] = "machine",
	[TG_ACTION_REJECTED] = "rejected",
	[TG_ACTION_DUPLICATE] = "duplicate",
};

static const char *const threaded_by_names[] = {
	[TG_THREAD_NONE] = NULL,
	[TG_THREAD_TOKEN] = "token",
	[TG_THREAD_MESSAGE_ID] = "message-id",
	[TG_THREAD_TAG] = "tag",
	[TG_THREAD_REFUSED] = "refused",
};

const char *
tg_action_name (TgAction action)
{
	g_return_val_if_fail ((guint)action < G_N_ELEMENTS (action_names),
			      "unknown");
	return action_names[action];
}

const char *
tg_threaded_by_name (TgThreadedBy how)
{
	g_return_val_if_fail ((guint)how < G_N_ELEMENTS (threaded_by_names),
			      NULL);
	return threaded_by_names[how];
}

void
tg_decide_addresses (const TgMessage *msg, const char *envelope_sender,
		     TgReplyToPolicy policy, char **sender_out,
		     char **reply_out, const char **ignored_out)
{
	const char *reply_to = NULL;
	const char *ignored = NULL;
	char *sender = NULL;

	g_return_if_fail (msg != NULL && sender_out != NULL &&
			  reply_out != NULL);
	reply_to = msg->reply_to != NULL ? msg->reply_to->addr : NULL;
	/* No From, or one nobody could answer: the envelope sender. */
	if (msg->from != NULL && tg_address_is_deliverable (msg->from->addr))
		sender = g_strdup (msg->from->addr);
	else if (envelope_sender != NULL &&
		 tg_address_is_deliverable (envelope_sender))
		sender = g_ascii_strdown (envelope_sender, -1);
	*reply_out = g_strdup (
		tg_trust_reply_address (policy, sender, reply_to, &ignored));
	*sender_out = sender;
	if (ignored_out != NULL)
		*ignored_out = ignored;
}

/* Our addresses, with or without an extension (a signed reply address
 * is one of them). */
gboolean
tg_decide_is_own_address (const TgSettings *c, const char *addr)
{
	const char *ours[] = {c->support_address, c->comment_address,
			      c->bounce_address};
	const char *delims = c->recipient_delimiter;

	if (addr == NULL)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS (ours); i++)
		if (g_strcmp0 (addr, ours[i]) == 0 ||
		    tg_address_same_person (addr, ours[i], delims))
			return TRUE;
	return tg_settings_is_staff_address (c, addr);
}

gboolean
tg_decide_may_write (const TgWriter *w, const TgTicket *t)
{
	g_return_val_if_fail (w != NULL && t != NULL, FALSE);
	if (w->token_ticket != 0 && w->token_ticket == t->number &&
	    w->token_match != TG_TOKEN_MATCH_NONE)
		return TRUE;
	if (w->staff_claimed)
		return w->staff_proof != TG_STAFF_UNPROVEN;
	return tg_trust_is_ticket_person (t, w->sender, w->customer_id,
					  w->delimiters);
}

GPtrArray *
tg_decide_thread_ids (const TgMessage *msg)
{
	GPtrArray *ids;

	g_return_val_if_fail (msg != NULL, NULL);
	ids = tg_thread_candidate_ids (msg->in_reply_to, msg->references,
				       TG_DECIDE_MAX_THREAD_IDS);
	if (msg->dsn != NULL && msg->dsn->original_message_id != NULL)
		g_ptr_array_add (ids, g_strdup (msg->dsn->original_message_id));
	return ids;
}

static TgThreadedBy
how_found (guint n_token, guint n_ids, guint i)
{
	return i < n_token	     ? TG_THREAD_TOKEN
	       : i < n_token + n_ids ? TG_THREAD_MESSAGE_ID
				     : TG_THREAD_TAG;
}

int
tg_decide_thread (const TgWriter *w, const TgTicket *const *candidates, guint n,
		  guint n_token, guint n_ids, TgThreadedBy *how_out)
{
	g_return_val_if_fail (w != NULL && how_out != NULL, -1);
	g_return_val_if_fail (candidates != NULL || n == 0, -1);
	for (guint i = 0; i < n; i++) {
		/* A bounce names our mail: it belongs where its ids lead,
		 * but a tag alone proves nothing of a robot. */
		gboolean machine_by_id =
			w->machine != TG_MACHINE_NONE && i < n_token + n_ids;

		if (machine_by_id || tg_decide_may_write (w, candidates[i])) {
			*how_out = how_found (n_token, n_ids, i);
			return (int)i;
		}
	}
	*how_out = n > 0 ? TG_THREAD_REFUSED : TG_THREAD_NONE;
	return -1;
}

/* Whether a follow-up to @t is so late that it starts a new ticket. */
static gboolean
is_long_closed (const TgActionFacts *f, const TgTicket *t)
{
	return tg_ticket_is_long_closed (t->status, t->closed_at,
					 f->received_at, f->reopen_days);
}

static TgAction
staff_action (const TgWriter *w, const TgActionFacts *f)
{
	if (w->staff_proof == TG_STAFF_UNPROVEN)
		return TG_ACTION_STAFF_HELD;
	if (f->ticket == NULL)
		return TG_ACTION_STAFF_ALONE;
	if (f->refused)
		return TG_ACTION_STAFF_REFUSED;
	return f->internal ? TG_ACTION_COMMENT : TG_ACTION_STAFF_REPLY;
}

TgDecision
tg_decide_action (const TgWriter *w, const TgActionFacts *f)
{
	TgDecision d = {TG_ACTION_NEW_TICKET, FALSE};

	g_return_val_if_fail (w != NULL && f != NULL, d);
	if (f->is_duplicate)
		d.action = TG_ACTION_DUPLICATE;
	else if (w->machine != TG_MACHINE_NONE)
		d.action = TG_ACTION_MACHINE;
	else if (w->staff_claimed)
		d.action = staff_action (w, f);
	else if (w->sender == NULL)
		d.action = TG_ACTION_REJECTED;
	else if (f->ticket != NULL && !is_long_closed (f, f->ticket))
		d.action = TG_ACTION_FOLLOW_UP;
	else {
		/* Too late to reopen: a new ticket that names the old one,
		 * under the plan in force now. */
		d.follows = f->ticket != NULL;
		if (w->customer_id == 0 && f->reject_unknown)
			d.action = TG_ACTION_REJECTED;
	}
	return d;
}

guint
tg_decide_answers (TgAction action, const TgAnswerFacts *f)
{
	g_return_val_if_fail (f != NULL, 0);
	switch (action) {
	case TG_ACTION_NEW_TICKET:
		return (f->may_answer ? TG_ANSWER_ACK : 0) | TG_ANSWER_NOTIFY;
	case TG_ACTION_FOLLOW_UP:
		return (f->may_answer && f->ack_followups ? TG_ANSWER_ACK : 0) |
		       TG_ANSWER_NOTIFY;
	case TG_ACTION_STAFF_REPLY:
		return TG_ANSWER_RELAY;
	case TG_ACTION_COMMENT:
		return TG_ANSWER_NOTIFY;
	case TG_ACTION_STAFF_REFUSED:
	case TG_ACTION_STAFF_ALONE:
		return TG_ANSWER_NOTICE_WRITER;
	case TG_ACTION_STAFF_HELD:
		return TG_ANSWER_NOTICE_STAFF;
	case TG_ACTION_MACHINE:
		/* Never answered; staff hear of it on its ticket, at most
		 * once an interval, and never of our own mail. */
		return f->has_ticket && !f->machine_own && !f->machine_noticed
			       ? TG_ANSWER_NOTIFY
			       : 0;
	case TG_ACTION_REJECTED:
		return f->has_sender && f->may_answer ? TG_ANSWER_REJECT : 0;
	case TG_ACTION_DUPLICATE:
		return 0;
	}
	return 0;
}
