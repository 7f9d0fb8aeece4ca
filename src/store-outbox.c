/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-outbox: answers on their way out. Each is stored as a message
 * with its outbox row, claimed by the process that wrote it (owner.h);
 * sweep claims what is due, and a redelivery takes over what a gone
 * process left unsent. A row is marked sent, or failed with a retry
 * time, only after sendmail has answered; journal lines of a mail host
 * are folded in by Message-ID (design.md, "Sending after the commit").
 */
#include "store-private.h"

#include <poll.h>

#include "owner.h"

/* ---- delivering: writing ------------------------------------------- */

/* The resident sender holds this advisory lock while it runs
 * (tg_store_sender_lock()); a writer that may hand its answers over and
 * cannot share the lock leaves the row unclaimed and wakes the sender
 * with a NOTIFY, which PostgreSQL delivers at the commit, and never if
 * the transaction rolls back. */
#define SENDER_LOCK "7243360813122479461" /* any constant, the same in all */

/* The claim is held in the name of the calling process (owner.h), and
 * the answer is linked to the incoming mail stored before it in the
 * same transaction. The database's name comes back with the row id. */
static const char SQL_ADD_OUTGOING[] =
	"WITH m AS (INSERT INTO messages (ticket_id, direction, kind,"
	"  message_id, sender, recipients, subject, body_text, size,"
	"  received_at, note, raw, encloses)"
	"  VALUES ($1, 'out', $2, $3, $4, $5::text[], $6, $7, $8, now(), $11,"
	"  $9, $14) RETURNING id),"
	" s AS (SELECT $15::boolean"
	"  AND NOT pg_try_advisory_xact_lock_shared(" SENDER_LOCK ") AS handed),"
	" o AS (INSERT INTO outbox (message_id, envelope_from, recipients,"
	"  claimed_until, claimed_by, caused_by)"
	"  SELECT m.id, $4, $5::text[],"
	"  CASE WHEN NOT s.handed THEN now() + make_interval(secs => $10) END,"
	"  CASE WHEN NOT s.handed THEN $12 END,"
	"  (SELECT id FROM messages WHERE dedup_key = $13)"
	"  FROM m, s RETURNING id, claimed_by IS NULL AS handed)"
	" SELECT id, (SELECT id::text FROM desk_identity), handed,"
	" CASE WHEN handed THEN pg_notify('" TG_STORE_OUTBOX_CHANNEL "', '')::text"
	" END FROM o";

gboolean
tg_store_add_outgoing (TgStore *store,
		       const TgOutgoing *out,
		       int claim_seconds,
		       gint64 *outbox_id_out,
		       gboolean *handed_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;
	gsize len = 0;
	const void *data;

	g_return_val_if_fail (store != NULL && out != NULL, FALSE);
	g_return_val_if_fail (out->content != NULL, FALSE);
	data = g_bytes_get_data (out->content, &len);
	store_params_init (&p);
	store_params_add_id (&p, out->ticket_id);
	store_params_add (&p, tg_message_kind_to_string (out->kind));
	store_params_add (&p, out->message_id);
	store_params_add (&p, out->envelope_from);
	store_params_add_array (&p, out->recipients, -1);
	store_params_add (&p, out->subject);
	store_params_add (&p, out->body_text);
	store_params_add_int (&p, (gint64) len);
	store_params_add_binary (&p, data, len);
	store_params_add_int (&p, claim_seconds);
	store_params_add (&p, out->note);
	store_params_add (&p, tg_owner_self ());
	store_params_add (&p, out->cause_key);
	store_params_add_id (&p, out->encloses);
	store_params_add_bool (&p, out->may_hand_over);
	res = store_run_query (store, SQL_ADD_OUTGOING, &p, error);
	if (res == NULL)
		return FALSE;
	*outbox_id_out = store_get_int (res, 0, 0);
	if (handed_out != NULL)
		*handed_out = store_get_bool (res, 0, 2);
	if (store->database_id == NULL)
		store->database_id = store_get_str (res, 0, 1);
	return TRUE;
}

/* ---- the resident sender ------------------------------------------- */

static const char SQL_SENDER_LOCK[] =
	"SELECT pg_try_advisory_lock(" SENDER_LOCK ")";
static const char SQL_LISTEN[] = "LISTEN " TG_STORE_OUTBOX_CHANNEL;

gboolean
tg_store_sender_lock (TgStore *store, gboolean *got, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && got != NULL, FALSE);
	res = store_run_query (store, SQL_SENDER_LOCK, NULL, error);
	if (res == NULL)
		return FALSE;
	*got = store_get_bool (res, 0, 0);
	return !*got || store_run_command (store, SQL_LISTEN, NULL, error);
}

