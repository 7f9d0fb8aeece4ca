/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domain: the desk's own types, which the store reads and writes and
 * the policy and commands reason about: a plan, a ticket and its
 * status, a ticket to open. Plain data; the rules about them are in
 * ticket.h, the SQL in the store.
 */
#ifndef TG_DOMAIN_H
#define TG_DOMAIN_H

#include <glib.h>

typedef enum {
	TG_STATUS_NEW,      /* no staff answer yet */
	TG_STATUS_OPEN,     /* answered, being worked on */
	TG_STATUS_PENDING,  /* waiting for the customer */
	TG_STATUS_RESOLVED, /* staff think it done */
	TG_STATUS_CLOSED,   /* done; a late follow-up starts a new ticket */
	TG_STATUS_COUNT
} TgStatus;

/* The name the database and the templates use: "new", "open", ... */
const char *tg_status_name (TgStatus status);

/* The status named @name; FALSE for anything else (also NULL). */
gboolean tg_status_parse (const char *name, TgStatus *out);

typedef struct {
	char *name;
	int rank;              /* order of work: lower first */
	int reaction_minutes;  /* 0: no deadline promised */
	gboolean email_support;
	gboolean full_service;
	char *hourly_rate;     /* "50.00", NULL when none */
	char *currency;
	char *description;
} TgPlan;

typedef struct {
	gint64 id;
	gint64 number;
	char *requester;
	char *requester_name;
	char *reply_address;
	gint64 customer_id;
	char *customer_name;     /* NULL without a customer */
	char *subject;
	TgStatus status;
	int priority;            /* TgPriority value */
	char *plan_name;         /* NULL: no plan at all */
	int plan_rank;
	int reaction_minutes;    /* 0: no deadline */
	gboolean billable;
	char *hourly_rate;
	char *currency;
	char **scope_flags;      /* topics flagged as likely out of scope */
	char **cc;
	GDateTime *received_at;
	GDateTime *response_due_at;   /* NULL: no deadline */
	GDateTime *first_response_at; /* NULL: no staff answer yet */
	GDateTime *closed_at;
	GDateTime *updated_at;
	char *assignee;          /* staff address, NULL when unassigned */
	gint64 follows_number;   /* the closed ticket this one follows, 0 */
	gint64 refers_number;    /* the ticket its writer referred to
				    without being one of its people, 0 */
	int deadline_met;        /* 1 yes, 0 no, -1 not answered or none */
	char *last_message_id;   /* Message-ID of the customer's last mail */
	GPtrArray *references;   /* char *: Message-IDs of the whole thread */
} TgTicket;

/* A ticket to open (see the tickets table for the meaning of fields). */
typedef struct {
	const char *requester;
	const char *requester_name;
	const char *reply_address;
	gint64 customer_id;      /* 0: none */
	const char *subject;
	int priority;
	const TgPlan *plan;      /* NULL: no plan at all */
	gboolean billable;
	const char *const *scope_flags;
	GDateTime *received_at;
	GDateTime *response_due_at; /* NULL: no deadline */
	gint64 follows_id;       /* 0, or the closed ticket it follows */
	gint64 refers_id;        /* 0, or the ticket it referred to */
} TgNewTicket;

/* Free a plan or a ticket and what it holds; NULL is allowed. */
void tg_plan_free (TgPlan *plan);
void tg_ticket_free (TgTicket *ticket);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPlan, tg_plan_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTicket, tg_ticket_free)

#endif
