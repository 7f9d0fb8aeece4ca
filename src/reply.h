/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * reply: the answers deliver sends in its own name (acknowledgments, the
 * answer to unknown senders): their templates, the values of every
 * placeholder, the deadline explained in words, and the finished mail.
 * Every word of them comes from the templates folder: the mail templates
 * and phrases.txt, whose phrases other modules use through this one.
 * Policy layer: uses calendar, template and compose; no database.
 */
#pragma once

#include <glib.h>

#include "calendar.h"
#include "compose.h"
#include "settings.h"
#include "message.h"
#include "priority.h"
#include "store.h"
#include "template.h"

#define TG_REPLY_ERROR (tg_reply_error_quark ())
GQuark tg_reply_error_quark (void);

typedef enum {
	TG_REPLY_ERROR_INVALID, /* a template names a reserved header */
} TgReplyError;

typedef enum {
	TG_REPLY_ACK,            /* new ticket under a plan with a deadline */
	TG_REPLY_ACK_PAID,       /* new ticket without e-mail support */
	TG_REPLY_REJECT_UNKNOWN, /* [policy] unknown_sender = reject */
	TG_REPLY_NOTIFY,         /* customer mail or a comment, to staff */
	TG_REPLY_STAFF_NOTICE,   /* ticketgate tells a staff member something */
	TG_REPLY_WARN,           /* a deadline draws near, to staff */
	TG_REPLY_BREACH,         /* a deadline passed unanswered, to staff */
	TG_REPLY_DAILY,          /* the morning queue, to staff */
	TG_REPLY_N_KINDS,
} TgReplyKind;

typedef struct _TgReplies TgReplies;

/*
 * The phrases of phrases.txt (doc/ticketgate.conf.5), by the id the code
 * knows them by. Lists are marked; the rest are texts.
 */