static gboolean
consume (PGconn *conn, gboolean *woken, GError **error)
{
	PGnotify *n;

	if (!PQconsumeInput (conn)) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY,
			     "database connection: %s",
			     g_strchomp (PQerrorMessage (conn)));
		return FALSE;
	}
	while ((n = PQnotifies (conn)) != NULL) {
		*woken = TRUE;
		PQfreemem (n);
	}
	return TRUE;
}

gboolean
tg_store_wait_for_answers (TgStore *store, int timeout_ms, gboolean *woken,
			   GError **error)
{
	struct pollfd pfd = { 0 };

	g_return_val_if_fail (store != NULL && woken != NULL, FALSE);
	*woken = FALSE;
	if (!consume (store->conn, woken, error))
		return FALSE;
	if (*woken)
		return TRUE;
	pfd.fd = PQsocket (store->conn);
	pfd.events = POLLIN;
	/* A signal ends the wait early: the caller looks at its flags. */
	if (poll (&pfd, 1, timeout_ms) <= 0)
		return TRUE;
	return consume (store->conn, woken, error);
}

/* ---- sending ------------------------------------------------------- */

/* What outbox_row() reads: an outbox row with its mail. */
#define OUTBOX_ITEM_COLUMNS                                                  \
	"o.id, o.envelope_from, " JOINED ("o.recipients") ", m.raw,"        \
	" o.attempts, " US ("o.created_at") ", m.message_id, m.encloses"

/* Every claim below is held in the name of the calling process
 * (owner.h); releasing one clears the name. */
static const char SQL_CLAIM_DUE[] =
	"UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2),"
	" claimed_by = $3"
	" FROM messages m"
	" WHERE m.id = o.message_id AND o.id IN ("
	"  SELECT id FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL"
	"  AND next_attempt_at <= now()"
	"  AND (claimed_until IS NULL OR claimed_until < now())"
	"  ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
	" RETURNING " OUTBOX_ITEM_COLUMNS;
/* Already sent (the journal was folded in first): nothing to do. */
static const char SQL_OUTBOX_SENT[] =
	"UPDATE outbox SET sent_at = now(), claimed_until = NULL,"
	" claimed_by = NULL, attempts = attempts + 1, last_error = NULL"
	" WHERE id = $1 AND sent_at IS NULL";
static const char SQL_OUTBOX_FAILED[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
	" claimed_until = NULL, claimed_by = NULL,"
	" next_attempt_at = now() + make_interval(secs => $3),"
	" gave_up_at = CASE WHEN $4 THEN now() END"
	" WHERE id = $1 AND sent_at IS NULL";
static const char SQL_ANSWERS_OF[] =
	"SELECT o.id, o.claimed_by, coalesce(o.claimed_until > now(), false),"
	" o.next_attempt_at <= now()"
	" FROM messages c JOIN outbox o ON o.caused_by = c.id"
	" WHERE c.dedup_key = $1 AND o.sent_at IS NULL AND o.gave_up_at IS NULL"
	" ORDER BY o.id";
/* Each row only if it is as the caller saw it: held by the same process,
 * and, when it was free, still free. */
static const char SQL_TAKE_OVER[] =
	"UPDATE outbox o SET claimed_until = now() + make_interval(secs => $4),"
	" claimed_by = $5"
	" FROM messages m,"
	"  unnest($1::bigint[], $2::text[], $3::boolean[]) AS t(id, holder, free)"
	" WHERE o.id = t.id AND m.id = o.message_id"
	" AND o.sent_at IS NULL AND o.gave_up_at IS NULL"
	" AND o.next_attempt_at <= now()"
	" AND o.claimed_by IS NOT DISTINCT FROM t.holder"
	" AND (NOT t.free OR o.claimed_until IS NULL OR o.claimed_until <= now())"
	" RETURNING " OUTBOX_ITEM_COLUMNS;
/* The Message-ID must match too: an id alone could name a row of a
 * database restored from a backup taken before it was sent. */
static const char SQL_MARK_SENT[] =
	"UPDATE outbox o SET sent_at = to_timestamp(t.at / 1000000.0),"
	" claimed_until = NULL, claimed_by = NULL, attempts = o.attempts + 1,"
	" last_error = NULL"
	" FROM messages m,"
	"  unnest($1::bigint[], $2::text[], $3::bigint[]) AS t(id, mid, at)"
	" WHERE o.id = t.id AND m.id = o.message_id AND m.message_id = t.mid"
	" AND o.sent_at IS NULL";
static const char SQL_DATABASE_ID[] = "SELECT id::text FROM desk_identity";
/* Rows being sent stay as they are. */
static const char SQL_DUE_NOW[] =
	"UPDATE outbox SET next_attempt_at = now()"
	" WHERE sent_at IS NULL AND gave_up_at IS NULL"
	" AND next_attempt_at > now()"
	" AND (claimed_until IS NULL OR claimed_until < now())";

static GBytes *
get_bytea (const PGresult *res, int row, int col)
{
	size_t len = 0;
	unsigned char *raw = PQunescapeBytea (
		(const unsigned char *) PQgetvalue (res, row, col), &len);
	GBytes *bytes;

	if (raw == NULL)
		return g_bytes_new (NULL, 0);
	bytes = g_bytes_new (raw, len);
	PQfreemem (raw);
	return bytes;
}

static gpointer
outbox_row (const PGresult *res, int i)
{
	TgOutboxItem *item = g_new0 (TgOutboxItem, 1);

	item->id = store_get_int (res, i, 0);
	item->envelope_from = store_get_str (res, i, 1);
	item->recipients = store_get_list (res, i, 2);
	item->content = get_bytea (res, i, 3);
	item->attempts = (int) store_get_int (res, i, 4);
	item->created_at = store_get_time (res, i, 5);
	item->message_id = store_get_str (res, i, 6);
	item->encloses = store_get_int (res, i, 7);
	return item;
}

GPtrArray *
tg_store_claim_due (TgStore *store, int limit, int claim_seconds,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, NULL);
	store_params_init (&p);
	store_params_add_int (&p, limit);
	store_params_add_int (&p, claim_seconds);
	store_params_add (&p, tg_owner_self ());
	return store_query_list (store, SQL_CLAIM_DUE, &p, outbox_row,
				 (GDestroyNotify) tg_outbox_item_free, error);
}

