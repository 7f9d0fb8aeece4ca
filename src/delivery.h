/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * delivery: the state of one mail on its way in (TgIntake), shared by
 * the two halves of intake: intake.c (looking up, deciding, the
 * transaction, sending, logging) and record.c (what each kind of mail
 * writes and which answers it causes). Private to them.
 */
#pragma once

#include <glib.h>

#include "authres.h"
#include "calendar.h"
#include "classify.h"
#include "command.h"
#include "settings.h"
#include "decide.h"
#include "intake.h"
#include "message.h"
#include "priority.h"
#include "reply.h"
#include "spool.h"
#include "store.h"
#include "token.h"
#include "trust.h"


typedef struct {
	gint64 outbox_id;
	const char *what; /* "ack", "notify", "relay", "notice", "reject";
			     "earlier": left unsent by an earlier delivery */
	char *message_id;
	char *envelope_from; /* NULL: [mail] bounce_address */
	char **recipients;
	GBytes *content;
	gint64 encloses;     /* 0, or the stored mail @content leaves out */
	gboolean sent;
	gboolean handed;     /* left to the resident sender (senderd.h) */
} Queued;

typedef struct _TgIntake Delivery;

struct _TgIntake {
	const TgSettings *config;
	const TgReplies *replies;
	TgMailer *mailer;      /* nullable: the entry's, kept between mails */
	TgCalendar *calendar;  /* made on first need, with the holidays */
	struct _TgScope *scope; /* made with the calendar */

	/* the mail */
	const TgSpool *spool;  /* the entry's */
	TgMessage *msg;
	char *envelope_sender; /* NULL: unknown; "": the null sender */
	char *envelope_recipient;
	char *queue_id;        /* Postfix's, from --queue-id or Received */
	GDateTime *received_at;
	const char *received_from; /* "header", "option", "clock" */
	char *dedup_key;
	gint64 message_row;    /* the mail's row, once stored */
	char *sender;          /* identity: From, else the envelope sender */
	char *reply_address;   /* where answers go: Reply-To, else sender */
	const char *reply_to_ignored; /* a Reply-To not taken (in msg) */
	gboolean to_comment;   /* sent to the comment address (or --action) */
	TgToken token;         /* from the envelope recipient ... */
	gboolean has_token;    /* ... when it named a signed address */

	/* what we found out */
	TgIdentity who;
	TgDesk *desk;          /* read with who */
	GPtrArray *secrets;    /* GBytes of desk: those that verify now */
	TgAuthResult auth;     /* our MTA's word on the From domain */
	gboolean staff_claimed;/* From is a staff address ... */
	TgStaffProof staff_proof; /* ... and how it proved it */
	TgTokenMatch token_match; /* what the token proves for its ticket */
	TgTicket *refers;      /* a ticket referred to but not joined */
	GPtrArray *warnings;   /* char *: what staff should know */
	TgMachineReason machine;
	TgTicket *ticket;      /* the ticket it threads into */
	const char *threaded_by;
	TgPriority priority;
	TgCommands *commands;  /* staff mail: the command block */
	char *refusal;         /* staff mail: why it is not relayed */
	TgAction action;

	/* what we did */
	gint64 ticket_number;
	TgPlan *plan;          /* the plan a new ticket gets */
	GDateTime *deadline;
	gint64 follows_id;     /* a closed ticket this mail followed up */
	gint64 follows_number;
	GArray *queued;        /* Queued */
	GPtrArray *held;       /* char *: answers held back, and why */

	/* Monotonic times (µs) at the end of each phase, for the log. */
	gint64 t_start, t_read, t_connect, t_stored, t_sent;
};

/*
 * tg_record_action: writes what d->action means, inside the caller's
 * transaction: the ticket, the message, and every answer as an outbox row
 * (in d->queued, sent by the caller after the commit).
 */
gboolean tg_record_action (Delivery *d, TgStore *store, GError **error);

/* tg_record_arrival_day: the desk's local date of d->received_at. */
void tg_record_arrival_day (const Delivery *d, GDate *day);


/* tg_record_is_staff: whether @addr is staff (the desk's list or the
 * configured staff addresses); says nothing about proof. */
gboolean tg_record_is_staff (const Delivery *d, const char *addr);

/* tg_record_warn: adds a line for staff to d->warnings: phrase @id
 * (reply.h) filled from the placeholder name, value pairs that follow
 * (NULL-terminated). */
void tg_record_warn (Delivery *d, TgPhrase id, ...) G_GNUC_NULL_TERMINATED;

/* tg_queued_clear: releases what a Queued holds. */
void tg_queued_clear (Queued *q);
