/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * decide: what deliver does with one mail, from plain facts: who wrote
 * it, which of the candidate tickets it joins, the action, and which
 * answers that action sends. Pure (no database, no MIME tree), so that
 * deliver and the fuzzer's in-memory pipeline run the same decisions,
 * the one fed from PostgreSQL, the other from fixtures.
 */
#pragma once

#include <glib.h>

#include "classify.h"
#include "settings.h"
#include "message.h"
#include "store.h"
#include "trust.h"

typedef enum {
	TG_ACTION_NEW_TICKET,	 /* a customer (or anyone) opens a ticket */
	TG_ACTION_FOLLOW_UP,	 /* a customer writes to an open ticket */
	TG_ACTION_STAFF_REPLY,	 /* staff answer: relayed to the customer */
	TG_ACTION_COMMENT,	 /* staff note: to other staff only */
	TG_ACTION_STAFF_REFUSED, /* staff mail with a bad command block */
	TG_ACTION_STAFF_ALONE,	 /* staff mail that matches no ticket */
	TG_ACTION_STAFF_HELD,	 /* from a staff address, proving nothing */
	TG_ACTION_MACHINE,	 /* stored, never answered */
	TG_ACTION_REJECTED,	 /* unknown sender under "reject", or none */
	TG_ACTION_DUPLICATE,	 /* stored already */
} TgAction;

/* tg_action_name: (transfer none): the action's name in the log line
 * ("new-ticket", ...). */
const char *tg_action_name (TgAction action);

/*
 * tg_decide_addresses: who wrote (From, else the envelope sender, when
 * deliverable; NULL: nobody to answer) and where answers go (Reply-To
 * where @policy allows it). @sender_out, @reply_out: (transfer full)
 * (nullable). @ignored_out: (transfer none) (nullable): a Reply-To not
 * taken, borrowed from @msg.
 */
void tg_decide_addresses (const TgMessage *msg, const char *envelope_sender,
			  TgReplyToPolicy policy, char **sender_out,
			  char **reply_out, const char **ignored_out);

/*
 * tg_decide_is_own_address: whether @addr (nullable) is one of ours: the
 * support, comment or bounce address, with or without an extension (a
 * signed reply address is one), or a configured staff address. Mail to
 * them is never an answer to a customer.
 */
gboolean tg_decide_is_own_address (const TgSettings *c, const char *addr);

/* What threading and the action need to know of the writer. */
typedef struct {
	const char *sender;	  /* nullable: nobody to answer */
	gint64 customer_id;	  /* 0: none */
	const char *delimiters;	  /* [mail] recipient_delimiter */
	gboolean staff_claimed;	  /* From is a staff address */
	TgStaffProof staff_proof; /* ... and how it proved it */
	gint64 token_ticket;	  /* 0, or the ticket a signed address of
				     the envelope recipient names */
	TgTokenMatch token_match; /* what that token proves */
	TgMachineReason machine;
} TgWriter;

/* References taken into account when threading. */
#define TG_DECIDE_MAX_THREAD_IDS 50
/* Tickets that the Message-IDs of one mail may lead to. */
#define TG_DECIDE_MAX_THREAD_TICKETS 5

/*
 * tg_decide_thread_ids: (transfer full): the Message-IDs that may lead
 * @msg to a ticket (char *, tg_thread_candidate_ids() of In-Reply-To
 * and References, at most TG_DECIDE_MAX_THREAD_IDS), and last the one a
 * delivery report names: it counts most.
 */
GPtrArray *tg_decide_thread_ids (const TgMessage *msg);

/* How the ticket was found (the log's threaded_by). */
typedef enum {
	TG_THREAD_NONE,	      /* no candidate */
	TG_THREAD_TOKEN,      /* the signed reply address */
	TG_THREAD_MESSAGE_ID, /* In-Reply-To, References, a bounce's */
	TG_THREAD_TAG,	      /* the subject tag */
	TG_THREAD_REFUSED,    /* candidates, none the mail may join */
} TgThreadedBy;

/* tg_threaded_by_name: (transfer none) (nullable): "token", ...; NULL for
 * TG_THREAD_NONE. */
const char *tg_threaded_by_name (TgThreadedBy how);

/*
 * tg_decide_may_write: whether the mail of @w may join @t: through a
 * token issued for it, from proven staff, or from one of its people
 * (doc/SECURITY.md).
 */
gboolean tg_decide_may_write (const TgWriter *w, const TgTicket *t);

/*
 * tg_decide_thread: which of @candidates (strongest first: @n_token from
 * the signed address, then @n_ids from Message-IDs, then the tag's) the
 * mail joins: the first it may write to; machine mail joins the ticket
 * its ids lead to, never one of the tag alone. Returns the index, or -1;
 * @how_out says how, TG_THREAD_REFUSED when there were candidates and
 * none was joined (the caller may name the first).
 */
int tg_decide_thread (const TgWriter *w, const TgTicket *const *candidates,
		      guint n, guint n_token, guint n_ids,
		      TgThreadedBy *how_out);

/* The facts the action depends on. */
typedef struct {
	gboolean is_duplicate;	/* the mail is stored already */
	const TgTicket *ticket; /* nullable: the ticket it joins */
	gboolean refused;	/* staff: the command block is bad */
	gboolean internal;	/* staff: to the comment address, or
				   #internal */
	GDateTime *received_at;
	int reopen_days;	 /* [policy] reopen_days */
	gboolean reject_unknown; /* [policy] unknown_sender = reject */
} TgActionFacts;

/* What to do with the mail. */
typedef struct {
	TgAction action;
	gboolean follows; /* the ticket was closed too long ago: a new
			     ticket that names it, not a follow-up */
} TgDecision;

/* tg_decide_action: the action for a mail of @w with @f. */
TgDecision tg_decide_action (const TgWriter *w, const TgActionFacts *f);

/* Answers an action causes (tg_decide_answers). */
typedef enum {
	TG_ANSWER_ACK = 1 << 0,		  /* to the writer: a new ticket,
					     or again with ack_followups */
	TG_ANSWER_NOTIFY = 1 << 1,	  /* the mail forwarded to staff */
	TG_ANSWER_RELAY = 1 << 2,	  /* a staff reply to the customer */
	TG_ANSWER_NOTICE_WRITER = 1 << 3, /* why nothing was sent, to the
					     staff member who wrote */
	TG_ANSWER_NOTICE_STAFF = 1 << 4,  /* held staff mail, to staff */
	TG_ANSWER_REJECT = 1 << 5,	  /* to an unknown sender */
} TgAnswers;

/* The facts the answers depend on besides the action. */
typedef struct {
	gboolean may_answer;	/* a reply address that is not ours */
	gboolean ack_followups; /* [policy] ack_followups */
	gboolean has_sender;
	gboolean has_ticket;	  /* machine mail: stored on a ticket */
	gboolean machine_own;	  /* machine mail: our own, come back */
	gboolean machine_noticed; /* machine mail: staff heard of this
				     ticket's within the interval */
} TgAnswerFacts;

/*
 * tg_decide_answers: the answers @action causes (TgAnswers bits). Who
 * gets each (staff other than the writer, the customer's side, and the
 * caps that may hold one back) is for the caller.
 */
guint tg_decide_answers (TgAction action, const TgAnswerFacts *f);