/*
 * One UPDATE in autocommit, whose commit waits for the WAL like every
 * other: a server crash must not forget that sendmail took the answer,
 * or sweep would send it again.
 */
gboolean
tg_store_outbox_sent (TgStore *store, gint64 id, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, id);
	return store_run_command (store, SQL_OUTBOX_SENT, &p, error);
}

/* A new connection in place of the store's, made as the first was. */
static gboolean
reconnect (TgStore *store, GError **error)
{
	const ConnectParams *how = &store->how;
	g_autoptr (TgStore) fresh =
		tg_store_connect (how->conninfo, how->application_name,
				  how->connect_timeout, how->statement_timeout,
				  error);

	if (fresh == NULL)
		return FALSE;
	g_clear_pointer (&store->conn, PQfinish);
	store->conn = g_steal_pointer (&fresh->conn);
	store_forget_prepared (store);
	return TRUE;
}

typedef gboolean (*Attempt) (TgStore *store, gconstpointer what,
			     GError **error);

static gboolean
sent_one (TgStore *store, gconstpointer what, GError **error)
{
	return tg_store_outbox_sent (store, *(const gint64 *) what, error);
}

typedef struct {
	const gint64 *ids;
	const char *const *message_ids;
	const gint64 *sent_at;
	guint n;
} Sends;

static gboolean
sent_many (TgStore *store, gconstpointer what, GError **error)
{
	const Sends *m = what;

	return tg_store_outbox_mark_sent (store, m->ids, m->message_ids,
					  m->sent_at, m->n, NULL, error);
}

/* @attempt until it succeeds, connecting again while the database is
 * unreachable, until @give_up. */
static gboolean
patiently (TgStore *store, Attempt attempt, gconstpointer what,
	   gint64 give_up, GError **error)
{
	for (;;) {
		g_autoptr (GError) local = NULL;

		if (attempt (store, what, &local))
			return TRUE;
		if (!g_error_matches (local, TG_STORE_ERROR,
				      TG_STORE_ERROR_TEMPORARY) ||
		    g_get_monotonic_time () > give_up) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		g_usleep (G_USEC_PER_SEC / 4);
		g_clear_error (&local);
		/* A failed reconnect shows in the next attempt's error. */
		reconnect (store, NULL);
	}
}

gboolean
tg_store_outbox_sent_patiently (TgStore *store, gint64 id, gint64 give_up,
				GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return patiently (store, sent_one, &id, give_up, error);
}

gboolean
tg_store_outbox_mark_sent_patiently (TgStore *store, const gint64 *ids,
				     const char *const *message_ids,
				     const gint64 *sent_at, guint n,
				     gint64 give_up, GError **error)
{
	Sends m = { ids, message_ids, sent_at, n };

	g_return_val_if_fail (store != NULL, FALSE);
	return patiently (store, sent_many, &m, give_up, error);
}

