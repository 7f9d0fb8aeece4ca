/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ticket: the rules of a ticket's life, each in one place. Its status
 * and the moves between statuses (a customer's mail reopens, the first
 * staff answer opens, staff set any status but "new"), when a closed
 * ticket is too old to reopen, which staff mail is a first response,
 * and what a plan promises: a deadline in working hours, or paid
 * support. The store keeps the status by name; nothing else spells it.
 */
#ifndef TG_TICKET_H
#define TG_TICKET_H

#include <glib.h>

#include "calendar.h"
#include "domain.h"

/* Whether staff may set @status with a command ("#status"): every
 * status but "new", which only a ticket without an answer has. */
gboolean tg_status_settable (TgStatus status);

/* The status after the customer writes again: pending, resolved and
 * closed tickets open again; new and open ones stay as they are. */
TgStatus tg_ticket_after_customer_mail (TgStatus status);

/* The status after a staff answer to the customer: a new ticket is
 * open from its first response on. */
TgStatus tg_ticket_after_staff_answer (TgStatus status);

/* (transfer full): the ticket's first response once staff answered
 * the customer at @answered_at: the first one stays (@first may be
 * NULL). An internal comment is no answer and never comes here. */
GDateTime *tg_ticket_first_response (GDateTime *first,
				     GDateTime *answered_at);

/*
 * Whether a mail received at @received_at for a ticket in @status,
 * closed at @closed_at, comes too late to reopen it: a closed ticket
 * more than @reopen_days days ago. Such a mail opens a new ticket.
 */
gboolean tg_ticket_is_long_closed (TgStatus status, GDateTime *closed_at,
				   GDateTime *received_at, int reopen_days);

/* Whether a ticket under a plan is paid support: plans without e-mail
 * support (none, FREE) are billed by the hour. */
gboolean tg_ticket_is_billable (gboolean plan_has_email_support);

/*
 * (transfer full) (nullable): the deadline of a ticket received at
 * @received_at under a plan that promises @reaction_minutes of working
 * time, or NULL when it promises none (no e-mail support, or 0).
 */
GDateTime *tg_ticket_deadline (const TgCalendar *calendar,
			       GDateTime *received_at,
			       gboolean plan_has_email_support,
			       int reaction_minutes);

#endif
