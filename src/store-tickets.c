/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-tickets: tickets. Finding the ones a mail may join, opening one,
 * what staff change on it, the lock that queues concurrent deliveries
 * to it, the queue, and the deadline watch (doc/sla.md): the tickets it
 * watches and reports on, and the notices it records having sent.
 */
#include "store-private.h"

/* Plans without e-mail support or no plan at all sort after every plan. */
#define NO_PLAN_RANK 1000

/* ---- delivering: which ticket -------------------------------------- */

/* A ticket's columns (TICKET_N_COLUMNS of them, as ticket_from_row()
 * reads them), then where they come from. */
#define TICKET_N_COLUMNS 27
#define TICKET_COLUMNS TICKET_FIELDS TICKET_FROM
#define TICKET_FROM " FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id"
#define TICKET_FIELDS                                                      \
	"t.id, t.number, t.requester, t.requester_name, t.reply_address,"  \
	" t.customer_id, c.name, t.subject, t.status, t.priority,"         \
	" t.plan_name, t.plan_rank, t.reaction_minutes, t.billable,"       \
	" t.hourly_rate::text, t.currency, " JOINED ("t.scope_flags") ","  \
	" " JOINED ("(SELECT array_agg(address ORDER BY address)"          \
		    " FROM ticket_cc WHERE ticket_id = t.id)") ","         \
	" " US ("t.received_at") ", " US ("t.response_due_at") ","        \
	" " US ("t.first_response_at") ", " US ("t.closed_at") ","        \
	" " US ("t.updated_at") ", t.assignee,"                            \
	" (SELECT f.number FROM tickets f WHERE f.id = t.follows_id),"     \
	" t.deadline_met,"                                                 \
	" (SELECT r.number FROM tickets r WHERE r.id = t.refers_id)"

static const char SQL_TICKET_BY_NUMBER[] =
	"SELECT " TICKET_COLUMNS " WHERE t.number = $1";
/* Mail the sender wrote or was sent first, then later ids in $1 (In-
 * Reply-To is passed last, after References); only mail of a ticket's
 * people or of the desk. */
static const char SQL_TICKETS_BY_MESSAGE_IDS[] =
	"WITH hit AS (SELECT m.ticket_id,"
	"  coalesce(bool_or(m.sender = $2 OR $2 = ANY (m.recipients)), false)"
	"  AS own,"
	"  max(array_position($1::text[], m.message_id)) AS pos"
	" FROM messages m"
	" WHERE m.message_id = ANY ($1::text[]) AND m.ticket_id IS NOT NULL"
	" AND (m.direction = 'out' OR m.kind IN ('customer', 'staff', 'comment'))"
	" GROUP BY m.ticket_id"
	" ORDER BY own DESC, pos DESC, m.ticket_id DESC LIMIT $3)"
	" SELECT " TICKET_COLUMNS " JOIN hit h ON h.ticket_id = t.id"
	" ORDER BY h.own DESC, h.pos DESC, t.id DESC";
static const char SQL_QUEUE[] =
	"SELECT " TICKET_COLUMNS " WHERE t.status IN ('new', 'open')"
	" ORDER BY t.plan_rank, t.priority, t.response_due_at NULLS LAST,"
	" t.received_at, t.number";
/* The thread as the customer saw it: every Message-ID, oldest first,
 * and the last mail the customer sent. */
static const char SQL_TICKET_THREAD[] =
	"SELECT message_id, direction = 'in' AND kind = 'customer'"
	" FROM messages WHERE ticket_id = $1 AND message_id IS NOT NULL"
	" ORDER BY id";