gboolean
tg_store_outbox_failed (TgStore *store, gint64 id, const char *why,
			int retry_seconds, gboolean give_up, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, id);
	store_params_add (&p, why);
	store_params_add_int (&p, retry_seconds);
	store_params_add_bool (&p, give_up);
	return store_run_command (store, SQL_OUTBOX_FAILED, &p, error);
}

static gpointer
holder_row (const PGresult *res, int i)
{
	TgOutboxHolder *h = g_new0 (TgOutboxHolder, 1);

	h->id = store_get_int (res, i, 0);
	h->claimed_by = store_get_str (res, i, 1);
	h->is_held = store_get_bool (res, i, 2);
	h->is_due = store_get_bool (res, i, 3);
	return h;
}

GPtrArray *
tg_store_answers_of (TgStore *store, const char *dedup_key, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && dedup_key != NULL, NULL);
	store_params_init (&p);
	store_params_add (&p, dedup_key);
	return store_query_list (store, SQL_ANSWERS_OF, &p, holder_row,
				 (GDestroyNotify) tg_outbox_holder_free, error);
}

/* A bigint[] literal of @n numbers. */
static void
params_add_int_array (Params *p, const gint64 *values, guint n)
{
	GString *out = g_string_new ("{");

	for (guint i = 0; i < n; i++)
		g_string_append_printf (out, "%s%" G_GINT64_FORMAT,
					i ? "," : "", values[i]);
	g_string_append_c (out, '}');
	store_params_take (p, g_string_free (out, FALSE));
}

GPtrArray *
tg_store_take_over (TgStore *store, const GPtrArray *holders,
		    int claim_seconds, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autofree gint64 *ids = g_new0 (gint64, holders->len + 1);
	g_autofree const char **names = g_new0 (const char *, holders->len + 1);
	g_autoptr (GString) is_free = g_string_new ("{");

	g_return_val_if_fail (store != NULL && holders != NULL, NULL);
	for (guint i = 0; i < holders->len; i++) {
		const TgOutboxHolder *h = holders->pdata[i];

		ids[i] = h->id;
		names[i] = h->claimed_by;
		g_string_append_printf (is_free, "%s%s", i ? "," : "",
					h->is_held ? "f" : "t");
	}
	g_string_append_c (is_free, '}');
	store_params_init (&p);
	params_add_int_array (&p, ids, holders->len);
	store_params_add_array (&p, names, holders->len);
	store_params_add (&p, is_free->str);
	store_params_add_int (&p, claim_seconds);
	store_params_add (&p, tg_owner_self ());
	return store_query_list (store, SQL_TAKE_OVER, &p, outbox_row,
				 (GDestroyNotify) tg_outbox_item_free, error);
}

gboolean
tg_store_outbox_mark_sent (TgStore *store, const gint64 *ids,
			   const char *const *message_ids,
			   const gint64 *sent_at, guint n, guint *marked_out,
			   GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	store_params_init (&p);
	params_add_int_array (&p, ids, n);
	store_params_add_array (&p, message_ids, n);
	params_add_int_array (&p, sent_at, n);
	res = store_run (store, SQL_MARK_SENT, &p, PGRES_COMMAND_OK, error);
	if (res == NULL)
		return FALSE;
	if (marked_out != NULL)
		*marked_out = (guint) g_ascii_strtoull (PQcmdTuples (res), NULL,
							10);
	return TRUE;
}

const char *
tg_store_database_id (TgStore *store, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, NULL);
	if (store->database_id != NULL)
		return store->database_id;
	res = store_run_query (store, SQL_DATABASE_ID, NULL, error);
	if (res == NULL)
		return NULL;
	if (PQntuples (res) != 1) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_FAILED,
			     "desk_identity holds %d rows, not one",
			     PQntuples (res));
		return NULL;
	}
	store->database_id = store_get_str (res, 0, 0);
	return store->database_id;
}

gboolean
tg_store_outbox_due_now (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return store_run_command (store, SQL_DUE_NOW, NULL, error);
}

void
tg_outbox_holder_free (TgOutboxHolder *holder)
{
	if (holder == NULL)
		return;
	g_free (holder->claimed_by);
	g_free (holder);
}

/* ---- releasing results --------------------------------------------- */

void
tg_outbox_item_free (TgOutboxItem *item)
{
	if (item == NULL)
		return;
	g_free (item->envelope_from);
	g_free (item->message_id);
	g_strfreev (item->recipients);
	g_clear_pointer (&item->content, g_bytes_unref);
	g_clear_pointer (&item->created_at, g_date_time_unref);
	g_free (item);
}
