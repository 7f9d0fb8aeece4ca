/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store: ticketgate's only SQL and only libpq user. Every statement is a
 * named constant below, sent with PQexecParams and parameters; errors are
 * classified by SQLSTATE into what the caller should do (retry the
 * transaction, tempfail, treat as a duplicate). No session state is kept
 * (no SET, no named prepared statements), so PgBouncer's transaction mode
 * works.
 */
#include "store-private.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "owner.h"

G_DEFINE_QUARK (tg-store-error-quark, tg_store_error)

/* ---- parameters ---------------------------------------------------- */

void
store_params_init (Params *p)
{
	memset (p, 0, sizeof *p);
	p->owned = g_ptr_array_new_with_free_func (g_free);
}

void
store_params_clear (Params *p)
{
	g_clear_pointer (&p->owned, g_ptr_array_unref);
}

static void
params_add_raw (Params *p, const char *value, int length, int format)
{
	g_assert (p->n < MAX_PARAMS);
	p->values[p->n] = value;
	p->lengths[p->n] = length;
	p->formats[p->n] = format;
	p->n++;
}

/* Text parameters must be valid UTF-8: the server refuses anything else,
 * and a mail's header may hold any bytes. */
void
store_params_add (Params *p, const char *value)
{
	if (value != NULL && !g_utf8_validate (value, -1, NULL)) {
		char *valid = g_utf8_make_valid (value, -1);

		g_ptr_array_add (p->owned, valid);
		value = valid;
	}
	params_add_raw (p, value, 0, 0);
}

void
store_params_take (Params *p, char *value)
{
	if (value != NULL)
		g_ptr_array_add (p->owned, value);
	store_params_add (p, value);
}

