/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domain: the names of the statuses, and releasing plans and tickets.
 */
#include "domain.h"

#include <string.h>

static const char *const names[TG_STATUS_COUNT] = {
	[TG_STATUS_NEW] = "new",
	[TG_STATUS_OPEN] = "open",
	[TG_STATUS_PENDING] = "pending",
	[TG_STATUS_RESOLVED] = "resolved",
	[TG_STATUS_CLOSED] = "closed",
};

const char *
tg_status_name (TgStatus status)
{
	g_return_val_if_fail (status < TG_STATUS_COUNT, "new");
	return names[status];
}

gboolean
tg_status_parse (const char *name, TgStatus *out)
{
	for (TgStatus s = 0; name != NULL && s < TG_STATUS_COUNT; s++)
		if (strcmp (name, names[s]) == 0) {
			*out = s;
			return TRUE;
		}
	return FALSE;
}

void
tg_plan_free (TgPlan *plan)
{
	if (plan == NULL)
		return;
	g_free (plan->name);
	g_free (plan->hourly_rate);
	g_free (plan->currency);
	g_free (plan->description);
	g_free (plan);
}

void
tg_ticket_free (TgTicket *t)
{
	if (t == NULL)
		return;
	g_free (t->requester);
	g_free (t->requester_name);
	g_free (t->reply_address);
	g_free (t->customer_name);
	g_free (t->subject);
	g_free (t->plan_name);
	g_free (t->hourly_rate);
	g_free (t->currency);
	g_strfreev (t->scope_flags);
	g_strfreev (t->cc);
	g_clear_pointer (&t->received_at, g_date_time_unref);
	g_clear_pointer (&t->response_due_at, g_date_time_unref);
	g_clear_pointer (&t->first_response_at, g_date_time_unref);
	g_clear_pointer (&t->closed_at, g_date_time_unref);
	g_clear_pointer (&t->updated_at, g_date_time_unref);
	g_free (t->assignee);
	g_free (t->last_message_id);
	g_clear_pointer (&t->references, g_ptr_array_unref);
	g_free (t);
}
