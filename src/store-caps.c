/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-caps: robots, loops and caps. What keeps the desk from mailing
 * too much or into a loop: the rolling caps on answers to one address
 * (sent_log, counted under a transaction lock on the address), the
 * addresses that bounce, the mail the desk sent (a bounce names it), and
 * whether staff were told of machine mail on a ticket lately.
 */
#include "store-private.h"

/* One lock per address; hashtext() collisions only make two addresses
 * wait for each other, never let one slip past its cap. */
static const char SQL_LOCK_ADDRESS[] =
	"SELECT pg_advisory_xact_lock(hashtext('ticketgate-send:' || $1))";
/* Run after the lock, in a statement of its own, so that its snapshot
 * sees every mail counted by whoever held the lock before. */
static const char SQL_RESERVE_SEND[] =
	"WITH b AS (SELECT EXISTS (SELECT 1 FROM bouncing_addresses"
	"  WHERE address = $1) AS bouncing),"
	" c AS (SELECT count(*) FILTER (WHERE at > now() - interval '1 hour')"
	"  AS hour, count(*) AS day FROM sent_log"
	"  WHERE address = $1 AND at > now() - interval '1 day'),"
	" ins AS (INSERT INTO sent_log (address, kind)"
	"  SELECT $1, $2 FROM b, c WHERE NOT $3"
	"  OR (NOT b.bouncing AND c.hour < $4 AND c.day < $5) RETURNING 1)"
	" SELECT EXISTS (SELECT 1 FROM ins), b.bouncing,"
	"  c.hour >= $4 OR c.day >= $5 FROM b, c";
static const char SQL_FIND_SENT[] =
	"SELECT ticket_id, " JOINED ("recipients") " FROM messages"
	" WHERE message_id = $1 AND direction = 'out' ORDER BY id LIMIT 1";
static const char SQL_MARK_BOUNCING[] =
	"INSERT INTO bouncing_addresses (address, ticket_id, status)"
	" VALUES (lower($1), $2, $3) ON CONFLICT (address) DO NOTHING";
static const char SQL_MACHINE_NOTICED[] =
	"SELECT EXISTS (SELECT 1 FROM messages WHERE ticket_id = $1"
	" AND direction = 'out' AND note = 'machine'"
	" AND created_at > now() - make_interval(secs => $2))";
static const char SQL_LIST_BOUNCING[] =
	"SELECT b.address, " US ("b.since") ", t.number, b.status"
	" FROM bouncing_addresses b LEFT JOIN tickets t ON t.id = b.ticket_id"
	" ORDER BY b.since, b.address";
static const char SQL_CLEAR_BOUNCING[] =
	"DELETE FROM bouncing_addresses WHERE address = lower($1)";
static const char SQL_PRUNE_SENT_LOG[] =
	"DELETE FROM sent_log WHERE at < now() - interval '2 days'";

gboolean
tg_store_reserve_send (TgStore *store, const char *address, const char *kind,
		       gboolean enforce, int per_hour, int per_day,
		       TgSendVerdict *verdict_out, GError **error)
{
	g_auto (Params) lock = { 0 };
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;
	Step steps[] = {
		{ SQL_LOCK_ADDRESS, &lock, PGRES_TUPLES_OK, NULL },
		{ SQL_RESERVE_SEND, &p, PGRES_TUPLES_OK, &res },
	};

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&lock);
	store_params_add (&lock, address);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add (&p, kind);
	store_params_add_bool (&p, enforce);
	store_params_add_int (&p, per_hour);
	store_params_add_int (&p, per_day);
	if (!store_run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	if (!store_get_bool (res, 0, 0))
		*verdict_out = store_get_bool (res, 0, 1) ? TG_SEND_BOUNCING
						    : TG_SEND_CAPPED;
	else if (store_get_bool (res, 0, 1) || store_get_bool (res, 0, 2))
		*verdict_out = TG_SEND_OVER;
	else
		*verdict_out = TG_SEND_OK;
	return TRUE;
}

gboolean
tg_store_find_sent (TgStore *store, const char *message_id,
		    gboolean *found_out, gint64 *ticket_id_out,
		    char ***recipients_out, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && message_id != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, message_id);
	res = store_run_query (store, SQL_FIND_SENT, &p, error);
	if (res == NULL)
		return FALSE;
	*found_out = PQntuples (res) > 0;
	if (*found_out) {
		*ticket_id_out = store_get_int (res, 0, 0);
		*recipients_out = store_get_list (res, 0, 1);
	}
	return TRUE;
}

gboolean
tg_store_mark_bouncing (TgStore *store, const char *address, gint64 ticket_id,
			const char *status, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_id (&p, ticket_id);
	store_params_add (&p, status);
	return store_run_command (store, SQL_MARK_BOUNCING, &p, error);
}

gboolean
tg_store_machine_noticed (TgStore *store, gint64 ticket_id, int seconds,
			  gboolean *noticed_out, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	store_params_add_int (&p, seconds);
	res = store_run_query (store, SQL_MACHINE_NOTICED, &p, error);
	if (res == NULL)
		return FALSE;
	*noticed_out = store_get_bool (res, 0, 0);
	return TRUE;
}

static gpointer
bouncing_row (const PGresult *res, int i)
{
	TgBouncing *b = g_new0 (TgBouncing, 1);

	b->address = store_get_str (res, i, 0);
	b->since = store_get_time (res, i, 1);
	b->ticket_number = store_get_int (res, i, 2);
	b->status = store_get_str (res, i, 3);
	return b;
}

GPtrArray *
tg_store_list_bouncing (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_LIST_BOUNCING, NULL, bouncing_row,
				 (GDestroyNotify) tg_bouncing_free, error);
}

gboolean
tg_store_clear_bouncing (TgStore *store, const char *address, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autofree char *what = g_strdup_printf ("bouncing address %s", address);

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	return store_run_change (store, SQL_CLEAR_BOUNCING, &p, what, error);
}

gboolean
tg_store_prune_sent_log (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return store_run_command (store, SQL_PRUNE_SENT_LOG, NULL, error);
}

void
tg_bouncing_free (TgBouncing *b)
{
	if (b == NULL)
		return;
	g_free (b->address);
	g_clear_pointer (&b->since, g_date_time_unref);
	g_free (b->status);
	g_free (b);
}