typedef enum {
	TG_PHRASE_WEEKDAYS,	    /* list of 7, Monday first */
	TG_PHRASE_WEEKDAYS_SHORT,   /* list of 7 */
	TG_PHRASE_MONTHS,	    /* list of 12 */
	TG_PHRASE_MONTHS_SHORT,	    /* list of 12 */
	TG_PHRASE_DATE,
	TG_PHRASE_DATE_TIME,
	TG_PHRASE_DATE_SHORT,
	TG_PHRASE_HOURS,
	TG_PHRASE_DAYS_EVERY,
	TG_PHRASE_DAYS_RANGE,
	TG_PHRASE_DAYS_LIST,
	TG_PHRASE_DAYS_LIST_LAST,
	TG_PHRASE_OUTSIDE_HOURS,
	TG_PHRASE_CARRIES_OVER,
	TG_PHRASE_HOLIDAY,
	TG_PHRASE_HOLIDAY_UNNAMED,
	TG_PHRASE_REACTION_HOUR,
	TG_PHRASE_REACTION_HOURS,
	TG_PHRASE_REACTION_MINUTES,
	TG_PHRASE_REACTION_NONE,
	TG_PHRASE_DEADLINE_NONE,
	TG_PHRASE_PLAN_NONE,
	TG_PHRASE_PRIORITIES,	    /* list of 3: high, medium, low */
	TG_PHRASE_SCOPE_NOTE,
	TG_PHRASE_SCOPE_TOPIC,
	TG_PHRASE_SCOPE_TOPICS_MORE,
	TG_PHRASE_PAID_REASON,
	TG_PHRASE_PAID_REASON_UNKNOWN,
	TG_PHRASE_WARNING,
	TG_PHRASE_ATTACHMENT_TOO_LARGE,
	TG_PHRASE_ATTACHMENT_UNNAMED,
	/* What deliver tells staff (record.c, deliver.c). */
	TG_PHRASE_NO_SUBJECT,
	TG_PHRASE_WARN_BAD_SIGNATURE,
	TG_PHRASE_WARN_REPLY_TO_IGNORED,
	TG_PHRASE_WARN_SENDER_UNVERIFIED,
	TG_PHRASE_WARN_CC_DROPPED_ONE,
	TG_PHRASE_WARN_CC_DROPPED,
	TG_PHRASE_CC_DROPPED_MORE,
	TG_PHRASE_WARN_REFERS,
	TG_PHRASE_EVENT_NEW,
	TG_PHRASE_EVENT_NEW_FOLLOWS,
	TG_PHRASE_EVENT_FOLLOW_UP,
	TG_PHRASE_EVENT_FOLLOW_UP_REOPENED,
	TG_PHRASE_EVENT_COMMENT,
	TG_PHRASE_EVENT_DSN,
	TG_PHRASE_EVENT_MACHINE,
	TG_PHRASE_FROM_VIA,
	TG_PHRASE_WRITER_UNKNOWN,
	TG_PHRASE_RELAY_LIMITS_SUBJECT,
	TG_PHRASE_RELAY_LIMITS,
	TG_PHRASE_NOT_SENT_SUBJECT,
	TG_PHRASE_REFUSED,
	TG_PHRASE_TICKET_NONE,
	TG_PHRASE_COMMAND_UNKNOWN,
	TG_PHRASE_COMMAND_BAD_STATUS,
	TG_PHRASE_COMMAND_BAD_PRIORITY,
	TG_PHRASE_COMMAND_BAD_ASSIGN,
	TG_PHRASE_COMMAND_NOT_STAFF,
	TG_PHRASE_NO_TICKET,
	TG_PHRASE_NOTE_NO_TICKET,
	TG_PHRASE_HELD_SUBJECT,
	TG_PHRASE_HELD_WHY,
	TG_PHRASE_HELD,
	TG_PHRASE_SENDER_UNKNOWN,
	/* The morning queue (escalate.c) and the SLA report (report.c). */
	TG_PHRASE_QUEUE_PAID,
	TG_PHRASE_LATE_LINE,
	TG_PHRASE_REPORT_LANGUAGE,
	TG_PHRASE_REPORT_HEADING,
	TG_PHRASE_REPORT_ALL_CUSTOMERS,
	TG_PHRASE_REPORT_HOURS,
	TG_PHRASE_REPORT_NOTE,
	TG_PHRASE_REPORT_COLUMNS,	/* list of 9 */
	TG_PHRASE_REPORT_TOTAL,
	TG_PHRASE_REPORT_LATE_COUNT,
	TG_PHRASE_REPORT_LATE_COLUMNS, /* list of 7 */
	TG_PHRASE_REPORT_LATE_BY,
	TG_PHRASE_REPORT_PAST_DUE_BY,
	TG_PHRASE_REPORT_SEGMENTS,	/* list of 4 */
	TG_PHRASE_REPORT_CHART,
	TG_PHRASE_REPORT_HTML_COLUMNS, /* list of 9 */
	TG_PHRASE_REPORT_HTML_LATE_COLUMNS, /* list of 7 */
	TG_PHRASE_N,
} TgPhrase;

/* tg_reply_placeholders: every placeholder name a template may use. */
extern const char *const tg_reply_placeholders[];

/*
 * tg_replies_load: reads ack.txt, ack-paid.txt, reject-unknown.txt,
 * notify.txt, staff-notice.txt, warn.txt, breach.txt, daily.txt and
 * phrases.txt from @directory and checks every placeholder and header,
 * and that phrases.txt has every phrase.
 * Returns: (transfer full): the set, or NULL with a TG_TEMPLATE_ERROR or
 * TG_REPLY_ERROR naming the file.
 */
TgReplies *tg_replies_load (const char *directory, GError **error)
	G_GNUC_WARN_UNUSED_RESULT;

/* tg_replies_free: NULL is allowed. */
void tg_replies_free (TgReplies *replies);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgReplies, tg_replies_free)

/* tg_replies_get_phrases: (transfer none): the phrases of phrases.txt,
 * by TgPhrase id, for tg_phrases_*() (template.h). */