static TgTicket *
ticket_from_row (const PGresult *res, int row)
{
	TgTicket *t = g_new0 (TgTicket, 1);

	t->id = store_get_int (res, row, 0);
	t->number = store_get_int (res, row, 1);
	t->requester = store_get_str (res, row, 2);
	t->requester_name = store_get_str (res, row, 3);
	t->reply_address = store_get_str (res, row, 4);
	t->customer_id = store_get_int (res, row, 5);
	t->customer_name = store_get_str (res, row, 6);
	t->subject = store_get_str (res, row, 7);
	/* The schema admits no other name (001-core.sql). */
	if (!tg_status_parse (PQgetvalue (res, row, 8), &t->status))
		t->status = TG_STATUS_OPEN;
	t->priority = (int) store_get_int (res, row, 9);
	t->plan_name = store_get_str (res, row, 10);
	t->plan_rank = (int) store_get_int (res, row, 11);
	t->reaction_minutes = (int) store_get_int (res, row, 12);
	t->billable = store_get_bool (res, row, 13);
	t->hourly_rate = store_get_str (res, row, 14);
	t->currency = store_get_str (res, row, 15);
	t->scope_flags = store_get_list (res, row, 16);
	t->cc = store_get_list (res, row, 17);
	t->received_at = store_get_time (res, row, 18);
	t->response_due_at = store_get_time (res, row, 19);
	t->first_response_at = store_get_time (res, row, 20);
	t->closed_at = store_get_time (res, row, 21);
	t->updated_at = store_get_time (res, row, 22);
	t->assignee = store_get_str (res, row, 23);
	t->follows_number = store_get_int (res, row, 24);
	t->deadline_met = PQgetisnull (res, row, 25) ? -1
						      : store_get_bool (res, row, 25);
	t->refers_number = store_get_int (res, row, 26);
	t->references = g_ptr_array_new_with_free_func (g_free);
	return t;
}

static gboolean
load_thread (TgStore *store, TgTicket *t, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	store_params_init (&p);
	store_params_add_int (&p, t->id);
	res = store_run_query (store, SQL_TICKET_THREAD, &p, error);
	if (res == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples (res); i++) {
		g_ptr_array_add (t->references, store_get_str (res, i, 0));
		if (store_get_bool (res, i, 1)) {
			g_free (t->last_message_id);
			t->last_message_id = store_get_str (res, i, 0);
		}
	}
	return TRUE;
}

/* One ticket from @sql with @p; NULL without error when none matches. */
static TgTicket *
query_ticket (TgStore *store, const char *sql, const Params *p,
	      GError **error)
{
	g_autoptr (PGresult) res = store_run_query (store, sql, p, error);
	g_autoptr (TgTicket) t = NULL;

	if (res == NULL || PQntuples (res) == 0)
		return NULL;
	t = ticket_from_row (res, 0);
	if (!load_thread (store, t, error))
		return NULL;
	return g_steal_pointer (&t);
}

GPtrArray *
tg_store_find_tickets_by_message_ids (TgStore *store,
				      const char *const *ids,
				      guint n_ids,
				      const char *sender,
				      guint max,
				      GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;
	g_autoptr (GPtrArray) tickets = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_ticket_free);

	g_return_val_if_fail (store != NULL, NULL);
	if (n_ids == 0 || max == 0)
		return g_steal_pointer (&tickets);
	store_params_init (&p);
	store_params_add_array (&p, ids, n_ids);
	store_params_add (&p, sender);
	store_params_add_int (&p, max);
	res = store_run_query (store, SQL_TICKETS_BY_MESSAGE_IDS, &p, error);
	if (res == NULL)
		return NULL;
	for (int i = 0; i < PQntuples (res); i++) {
		TgTicket *t = ticket_from_row (res, i);

		g_ptr_array_add (tickets, t);
		if (!load_thread (store, t, error))
			return NULL;
	}
	return g_steal_pointer (&tickets);
}

TgTicket *
tg_store_get_ticket (TgStore *store, gint64 number, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (GError) local = NULL;
	TgTicket *t;

	g_return_val_if_fail (store != NULL, NULL);
	store_params_init (&p);
	store_params_add_int (&p, number);
	t = query_ticket (store, SQL_TICKET_BY_NUMBER, &p, &local);
	if (t == NULL && local == NULL)
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no ticket %" G_GINT64_FORMAT, number);
	else if (local != NULL)
		g_propagate_error (error, g_steal_pointer (&local));
	return t;
}

static gpointer
ticket_row (const PGresult *res, int row)
{
	return ticket_from_row (res, row);
}

GPtrArray *
tg_store_list_queue (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_QUEUE, NULL, ticket_row,
				 (GDestroyNotify) tg_ticket_free, error);
}

/* ---- delivering: writing ------------------------------------------- */

