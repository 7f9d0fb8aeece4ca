/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-exec: what the other files of the store (ticketgate's only SQL
 * and only libpq user) build on: connecting, transactions, the
 * parameters of a statement, running statements and reading their
 * results. Every statement is a named constant in the file of its
 * concern, sent with PQexecParams and parameters (several at once in a
 * pipeline); errors are classified by SQLSTATE into what the caller
 * should do (retry the transaction, tempfail, treat as a duplicate). No
 * session state is kept (no SET, no named prepared statements), so
 * PgBouncer's transaction mode works.
 */
#include "store-private.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

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

void
tg_store_prepare_statements (TgStore *store)
{
	g_return_if_fail (store != NULL);
	if (store->prepared == NULL)
		store->prepared = g_hash_table_new_full (g_direct_hash,
							 g_direct_equal, NULL,
							 g_free);
}

void
store_forget_prepared (TgStore *store)
{
	if (store->prepared != NULL)
		g_hash_table_remove_all (store->prepared);
}

/*
 * A statement that a long-lived connection runs again and again is
 * parsed and planned once: prepared under a name at its first use, by
 * the address of its text (every statement is a constant of the store's
 * files). Returns its name, or NULL with the failed PREPARE in *@failed.
 */
static const char *
prepared_name (TgStore *store, const char *sql, int n_params,
	       PGresult **failed)
{
	const char *name = g_hash_table_lookup (store->prepared, sql);
	char *fresh;
	PGresult *res;

	if (name != NULL)
		return name;
	fresh = g_strdup_printf ("tg%u",
				 g_hash_table_size (store->prepared) + 1);
	res = PQprepare (store->conn, fresh, sql, n_params, NULL);
	if (res == NULL || PQresultStatus (res) != PGRES_COMMAND_OK) {
		g_free (fresh);
		*failed = res;
		return NULL;
	}
	PQclear (res);
	g_hash_table_insert (store->prepared, (gpointer) sql, fresh);
	return fresh;
}

static PGresult *
run_prepared (TgStore *store, const char *sql, const Params *p)
{
	PGresult *failed = NULL;
	const char *name = prepared_name (store, sql, p ? p->n : 0, &failed);

	if (name == NULL)
		return failed;
	return PQexecPrepared (store->conn, name, p ? p->n : 0,
			       p ? p->values : NULL, p ? p->lengths : NULL,
			       p ? p->formats : NULL, 0);
}

/*
 * Runs one statement and checks its status against @expect. Returns the
 * result, or NULL with an error classified by SQLSTATE.
 */
PGresult *
store_run (TgStore *store, const char *sql, const Params *p,
	   ExecStatusType expect, GError **error)
{
	PGresult *res = store->prepared != NULL
		? run_prepared (store, sql, p)
		: PQexecParams (store->conn, sql, p ? p->n : 0, NULL,
				p ? p->values : NULL, p ? p->lengths : NULL,
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

/* Prepares, before the pipeline, the steps not prepared yet. */
static gboolean
prepare_steps (TgStore *store, const Step *steps, int n, GError **error)
{
	for (int i = 0; store->prepared != NULL && i < n; i++) {
		PGresult *failed = NULL;
		const Params *p = steps[i].p;

		if (prepared_name (store, steps[i].sql, p ? p->n : 0,
				   &failed) == NULL) {
			store_set_result_error (store, failed, error);
			PQclear (failed);
			return FALSE;
		}
	}
	return TRUE;
}

static int
send_step (TgStore *store, const Step *step)
{
	const Params *p = step->p;

	if (store->prepared != NULL)
		return PQsendQueryPrepared (
			store->conn,
			g_hash_table_lookup (store->prepared, step->sql),
			p ? p->n : 0, p ? p->values : NULL,
			p ? p->lengths : NULL, p ? p->formats : NULL, 0);
	return PQsendQueryParams (store->conn, step->sql, p ? p->n : 0, NULL,
				  p ? p->values : NULL, p ? p->lengths : NULL,
				  p ? p->formats : NULL, 0);
}

static gboolean
send_steps (TgStore *store, Step *steps, int n, GError **error)
{
	for (int i = 0; i < n; i++) {
		if (!send_step (store, &steps[i])) {
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

	if (!prepare_steps (store, steps, n, error))
		return FALSE;
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
#ifdef TG_STATIC_DEPS
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
	g_clear_pointer (&store->prepared, g_hash_table_unref);
	g_free (store);
}

gboolean
tg_store_is_usable (TgStore *store)
{
	PGresult *res;
	gboolean alive;

	g_return_val_if_fail (store != NULL, FALSE);
	if (PQstatus (store->conn) != CONNECTION_OK ||
	    PQtransactionStatus (store->conn) != PQTRANS_IDLE)
		return FALSE;
	/* An empty statement: one round trip, which a connection the
	 * server closed since (a restart, an idle timeout) fails. */
	res = PQexecParams (store->conn, "", 0, NULL, NULL, NULL, NULL, 0);
	alive = res != NULL && PQresultStatus (res) == PGRES_EMPTY_QUERY;
	PQclear (res);
	return alive;
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