const TgPhrases *tg_replies_get_phrases (const TgReplies *replies);

/*
 * tg_replies_phrase: (transfer full): phrase @id filled from the
 * placeholder name, value pairs that follow (NULL-terminated), without a
 * final line break.
 */
char *tg_replies_phrase (const TgReplies *replies,
			 TgPhrase id,
			 ...) G_GNUC_NULL_TERMINATED;

/* tg_replies_item: (transfer none): item @n (from 0) of list @id. */
const char *tg_replies_item (const TgReplies *replies, TgPhrase id, guint n);

/* tg_replies_compose_words: the words compose writes itself, borrowed
 * from @replies. */
TgComposeWords tg_replies_compose_words (const TgReplies *replies);

/* tg_reply_format_priority: (transfer full): @priority in the words of
 * phrases.txt (the list priorities); "-" for none. */
char *tg_reply_format_priority (const TgReplies *replies,
				TgPriority priority);

/*
 * tg_reply_pad: (transfer full): @text padded with blanks to @width
 * characters (not bytes: a translated word may be longer in UTF-8), on
 * the left when @right aligns it right; longer text is cut to @width
 * when @cut, else kept whole.
 */
char *tg_reply_pad (const char *text, guint width, gboolean right,
		    gboolean cut);

/* What an answer is about. Everything is borrowed. */
typedef struct {
	TgReplyKind kind;
	const TgSettings *config;
	const TgCalendar *calendar;
	gint64 ticket_number;      /* 0: no ticket */
	const char *subject;       /* the customer's subject, cleaned */
	const char *customer;      /* customer name, or the sender's */
	const char *requester;     /* the sender's name, else address */
	gboolean unknown_sender;   /* matched no customer: has no licence
				      that we know of */
	const TgPlan *plan;        /* nullable */
	TgPriority priority;       /* 0: none ("-") */
	GDateTime *received_at;
	GDateTime *deadline;       /* nullable: none promised */
	const GArray *scope;       /* nullable: TgScopeMatch */
	const char *to_name;       /* nullable */
	const char *to_address;
	const char *in_reply_to;   /* nullable: the customer's Message-ID */
	const GPtrArray *references; /* nullable */
	const char *reply_to;      /* nullable: the (signed) address a
				      reply goes to; else none, or the
				      support address for staff */

	/* For staff: notifications and notices. */
	const char *const *to_more; /* nullable: further To addresses */
	const char *from_name;     /* nullable: else [mail] from_name */
	const char *event;         /* "New ticket", "Customer follow-up", ... */
	const char *requester_address;
	const char *status;
	const char *assignee;      /* nullable */
	const char *const *cc;     /* nullable: the ticket's CC list */
	gint64 follows_number;     /* 0: none */
	const char *notice;        /* TG_REPLY_STAFF_NOTICE: the message */
	const char *const *warnings; /* nullable: what staff should know
					about the mail (n_warnings) */
	guint n_warnings;

	/* For the deadline watch (doc/sla.md). */
	const char *time_left;     /* "0h 15m", working hours */
	const char *day;           /* the morning queue's day, in words */
	const char *queue;         /* the open tickets, one line each */
	guint queue_count;
	const char *late;          /* what went late, one line each */
	guint64 attachment_limit;  /* relays: larger attachments are
				      described */
} TgReplyFacts;

/* A finished answer. */
typedef struct {
	char *message_id; /* ours, without <> */
	char *subject;
	char *body;
	GBytes *content;  /* the complete mail, but see @encloses */
	gboolean encloses; /* TG_REPLY_NOTIFY: @content leaves out the mail
			      it is about, which the sender puts in
			      (tg_compose_enclose) */
} TgReply;

/* The incoming mail an answer is about (tg_reply_facts_for). Borrowed. */
typedef struct {
	const TgMessage *msg;
	const char *sender;	   /* nullable: who wrote */
	const char *reply_address; /* nullable: where answers go */
	const char *customer;	   /* nullable: else the writer's name */
	gboolean unknown_sender;   /* matched no customer */
	TgPriority priority;
	GDateTime *received_at;
} TgReplyMail;