static const char SQL_CREATE_TICKET[] =
	"INSERT INTO tickets (requester, requester_name, reply_address,"
	" customer_id, subject, priority, plan_name, plan_rank,"
	" reaction_minutes, billable, hourly_rate, currency, scope_flags,"
	" received_at, response_due_at, follows_id, refers_id)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::numeric, $12,"
	" $13::text[], $14, $15, $16, $17) RETURNING id, number";

gboolean
tg_store_create_ticket (TgStore *store,
			const TgNewTicket *t,
			gint64 *id_out,
			gint64 *number_out,
			GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;
	const TgPlan *plan = t->plan;

	g_return_val_if_fail (store != NULL && t != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, t->requester);
	store_params_add (&p, t->requester_name);
	store_params_add (&p, t->reply_address);
	store_params_add_id (&p, t->customer_id);
	store_params_add (&p, t->subject);
	store_params_add_int (&p, t->priority);
	store_params_add (&p, plan ? plan->name : NULL);
	store_params_add_int (&p, plan ? plan->rank : NO_PLAN_RANK);
	store_params_add_id (&p, plan ? plan->reaction_minutes : 0);
	store_params_add_bool (&p, t->billable);
	store_params_add (&p, plan ? plan->hourly_rate : NULL);
	store_params_add (&p, plan ? plan->currency : NULL);
	store_params_add_array (&p, t->scope_flags, -1);
	store_params_add_time (&p, t->received_at);
	store_params_add_time (&p, t->response_due_at);
	store_params_add_id (&p, t->follows_id);
	store_params_add_id (&p, t->refers_id);
	res = store_run_query (store, SQL_CREATE_TICKET, &p, error);
	if (res == NULL)
		return FALSE;
	*id_out = store_get_int (res, 0, 0);
	*number_out = store_get_int (res, 0, 1);
	return TRUE;
}

static const char SQL_FIRST_RESPONSE[] =
	"UPDATE tickets SET first_response_at = coalesce(first_response_at, $2),"
	" updated_at = now() WHERE id = $1";
static const char SQL_SET_PRIORITY[] =
	"UPDATE tickets SET priority = $2, updated_at = now() WHERE id = $1";
static const char SQL_SET_ASSIGNEE[] =
	"UPDATE tickets SET assignee = $2, updated_at = now() WHERE id = $1";

gboolean
tg_store_record_first_response (TgStore *store, gint64 ticket_id,
				GDateTime *at, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && at != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add_time (&p, at);
	return store_run_command (store, SQL_FIRST_RESPONSE, &p, error);
}

gboolean
tg_store_set_ticket_priority (TgStore *store, gint64 ticket_id, int priority,
			      GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add_int (&p, priority);
	return store_run_command (store, SQL_SET_PRIORITY, &p, error);
}

gboolean
tg_store_set_ticket_assignee (TgStore *store, gint64 ticket_id,
			      const char *assignee, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add (&p, assignee);
	return store_run_command (store, SQL_SET_ASSIGNEE, &p, error);
}

static const char SQL_ADD_CC[] =
	"INSERT INTO ticket_cc (ticket_id, address)"
	" SELECT $1, a FROM unnest($2::text[]) AS a"
	" ON CONFLICT DO NOTHING";

gboolean
tg_store_add_cc (TgStore *store, gint64 ticket_id,
		 const char *const *addresses, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	if (addresses == NULL || addresses[0] == NULL)
		return TRUE;
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add_array (&p, addresses, -1);
	return store_run_command (store, SQL_ADD_CC, &p, error);
}

static const char SQL_SET_STATUS[] =
	"UPDATE tickets SET status = $2, updated_at = now(),"
	" closed_at = CASE WHEN $2 IN ('resolved', 'closed')"
	"  THEN coalesce(closed_at, now()) END"
	" WHERE id = $1";

gboolean
tg_store_set_ticket_status (TgStore *store, gint64 ticket_id,
			    TgStatus status, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add (&p, tg_status_name (status));
	return store_run_command (store, SQL_SET_STATUS, &p, error);
}

static const char SQL_LOCK_TICKET[] =
	"SELECT 1 FROM tickets WHERE id = $1 FOR NO KEY UPDATE";

gboolean
tg_store_lock_ticket (TgStore *store, gint64 ticket_id, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	res = store_run_query (store, SQL_LOCK_TICKET, &p, error);
	return res != NULL;
}