void
store_params_add_int (Params *p, gint64 value)
{
	store_params_take (p, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

/* 0 means "none" for ids and minutes: sent as NULL. */
void
store_params_add_id (Params *p, gint64 value)
{
	if (value == 0)
		store_params_add (p, NULL);
	else
		store_params_add_int (p, value);
}

void
store_params_add_bool (Params *p, gboolean value)
{
	store_params_add (p, value ? "true" : "false");
}

void
store_params_add_time (Params *p, GDateTime *t)
{
	store_params_take (p, t != NULL ? g_date_time_format_iso8601 (t)
					: NULL);
}

void
store_params_add_date (Params *p, const GDate *d)
{
	if (d == NULL || !g_date_valid (d)) {
		store_params_add (p, NULL);
		return;
	}
	store_params_take (p, g_strdup_printf ("%04d-%02d-%02d",
					       g_date_get_year (d),
					       g_date_get_month (d),
					       g_date_get_day (d)));
}

/* A text[] literal: {"a","b"} with quotes and backslashes escaped. */
void
store_params_add_array (Params *p, const char *const *items, gssize n)
{
	GString *out = g_string_new ("{");

	for (gssize i = 0; items != NULL && (n < 0 ? items[i] != NULL : i < n);
	     i++) {
		const char *c;

		if (i > 0)
			g_string_append_c (out, ',');
		if (items[i] == NULL) {
			g_string_append (out, "NULL");
			continue;
		}
		g_string_append_c (out, '"');
		for (c = items[i]; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				g_string_append_c (out, '\\');
			g_string_append_c (out, *c);
		}
		g_string_append_c (out, '"');
	}
	g_string_append_c (out, '}');
	store_params_take (p, g_string_free (out, FALSE));
}

void
store_params_add_binary (Params *p, const void *data, gsize len)
{
	params_add_raw (p, data, (int) len, 1);
}

/* ---- errors and execution ------------------------------------------ */

static char *
one_line (const char *message)
{
	char *copy = g_strdup (message != NULL && *message ? message
							   : "unknown error");

	g_strdelimit (copy, "\r\n\t", ' ');
	return g_strchomp (copy);
}

static TgStoreError
classify_sqlstate (const char *state, PGconn *conn)
{
	/* No SQLSTATE: libpq's own error, which in practice is the
	 * connection going away (the server died, the socket broke) and
	 * PQstatus() does not always say so yet. It may heal. */
	if (state == NULL)
		return TG_STORE_ERROR_TEMPORARY;
	if (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0)
		return TG_STORE_ERROR_RETRY;
	if (strcmp (state, "23505") == 0)
		return TG_STORE_ERROR_DUPLICATE;
	if (g_str_has_prefix (state, "23") || g_str_has_prefix (state, "22"))
		return TG_STORE_ERROR_INVALID;
	if (g_str_has_prefix (state, "08") || g_str_has_prefix (state, "53") ||
	    g_str_has_prefix (state, "57P0") || strcmp (state, "57014") == 0 ||
	    strcmp (state, "55P03") == 0)
		return TG_STORE_ERROR_TEMPORARY;
	return TG_STORE_ERROR_FAILED;
}

void
store_set_result_error (TgStore *store, const PGresult *res, GError **error)
{
	const char *state =
		res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL
		? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
		: NULL;
	g_autofree char *text =
		one_line (msg != NULL ? msg : PQerrorMessage (store->conn));

	if (state != NULL)
		g_set_error (error, TG_STORE_ERROR,
			     classify_sqlstate (state, store->conn),
			     "%s (SQLSTATE %s)", text, state);
	else
		g_set_error (error, TG_STORE_ERROR,
			     classify_sqlstate (state, store->conn), "%s",
			     text);
}

/*
 * Runs one statement and checks its status against @expect. Returns the
 * result, or NULL with an error classified by SQLSTATE.
 */
PGresult *
store_run (TgStore *store, const char *sql, const Params *p,
	   ExecStatusType expect, GError **error)
{
	PGresult *res = PQexecParams (store->conn, sql, p ? p->n : 0, NULL,
				      p ? p->values : NULL,
				      p ? p->lengths : NULL,
				      p ? p->formats : NULL, 0);

	if (res != NULL && PQresultStatus (res) == expect)
		return res;
	store_set_result_error (store, res, error);
	PQclear (res);
	return NULL;
}

gboolean
store_run_command (TgStore *store, const char *sql, const Params *p,
		   GError **error)
{
	g_autoptr (PGresult) res =
		store_run (store, sql, p, PGRES_COMMAND_OK, error);

	return res != NULL;
}

PGresult *
store_run_query (TgStore *store, const char *sql, const Params *p,
		 GError **error)
{
	return store_run (store, sql, p, PGRES_TUPLES_OK, error);
}

/* Rows changed by an UPDATE or DELETE, for NOT_FOUND. */
gboolean
store_run_change (TgStore *store, const char *sql, const Params *p,
		  const char *what, GError **error)
{
	g_autoptr (PGresult) res =
		store_run (store, sql, p, PGRES_COMMAND_OK, error);

	if (res == NULL)
		return FALSE;
	if (strcmp (PQcmdTuples (res), "0") == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no %s", what);
		return FALSE;
	}
	return TRUE;
}

static gboolean
send_steps (TgStore *store, Step *steps, int n, GError **error)
{
	for (int i = 0; i < n; i++) {
		const Params *p = steps[i].p;

		if (!PQsendQueryParams (store->conn, steps[i].sql, p ? p->n : 0,
					NULL, p ? p->values : NULL,
					p ? p->lengths : NULL,
					p ? p->formats : NULL, 0)) {
			store_set_result_error (store, NULL, error);
			return FALSE;
		}
	}
	if (!PQpipelineSync (store->conn)) {
		store_set_result_error (store, NULL, error);
		return FALSE;
	}
	return TRUE;
}

/* Reads one step's result (and the NULL after it); the first failure of
 * the pipeline sets @error. */
static void
read_step (TgStore *store, Step *step, GError **error)
{
	PGresult *res = PQgetResult (store->conn);
	PGresult *end;

	if (res == NULL || PQresultStatus (res) != step->expect) {
		if (error != NULL && *error == NULL)
			store_set_result_error (store, res, error);
		PQclear (res);
	} else if (step->result_out != NULL) {
		*step->result_out = res;
	} else {
		PQclear (res);
	}
	if (res != NULL && (end = PQgetResult (store->conn)) != NULL)
		PQclear (end); /* cannot happen: one result per statement */
}

/*
 * Runs @steps in one pipeline: all are sent at once, then every result is
 * read, so that n statements cost one round trip. A failed statement
 * aborts the ones after it (and, outside an explicit transaction, the
 * implicit one that holds them all). Returns FALSE with the first error.
 */
gboolean
store_run_pipeline (TgStore *store, Step *steps, int n, GError **error)
{
	GError *first = NULL;
	PGresult *res;

	if (PQenterPipelineMode (store->conn) != 1) {
		store_set_result_error (store, NULL, error);
		return FALSE;
	}
	if (!send_steps (store, steps, n, &first)) {
		PQexitPipelineMode (store->conn);
		g_propagate_error (error, first);
		return FALSE;
	}
	for (int i = 0; i < n; i++)
		read_step (store, &steps[i], &first);
	/* The Sync's own result, then the pipeline is empty again. */
	while ((res = PQgetResult (store->conn)) != NULL) {
		gboolean sync = PQresultStatus (res) == PGRES_PIPELINE_SYNC;

		PQclear (res);
		if (sync)
			break;
	}
	PQexitPipelineMode (store->conn);
	if (first != NULL) {
		for (int i = 0; i < n; i++)
			if (steps[i].result_out != NULL)
				g_clear_pointer (steps[i].result_out, PQclear);
		g_propagate_error (error, first);
		return FALSE;
	}
	return TRUE;
}

/* ---- reading results ----------------------------------------------- */

static GPtrArray *
rows_to_list (const PGresult *res, RowFunc row_func, GDestroyNotify free_func)
{
	GPtrArray *list = g_ptr_array_new_full (PQntuples (res), free_func);

	for (int i = 0; i < PQntuples (res); i++)
		g_ptr_array_add (list, row_func (res, i));
	return list;
}

/* Runs a query and makes a list of its rows; NULL with an error. */
GPtrArray *
store_query_list (TgStore *store, const char *sql, const Params *p,
		  RowFunc row_func, GDestroyNotify free_func, GError **error)
{
	g_autoptr (PGresult) res = store_run_query (store, sql, p, error);

	return res != NULL ? rows_to_list (res, row_func, free_func) : NULL;
}

char *
store_get_str (const PGresult *res, int row, int col)
{
	return PQgetisnull (res, row, col)
		       ? NULL
		       : g_strdup (PQgetvalue (res, row, col));
}

gint64
store_get_int (const PGresult *res, int row, int col)
{
	return PQgetisnull (res, row, col)
		       ? 0
		       : g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

gboolean
store_get_bool (const PGresult *res, int row, int col)
{
	return !PQgetisnull (res, row, col) &&
	       PQgetvalue (res, row, col)[0] == 't';
}

GDateTime *
store_get_time (const PGresult *res, int row, int col)
{
	gint64 us;
	g_autoptr (GDateTime) whole = NULL;

	if (PQgetisnull (res, row, col))
		return NULL;
	us = g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
	whole = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC -
					       (us % G_USEC_PER_SEC < 0));
	return g_date_time_add (whole, ((us % G_USEC_PER_SEC) +
					G_USEC_PER_SEC) %
					       G_USEC_PER_SEC);
}

char **
store_get_list (const PGresult *res, int row, int col)
{
	const char *v;

	if (PQgetisnull (res, row, col))
		return g_new0 (char *, 1);
	v = PQgetvalue (res, row, col);
	if (*v == '\0')
		return g_new0 (char *, 1);
	return g_strsplit (v, "\x1f", -1);
}

void
store_get_date (const PGresult *res, int row, int col, GDate *out)
{
	int y = 0, m = 0, d = 0;

	g_date_clear (out, 1);
	if (!PQgetisnull (res, row, col) &&
	    sscanf (PQgetvalue (res, row, col), "%d-%d-%d", &y, &m, &d) == 3 &&
	    g_date_valid_dmy (d, m, y))
		g_date_set_dmy (out, d, m, y);
}

/* ---- connection and transactions ----------------------------------- */

static void
log_notice (void *data, const char *message)
{
	g_autofree char *line = one_line (message);

	(void) data;
	g_debug ("database: %s", line);
}

char *
tg_store_client_version (void)
{
	int v = PQlibVersion ();

	return g_strdup_printf ("libpq %d.%d, %s", v / 10000, v % 10000,
#ifdef TG_STATIC_LIBPQ
	                        "static: no GSSAPI, no LDAP"
#else
	                        "shared"
#endif
	);
}

struct _TgStorePending {
	PGconn *conn;
	ConnectParams how;
	gint64 started;
	PostgresPollingStatusType want;
};

static void
connect_params_clear (ConnectParams *how)
{
	g_clear_pointer (&how->conninfo, g_free);
	g_clear_pointer (&how->application_name, g_free);
}

/* A conninfo libpq cannot parse never heals by itself; anything else
 * (no server, refused, too many clients) may. */
static void
set_connect_error (PGconn *conn, GError **error)
{
	g_autofree char *why = conn != NULL ? one_line (PQerrorMessage (conn))
					    : g_strdup ("out of memory");
	gboolean bad_option = strstr (why, "invalid connection option") ||
			      strstr (why, "missing \"=\"") ||
			      strstr (why, "invalid URI");

	g_set_error (error, TG_STORE_ERROR,
		     bad_option ? TG_STORE_ERROR_FAILED : TG_STORE_ERROR_TEMPORARY,
		     "database connection: %s", why);
}

/* Waits until the socket is ready the way libpq asked: 1 when it is,
 * 0 at @deadline (monotonic; 0: do not wait), -1 with errno on a failed
 * poll. */
static int
wait_socket (PGconn *conn, PostgresPollingStatusType want, gint64 deadline)
{
	struct pollfd pfd = { PQsocket (conn),
			      want == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			      0 };
	int rc;

	do {
		gint64 left = deadline - g_get_monotonic_time ();

		rc = poll (&pfd, 1, left <= 0 ? 0 : (int) MIN (left / 1000 + 1, G_MAXINT));
	} while (rc < 0 && errno == EINTR);
	return rc;
}

TgStorePending *
tg_store_connect_start (const char *conninfo,
			const char *application_name,
			int connect_timeout,
			int statement_timeout,
			GError **error)
{
	g_autofree char *timeout = g_strdup_printf ("%d", connect_timeout);
	/* expand_dbname: the first "dbname" is itself a conninfo string or
	 * URI, so the admin's setting is parsed by libpq, never by us. */
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
			       "client_encoding", NULL };
	const char *values[] = { conninfo, timeout, application_name, "UTF8",
				 NULL };
	TgStorePending *pending;
	PGconn *conn;

	g_return_val_if_fail (conninfo != NULL, NULL);
	conn = PQconnectStartParams (keys, values, 1);
	if (conn == NULL || PQstatus (conn) == CONNECTION_BAD) {
		set_connect_error (conn, error);
		PQfinish (conn);
		return NULL;
	}
	/* libpq prints server notices on stderr, which under Postfix is
	 * the text of a bounce: send them to the log instead. */
	PQsetNoticeProcessor (conn, log_notice, NULL);
	pending = g_new0 (TgStorePending, 1);
	pending->want = PGRES_POLLING_WRITING;
	/* One step if the socket is connected already (a unix socket is):
	 * it sends the startup packet, and the server starts the backend
	 * while the caller does other work. */
	if (wait_socket (conn, PGRES_POLLING_WRITING, 0) > 0)
		pending->want = PQconnectPoll (conn);
	pending->conn = conn;
	pending->how.conninfo = g_strdup (conninfo);
	pending->how.application_name = g_strdup (application_name);
	pending->how.connect_timeout = connect_timeout;
	pending->how.statement_timeout = statement_timeout;
	pending->started = g_get_monotonic_time ();
	return pending;
}


TgStore *
tg_store_connect_finish (TgStorePending *pending, GError **error)
{
	g_autoptr (PGconn) conn = g_steal_pointer (&pending->conn);
	gint64 deadline = pending->started +
			  (gint64) pending->how.connect_timeout * G_USEC_PER_SEC;
	PostgresPollingStatusType want = pending->want;
	TgStore *store;

	while (PQstatus (conn) != CONNECTION_OK) {
		int ready = 1;

		if (PQstatus (conn) == CONNECTION_BAD ||
		    want == PGRES_POLLING_FAILED) {
			set_connect_error (conn, error);
			return NULL;
		}
		if (want != PGRES_POLLING_OK)
			ready = wait_socket (conn, want, deadline);
		if (ready <= 0) {
			g_set_error (error, TG_STORE_ERROR,
				     TG_STORE_ERROR_TEMPORARY,
				     "database connection: %s",
				     ready < 0 ? g_strerror (errno)
					       : "timed out");
			return NULL;
		}
		want = PQconnectPoll (conn);
	}
	store = g_new0 (TgStore, 1);
	store->conn = g_steal_pointer (&conn);
	store->how = pending->how;
	memset (&pending->how, 0, sizeof pending->how);
	return store;
}

gint64
tg_store_pending_age (const TgStorePending *pending)
{
	return g_get_monotonic_time () - pending->started;
}

void
tg_store_pending_free (TgStorePending *pending)
{
	if (pending == NULL)
		return;
	PQfinish (pending->conn);
	connect_params_clear (&pending->how);
	g_free (pending);
}

TgStore *
tg_store_connect (const char *conninfo,
		  const char *application_name,
		  int connect_timeout,
		  int statement_timeout,
		  GError **error)
{
	g_autoptr (TgStorePending) pending = NULL;

	pending = tg_store_connect_start (conninfo, application_name,
					  connect_timeout, statement_timeout,
					  error);
	return pending != NULL ? tg_store_connect_finish (pending, error) : NULL;
}

void
tg_store_free (TgStore *store)
{
	if (store == NULL)
		return;
	g_clear_pointer (&store->conn, PQfinish);
	connect_params_clear (&store->how);
	g_free (store->database_id);
	g_free (store);
}

const char SQL_BEGIN[] = "BEGIN";
const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
/* SET LOCAL through set_config(), so that the value is a parameter. */
static const char SQL_SET_TIMEOUT[] =
	"SELECT set_config('statement_timeout', $1, true)";

gboolean
tg_store_begin (TgStore *store, GError **error)
{
	g_auto (Params) p = { 0 };
	Step steps[] = {
		{ SQL_BEGIN, NULL, PGRES_COMMAND_OK, NULL },
		{ SQL_SET_TIMEOUT, &p, PGRES_TUPLES_OK, NULL },
	};

	g_return_val_if_fail (store != NULL, FALSE);
	if (store->how.statement_timeout <= 0)
		return store_run_command (store, SQL_BEGIN, NULL, error);
	store_params_init (&p);
	store_params_take (&p, g_strdup_printf ("%ds",
						store->how.statement_timeout));
	if (!store_run_pipeline (store, steps, G_N_ELEMENTS (steps), error)) {
		tg_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_commit (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return store_run_command (store, SQL_COMMIT, NULL, error);
}

void
tg_store_rollback (TgStore *store)
{
	g_autoptr (PGresult) res = NULL;

	g_return_if_fail (store != NULL);
	if (PQstatus (store->conn) == CONNECTION_OK &&
	    PQtransactionStatus (store->conn) != PQTRANS_IDLE)
		res = PQexecParams (store->conn, SQL_ROLLBACK, 0, NULL, NULL,
				    NULL, NULL, 0);
}

/* The claim is held in the name of the calling process (owner.h), and
 * the answer is linked to the incoming mail stored before it in the
 * same transaction. The database's name comes back with the row id. */
static const char SQL_ADD_OUTGOING[] =
	"WITH m AS (INSERT INTO messages (ticket_id, direction, kind,"
	"  message_id, sender, recipients, subject, body_text, size,"
	"  received_at, note, raw, encloses)"
	"  VALUES ($1, 'out', $2, $3, $4, $5::text[], $6, $7, $8, now(), $11,"
	"  $9, $14) RETURNING id),"
	" o AS (INSERT INTO outbox (message_id, envelope_from, recipients,"
	"  claimed_until, claimed_by, caused_by)"
	"  SELECT id, $4, $5::text[], now() + make_interval(secs => $10), $12,"
	"  (SELECT id FROM messages WHERE dedup_key = $13)"
	"  FROM m RETURNING id)"
	" SELECT id, (SELECT id::text FROM desk_identity) FROM o";

gboolean
tg_store_add_outgoing (TgStore *store,
		       const TgOutgoing *out,
		       int claim_seconds,
		       gint64 *outbox_id_out,
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
	res = store_run_query (store, SQL_ADD_OUTGOING, &p, error);
	if (res == NULL)
		return FALSE;
	*outbox_id_out = store_get_int (res, 0, 0);
	if (store->database_id == NULL)
		store->database_id = store_get_str (res, 0, 1);
	return TRUE;
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
	return TRUE;
}

gboolean
tg_store_outbox_sent_patiently (TgStore *store, gint64 id, gint64 give_up,
				GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	for (;;) {
		g_autoptr (GError) local = NULL;

		if (tg_store_outbox_sent (store, id, &local))
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

/* ---- administration ------------------------------------------------ */

static const char SQL_ADD_CUSTOMER[] =
	"INSERT INTO customers (name) VALUES ($1) RETURNING id";
static const char SQL_FIND_CUSTOMER[] =
	"SELECT id FROM customers WHERE name = $1";
static const char SQL_ADD_CONTACT[] =
	"INSERT INTO contacts (address, customer_id, name)"
	" VALUES (lower($1), $2, $3)";
static const char SQL_ADD_DOMAIN[] =
	"INSERT INTO customer_domains (domain, customer_id)"
	" VALUES (lower($1), $2)";
static const char SQL_ADD_SUBSCRIPTION[] =
	"INSERT INTO subscriptions (customer_id, plan, valid_from, valid_until)"
	" VALUES ($1, $2, $3, $4)";
static const char SQL_LIST_CUSTOMERS[] =
	"SELECT c.id, c.name,"
	" " JOINED ("(SELECT array_agg(address ORDER BY address) FROM contacts"
		    " WHERE customer_id = c.id)") ","
	" " JOINED ("(SELECT array_agg(domain ORDER BY domain)"
		    " FROM customer_domains WHERE customer_id = c.id)") ","
	" (SELECT s.plan FROM subscriptions s JOIN plans p ON p.name = s.plan"
	"  WHERE s.customer_id = c.id AND s.valid_from <= $1::date"
	"  AND (s.valid_until IS NULL OR s.valid_until >= $1::date)"
	"  ORDER BY p.rank, s.valid_from DESC, s.plan LIMIT 1),"
	" " JOINED ("(SELECT array_agg(plan || ' ' || valid_from || '..'"
		    " || coalesce(valid_until::text, '') ORDER BY valid_from)"
		    " FROM subscriptions WHERE customer_id = c.id)")
	" FROM customers c ORDER BY c.name";
static const char SQL_ADD_STAFF[] =
	"INSERT INTO staff (address, name) VALUES (lower($1), $2)"
	" ON CONFLICT (address) DO UPDATE"
	" SET name = coalesce(EXCLUDED.name, staff.name), active = true";
static const char SQL_SET_STAFF_ACTIVE[] =
	"UPDATE staff SET active = $2 WHERE address = lower($1)";
static const char SQL_LIST_STAFF[] =
	"SELECT address, name, active FROM staff ORDER BY address";
static const char SQL_ADD_HOLIDAY[] =
	"INSERT INTO holidays (day, name) VALUES ($1, coalesce($2, ''))";
static const char SQL_REMOVE_HOLIDAY[] = "DELETE FROM holidays WHERE day = $1";
/* Attachments come back as one string: fields split by \x1e, rows by
 * \x1f; neither can occur in a part number, a name or a type we store. */
static const char SQL_LIST_MESSAGES[] =
	"SELECT m.id, m.direction, m.kind, m.message_id, m.sender,"
	" " JOINED ("m.recipients") ", m.subject, m.body_text, m.size,"
	" " US ("m.received_at") ","
	" (SELECT string_agg(part_path || E'\\x1e' || coalesce(filename, '')"
	"  || E'\\x1e' || content_type || E'\\x1e' || size, E'\\x1f'"
	"  ORDER BY part_path) FROM attachments WHERE message_id = m.id),"
	" CASE WHEN o.id IS NULL THEN NULL"
	"  WHEN o.sent_at IS NOT NULL THEN 'sent'"
	"  WHEN o.gave_up_at IS NOT NULL THEN 'gave up: ' || coalesce(o.last_error, '')"
	"  WHEN o.last_error IS NOT NULL THEN 'retrying: ' || o.last_error"
	"  ELSE 'queued' END, m.note"
	" FROM messages m LEFT JOIN outbox o ON o.message_id = m.id"
	" WHERE m.ticket_id = $1 ORDER BY m.id";

gboolean
tg_store_add_customer (TgStore *store, const char *name, gint64 *id_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, name);
	res = store_run_query (store, SQL_ADD_CUSTOMER, &p, error);
	if (res == NULL) {
		g_prefix_error (error, "customer %s: ", name);
		return FALSE;
	}
	*id_out = store_get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_find_customer (TgStore *store, const char *name, gint64 *id_out,
			GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, name);
	res = store_run_query (store, SQL_FIND_CUSTOMER, &p, error);
	if (res == NULL)
		return FALSE;
	if (PQntuples (res) == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no customer called \"%s\"", name);
		return FALSE;
	}
	*id_out = store_get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_add_contact (TgStore *store, gint64 customer_id, const char *address,
		      const char *name, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_int (&p, customer_id);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_CONTACT, &p, error)) {
		g_prefix_error (error, "contact %s: ", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_add_domain (TgStore *store, gint64 customer_id, const char *domain,
		     GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && domain != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, domain);
	store_params_add_int (&p, customer_id);
	if (!store_run_command (store, SQL_ADD_DOMAIN, &p, error)) {
		g_prefix_error (error, "domain %s: ", domain);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_add_subscription (TgStore *store, gint64 customer_id,
			   const char *plan, const GDate *from,
			   const GDate *until, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && plan != NULL, FALSE);
	store_params_init (&p);
	store_params_add_int (&p, customer_id);
	store_params_add (&p, plan);
	store_params_add_date (&p, from);
	store_params_add_date (&p, until);
	if (!store_run_command (store, SQL_ADD_SUBSCRIPTION, &p, error)) {
		g_prefix_error (error, "subscription %s: ", plan);
		return FALSE;
	}
	return TRUE;
}

static gpointer
customer_row (const PGresult *res, int i)
{
	TgCustomer *c = g_new0 (TgCustomer, 1);
	g_auto (GStrv) subs = store_get_list (res, i, 5);

	c->id = store_get_int (res, i, 0);
	c->name = store_get_str (res, i, 1);
	c->contacts = store_get_list (res, i, 2);
	c->domains = store_get_list (res, i, 3);
	c->plan_today = store_get_str (res, i, 4);
	c->subscriptions = g_ptr_array_new_with_free_func (g_free);
	for (char **sub = subs; *sub != NULL; sub++)
		g_ptr_array_add (c->subscriptions, g_strdup (*sub));
	return c;
}

GPtrArray *
tg_store_list_customers (TgStore *store, const GDate *today, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && today != NULL, NULL);
	store_params_init (&p);
	store_params_add_date (&p, today);
	return store_query_list (store, SQL_LIST_CUSTOMERS, &p, customer_row,
				 (GDestroyNotify) tg_customer_free, error);
}

gboolean
tg_store_add_staff (TgStore *store, const char *address, const char *name,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_STAFF, &p, error)) {
		g_prefix_error (error, "staff %s: ", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_set_staff_active (TgStore *store, const char *address,
			   gboolean active, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autofree char *what = g_strdup_printf ("staff member %s", address);

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	store_params_init (&p);
	store_params_add (&p, address);
	store_params_add_bool (&p, active);
	return store_run_change (store, SQL_SET_STAFF_ACTIVE, &p, what, error);
}

static gpointer
staff_row (const PGresult *res, int i)
{
	TgStaff *s = g_new0 (TgStaff, 1);

	s->address = store_get_str (res, i, 0);
	s->name = store_get_str (res, i, 1);
	s->active = store_get_bool (res, i, 2);
	return s;
}

GPtrArray *
tg_store_list_staff (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return store_query_list (store, SQL_LIST_STAFF, NULL, staff_row,
				 (GDestroyNotify) tg_staff_free, error);
}

gboolean
tg_store_add_holiday (TgStore *store, const GDate *day, const char *name,
		      GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	store_params_init (&p);
	store_params_add_date (&p, day);
	store_params_add (&p, name);
	if (!store_run_command (store, SQL_ADD_HOLIDAY, &p, error)) {
		g_prefix_error (error, "holiday: ");
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_remove_holiday (TgStore *store, const GDate *day, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	store_params_init (&p);
	store_params_add_date (&p, day);
	return store_run_change (store, SQL_REMOVE_HOLIDAY, &p,
				 "holiday on that day", error);
}

static void
attachment_free (TgAttachment *a)
{
	g_free (a->filename);
	g_free (a->content_type);
	g_free (a->part_path);
	g_free (a);
}

static GPtrArray *
get_attachments (const PGresult *res, int row, int col)
{
	g_auto (GStrv) rows = store_get_list (res, row, col);
	GPtrArray *list = g_ptr_array_new_with_free_func (
		(GDestroyNotify) attachment_free);

	for (char **r = rows; *r != NULL; r++) {
		g_auto (GStrv) f = g_strsplit (*r, "\x1e", 4);
		TgAttachment *a;

		if (g_strv_length (f) != 4)
			continue;
		a = g_new0 (TgAttachment, 1);
		a->part_path = g_strdup (f[0]);
		a->filename = *f[1] != '\0' ? g_strdup (f[1]) : NULL;
		a->content_type = g_strdup (f[2]);
		a->size = g_ascii_strtoull (f[3], NULL, 10);
		g_ptr_array_add (list, a);
	}
	return list;
}

static gpointer
message_row (const PGresult *res, int i)
{
	TgStoredMessage *m = g_new0 (TgStoredMessage, 1);

	m->id = store_get_int (res, i, 0);
	m->direction = store_get_str (res, i, 1);
	m->kind = store_get_str (res, i, 2);
	m->message_id = store_get_str (res, i, 3);
	m->sender = store_get_str (res, i, 4);
	m->recipients = store_get_list (res, i, 5);
	m->subject = store_get_str (res, i, 6);
	m->body_text = store_get_str (res, i, 7);
	m->size = store_get_int (res, i, 8);
	m->received_at = store_get_time (res, i, 9);
	m->attachments = get_attachments (res, i, 10);
	m->delivery = store_get_str (res, i, 11);
	m->note = store_get_str (res, i, 12);
	return m;
}

GPtrArray *
tg_store_list_messages (TgStore *store, gint64 ticket_id, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, NULL);
	store_params_init (&p);
	store_params_add_int (&p, ticket_id);
	return store_query_list (store, SQL_LIST_MESSAGES, &p, message_row,
				 (GDestroyNotify) tg_stored_message_free,
				 error);
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

void
tg_stored_message_free (TgStoredMessage *m)
{
	if (m == NULL)
		return;
	g_free (m->direction);
	g_free (m->kind);
	g_free (m->message_id);
	g_free (m->sender);
	g_strfreev (m->recipients);
	g_free (m->subject);
	g_free (m->body_text);
	g_clear_pointer (&m->received_at, g_date_time_unref);
	g_clear_pointer (&m->attachments, g_ptr_array_unref);
	g_free (m->delivery);
	g_free (m->note);
	g_free (m);
}

void
tg_customer_free (TgCustomer *c)
{
	if (c == NULL)
		return;
	g_free (c->name);
	g_strfreev (c->contacts);
	g_strfreev (c->domains);
	g_free (c->plan_today);
	g_clear_pointer (&c->subscriptions, g_ptr_array_unref);
	g_free (c);
}

void
tg_staff_free (TgStaff *s)
{
	if (s == NULL)
		return;
	g_free (s->address);
	g_free (s->name);
	g_free (s);
}