/*
 * tg_reply_facts_for: the facts every answer to @mail shares: to its
 * reply address (by the writer's name when that is From), in reply to
 * its Message-ID and References, the writer as requester, the customer
 * (else the writer). The caller adds the calendar and what is particular
 * to one answer. Everything is borrowed from @config, @subject and
 * @mail.
 */
TgReplyFacts tg_reply_facts_for (const TgSettings *config,
				 TgReplyKind kind,
				 const char *subject,
				 const TgReplyMail *mail);

/*
 * tg_reply_set_ticket: fills the facts of @f that come from an existing
 * ticket @t (number, plan, deadline, customer, status, CCs, ...), for mail
 * to staff about it. @plan and @scope (TgScopeMatch) are storage the
 * caller keeps alive as long as @f; both borrow from @t.
 */
void tg_reply_set_ticket (TgReplyFacts *f,
			  const TgTicket *t,
			  TgPlan *plan,
			  GArray *scope);

/*
 * tg_replies_build: (transfer full): the answer for @facts, or NULL with
 * TG_COMPOSE_ERROR_TEMPORARY when the mail could not be written out
 * (compose.h): never an answer cut short.
 */
TgReply *tg_replies_build (const TgReplies *replies,
			   const TgReplyFacts *facts,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_replies_build_relay: (transfer full): a staff reply as the customer
 * gets it: From the support address with the staff member's name, To
 * @f->to_address and @f->to_more, threaded to the customer's last mail,
 * the staff mail's text (without @strip_lines, the command block) and
 * attachments, no Auto-Submitted. @staff_mail is the staff member's mail.
 * NULL with TG_COMPOSE_ERROR_TEMPORARY when @staff_mail cannot be read
 * or the relay written out: a reply is relayed whole or not at all.
 */
TgReply *tg_replies_build_relay (const TgReplies *replies,
				 const TgReplyFacts *f,
				 const TgSpool *staff_mail,
				 const char *const *strip_lines,
				 const char *subject,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_reply_free: NULL is allowed. */
void tg_reply_free (TgReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgReply, tg_reply_free)

/*
 * tg_reply_format_time: (transfer full): @t in the desk's zone, in the
 * words of phrases.txt, never the C library's locale: "Monday, 30
 * November 2026, 09:30 (UTC+02:00)".
 */
char *tg_reply_format_time (const TgReplies *replies,
			    const TgCalendar *calendar,
			    GDateTime *t);

/*
 * tg_reply_format_day: (transfer full): @day in the words of
 * phrases.txt: "Monday, 30 November 2026".
 */
char *tg_reply_format_day (const TgReplies *replies, const GDate *day);

/*
 * tg_reply_format_short: (transfer full): @t in the desk's zone, short:
 * "Mon 30 Nov 09:30"; "-" for NULL.
 */
char *tg_reply_format_short (const TgReplies *replies,
			     const TgCalendar *calendar,
			     GDateTime *t);

/*
 * tg_reply_describe_hours: (transfer full): the working hours in words:
 * "Monday to Friday, 09:00-18:00 (UTC+02:00)". Days that are not one run
 * are listed ("Monday, Wednesday and Friday"); a run may wrap ("Sunday to
 * Thursday"), and is named from its first day to its last when it has
 * three days or more; all seven read as the phrase days-every ("Monday
 * to Sunday"). The zone is tg_calendar_describe_zone()'s.
 */
char *tg_reply_describe_hours (const TgReplies *replies,
			       const TgCalendar *calendar);

/*
 * tg_reply_deadline_note: (transfer full): why the deadline is where it is,
 * in one or two sentences, or "" when it needs no explaining (arrived in
 * working hours, due the same day).
 */
char *tg_reply_deadline_note (const TgReplies *replies,
			      const TgCalendar *calendar,
			      GDateTime *received_at,
			      GDateTime *deadline);