/* ---- the deadline watch -------------------------------------------- */

static const char SQL_WATCHED[] =
	"SELECT " TICKET_FIELDS ","
	" EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = t.id"
	"  AND e.kind = 'warn')" TICKET_FROM
	" WHERE t.status IN ('new', 'open') AND t.response_due_at IS NOT NULL"
	" AND t.first_response_at IS NULL"
	" AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = t.id"
	"  AND e.kind = 'breach')"
	" ORDER BY t.plan_rank, t.priority, t.response_due_at, t.received_at,"
	" t.number";
static const char SQL_RECORD_ESCALATION[] =
	"INSERT INTO escalations (ticket_id, kind, due_at, at)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1";
static const char SQL_RECORD_DAILY[] =
	"WITH ins AS (INSERT INTO daily_queues (day, at) VALUES ($1::date, $2)"
	" ON CONFLICT DO NOTHING RETURNING 1)"
	" SELECT EXISTS (SELECT 1 FROM ins),"
	" (SELECT " US ("max(at)") " FROM daily_queues WHERE day < $1::date)";
static const char SQL_LATE[] =
	"SELECT " TICKET_COLUMNS
	" WHERE t.response_due_at <= $2 AND ($1::timestamptz IS NULL"
	" OR t.response_due_at > $1)"
	" AND (t.first_response_at IS NULL OR t.first_response_at > t.response_due_at)"
	" ORDER BY t.response_due_at, t.number";

static gpointer
watched_row (const PGresult *res, int row)
{
	TgWatched *w = g_new0 (TgWatched, 1);

	w->ticket = ticket_from_row (res, row);
	w->warned = store_get_bool (res, row, TICKET_N_COLUMNS);
	return w;
}

GPtrArray *
tg_store_list_watched (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_WATCHED, NULL, watched_row,
				 (GDestroyNotify) tg_watched_free, error);
}

gboolean
tg_store_record_escalation (TgStore *store, gint64 ticket_id,
			    const char *kind, GDateTime *due_at, GDateTime *at,
			    gboolean *inserted_out, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && kind != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add (&p, kind);
	store_params_add_time (&p, due_at);
	store_params_add_time (&p, at);
	res = store_run_query (store, SQL_RECORD_ESCALATION, &p, error);
	if (res == NULL)
		return FALSE;
	*inserted_out = PQntuples (res) == 1;
	return TRUE;
}

gboolean
tg_store_record_daily (TgStore *store, const GDate *day, GDateTime *at,
		       gboolean *inserted_out, GDateTime **previous_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	store_params_init (&p);
	store_params_add_date (&p, day);
	store_params_add_time (&p, at);
	res = store_run_query (store, SQL_RECORD_DAILY, &p, error);
	if (res == NULL)
		return FALSE;
	*inserted_out = store_get_bool (res, 0, 0);
	*previous_out = store_get_time (res, 0, 1);
	return TRUE;
}

GPtrArray *
tg_store_list_late (TgStore *store, GDateTime *since, GDateTime *until,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && until != NULL, NULL);
	store_params_init (&p);
	store_params_add_time (&p, since);
	store_params_add_time (&p, until);
	return store_query_list (store, SQL_LATE, &p, ticket_row,
				 (GDestroyNotify) tg_ticket_free, error);
}

static const char SQL_RECEIVED[] =
	"SELECT " TICKET_COLUMNS
	" WHERE t.received_at >= $1 AND t.received_at < $2"
	" AND ($3::bigint IS NULL OR t.customer_id = $3) ORDER BY t.number";

GPtrArray *
tg_store_list_received (TgStore *store, GDateTime *from, GDateTime *until,
			gint64 customer_id, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && from != NULL && until != NULL,
			      NULL);
	store_params_init (&p);
	store_params_add_time (&p, from);
	store_params_add_time (&p, until);
	store_params_add_id (&p, customer_id);
	return store_query_list (store, SQL_RECEIVED, &p, ticket_row,
				 (GDestroyNotify) tg_ticket_free, error);
}

void
tg_watched_free (TgWatched *watched)
{
	if (watched == NULL)
		return;
	tg_ticket_free (watched->ticket);
	g_free (watched);
}

/* ---- releasing results --------------------------------------------- */

