/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ticket: the status names, their moves, the reopen window and what a
 * plan promises (doc/design.md, "The ticket's rules").
 */
#include "ticket.h"

gboolean
tg_status_settable (TgStatus status)
{
	return status != TG_STATUS_NEW && status < TG_STATUS_COUNT;
}

TgStatus
tg_ticket_after_customer_mail (TgStatus status)
{
	switch (status) {
	case TG_STATUS_PENDING:
	case TG_STATUS_RESOLVED:
	case TG_STATUS_CLOSED:
		return TG_STATUS_OPEN;
	default:
		return status;
	}
}

TgStatus
tg_ticket_after_staff_answer (TgStatus status)
{
	return status == TG_STATUS_NEW ? TG_STATUS_OPEN : status;
}

GDateTime *
tg_ticket_first_response (GDateTime *first, GDateTime *answered_at)
{
	return g_date_time_ref (first != NULL ? first : answered_at);
}

gboolean
tg_ticket_is_long_closed (TgStatus status, GDateTime *closed_at,
			  GDateTime *received_at, int reopen_days)
{
	return status == TG_STATUS_CLOSED && closed_at != NULL &&
	       received_at != NULL &&
	       g_date_time_difference (received_at, closed_at) >
		       (GTimeSpan) reopen_days * G_TIME_SPAN_DAY;
}

gboolean
tg_ticket_is_billable (gboolean plan_has_email_support)
{
	return !plan_has_email_support;
}

GDateTime *
tg_ticket_deadline (const TgCalendar *calendar, GDateTime *received_at,
		    gboolean plan_has_email_support, int reaction_minutes)
{
	if (!plan_has_email_support || reaction_minutes <= 0)
		return NULL;
	return tg_calendar_deadline (calendar, received_at, reaction_minutes);
}
