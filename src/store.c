/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store: ticketgate's only SQL and only libpq user. Every statement is a
 * named constant below, sent with PQexecParams and parameters; errors are
 * classified by SQLSTATE into what the caller should do (retry the
 * transaction, tempfail, treat as a duplicate). No session state is kept
 * (no SET, no named prepared statements), so PgBouncer's transaction mode
 * works.
 */
#include "store.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "owner.h"

G_DEFINE_QUARK (tg-store-error-quark, tg_store_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

/* How it connects, kept to connect again (tg_store_outbox_sent_patiently). */
typedef struct {
	char *conninfo;
	char *application_name;
	int connect_timeout;
	int statement_timeout;
} ConnectParams;

struct _TgStore {
	PGconn *conn;
	ConnectParams how;
	char *database_id; /* desk_identity, once read */
};

/* Plans without e-mail support or no plan at all sort after every plan. */
#define NO_PLAN_RANK 1000

/* Timestamps travel as microseconds since the epoch, never as text in
 * the server's DateStyle. */
#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
/* Arrays come back joined with the unit separator, which no address,
 * domain or plan name can hold. */
#define JOINED(col) "array_to_string(" col ", E'\\x1f')"

/* ---- parameters ---------------------------------------------------- */

#define MAX_PARAMS 24

typedef struct {
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS];
	int formats[MAX_PARAMS];
	int n;
	GPtrArray *owned;
} Params;

static void
params_init (Params *p)
{
	memset (p, 0, sizeof *p);
	p->owned = g_ptr_array_new_with_free_func (g_free);
}

static void
params_clear (Params *p)
{
	g_clear_pointer (&p->owned, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Params, params_clear)

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
static void
params_add (Params *p, const char *value)
{
	if (value != NULL && !g_utf8_validate (value, -1, NULL)) {
		char *valid = g_utf8_make_valid (value, -1);

		g_ptr_array_add (p->owned, valid);
		value = valid;
	}
	params_add_raw (p, value, 0, 0);
}

static void
params_take (Params *p, char *value)
{
	if (value != NULL)
		g_ptr_array_add (p->owned, value);
	params_add (p, value);
}

static void
params_add_int (Params *p, gint64 value)
{
	params_take (p, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

/* 0 means "none" for ids and minutes: sent as NULL. */
static void
params_add_id (Params *p, gint64 value)
{
	if (value == 0)
		params_add (p, NULL);
	else
		params_add_int (p, value);
}

static void
params_add_bool (Params *p, gboolean value)
{
	params_add (p, value ? "true" : "false");
}

static void
params_add_time (Params *p, GDateTime *t)
{
	params_take (p, t != NULL ? g_date_time_format_iso8601 (t) : NULL);
}

static void
params_add_date (Params *p, const GDate *d)
{
	if (d == NULL || !g_date_valid (d)) {
		params_add (p, NULL);
		return;
	}
	params_take (p, g_strdup_printf ("%04d-%02d-%02d",
					 g_date_get_year (d),
					 g_date_get_month (d),
					 g_date_get_day (d)));
}

/* A text[] literal: {"a","b"} with quotes and backslashes escaped. */
static void
params_add_array (Params *p, const char *const *items, gssize n)
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
	params_take (p, g_string_free (out, FALSE));
}

static void
params_add_binary (Params *p, const void *data, gsize len)
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

static void
set_result_error (TgStore *store, const PGresult *res, GError **error)
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
static PGresult *
run (TgStore *store, const char *sql, const Params *p, ExecStatusType expect,
     GError **error)
{
	PGresult *res = PQexecParams (store->conn, sql, p ? p->n : 0, NULL,
				      p ? p->values : NULL,
				      p ? p->lengths : NULL,
				      p ? p->formats : NULL, 0);

	if (res != NULL && PQresultStatus (res) == expect)
		return res;
	set_result_error (store, res, error);
	PQclear (res);
	return NULL;
}

static gboolean
run_command (TgStore *store, const char *sql, const Params *p, GError **error)
{
	g_autoptr (PGresult) res = run (store, sql, p, PGRES_COMMAND_OK, error);

	return res != NULL;
}

static PGresult *
run_query (TgStore *store, const char *sql, const Params *p, GError **error)
{
	return run (store, sql, p, PGRES_TUPLES_OK, error);
}

static gboolean run_change (TgStore *store, const char *sql, const Params *p,
			    const char *what, GError **error);

/*
 * One statement of a pipeline: its SQL, parameters, the status it must
 * end with, and where to keep its result (NULL: not wanted).
 */
typedef struct {
	const char *sql;
	const Params *p;
	ExecStatusType expect;
	PGresult **result_out;
} Step;

static gboolean
send_steps (TgStore *store, Step *steps, int n, GError **error)
{
	for (int i = 0; i < n; i++) {
		const Params *p = steps[i].p;

		if (!PQsendQueryParams (store->conn, steps[i].sql, p ? p->n : 0,
					NULL, p ? p->values : NULL,
					p ? p->lengths : NULL,
					p ? p->formats : NULL, 0)) {
			set_result_error (store, NULL, error);
			return FALSE;
		}
	}
	if (!PQpipelineSync (store->conn)) {
		set_result_error (store, NULL, error);
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
			set_result_error (store, res, error);
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
static gboolean
run_pipeline (TgStore *store, Step *steps, int n, GError **error)
{
	GError *first = NULL;
	PGresult *res;

	if (PQenterPipelineMode (store->conn) != 1) {
		set_result_error (store, NULL, error);
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

/* Turns each row of a result into one element of a list. */
typedef gpointer (*RowFunc) (const PGresult *res, int row);

static GPtrArray *
rows_to_list (const PGresult *res, RowFunc row_func, GDestroyNotify free_func)
{
	GPtrArray *list = g_ptr_array_new_full (PQntuples (res), free_func);

	for (int i = 0; i < PQntuples (res); i++)
		g_ptr_array_add (list, row_func (res, i));
	return list;
}

/* Runs a query and makes a list of its rows; NULL with an error. */
static GPtrArray *
query_list (TgStore *store, const char *sql, const Params *p,
	    RowFunc row_func, GDestroyNotify free_func, GError **error)
{
	g_autoptr (PGresult) res = run_query (store, sql, p, error);

	return res != NULL ? rows_to_list (res, row_func, free_func) : NULL;
}

static char *
get_str (const PGresult *res, int row, int col)
{
	return PQgetisnull (res, row, col)
		       ? NULL
		       : g_strdup (PQgetvalue (res, row, col));
}

static gint64
get_int (const PGresult *res, int row, int col)
{
	return PQgetisnull (res, row, col)
		       ? 0
		       : g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static gboolean
get_bool (const PGresult *res, int row, int col)
{
	return !PQgetisnull (res, row, col) &&
	       PQgetvalue (res, row, col)[0] == 't';
}

static GDateTime *
get_time (const PGresult *res, int row, int col)
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

static char **
get_list (const PGresult *res, int row, int col)
{
	const char *v;

	if (PQgetisnull (res, row, col))
		return g_new0 (char *, 1);
	v = PQgetvalue (res, row, col);
	if (*v == '\0')
		return g_new0 (char *, 1);
	return g_strsplit (v, "\x1f", -1);
}

static void
get_date (const PGresult *res, int row, int col, GDate *out)
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
	g_free (store);
}

static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
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
		return run_command (store, SQL_BEGIN, NULL, error);
	params_init (&p);
	params_take (&p, g_strdup_printf ("%ds", store->how.statement_timeout));
	if (!run_pipeline (store, steps, G_N_ELEMENTS (steps), error)) {
		tg_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_commit (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return run_command (store, SQL_COMMIT, NULL, error);
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

/* ---- migrations ---------------------------------------------------- */

static const char SQL_MIGRATIONS_TABLE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" name text PRIMARY KEY,"
	" applied_at timestamptz NOT NULL DEFAULT now())";
/* One key for every ticketgate migration: concurrent runs take turns. */
static const char SQL_MIGRATION_LOCK[] =
	"SELECT pg_advisory_xact_lock(7413250862011)";
static const char SQL_MIGRATION_APPLIED[] =
	"SELECT name FROM schema_migrations ORDER BY name";
static const char SQL_MIGRATION_RECORD[] =
	"INSERT INTO schema_migrations (name) VALUES ($1)";
static const char SQL_MIGRATIONS_EXIST[] =
	"SELECT to_regclass('schema_migrations') IS NOT NULL";

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The NNN-name.sql files of @dir, sorted. */
static GPtrArray *
list_schema_files (const char *dir, GError **error)
{
	g_autoptr (GDir) d = g_dir_open (dir, 0, error);
	GPtrArray *files;
	const char *name;

	if (d == NULL) {
		g_prefix_error (error, "schema: ");
		return NULL;
	}
	files = g_ptr_array_new_with_free_func (g_free);
	while ((name = g_dir_read_name (d)) != NULL)
		if (g_ascii_isdigit (name[0]) && g_str_has_suffix (name, ".sql"))
			g_ptr_array_add (files, g_strdup (name));
	g_ptr_array_sort (files, compare_names);
	return files;
}

static GHashTable *
applied_migrations (TgStore *store, GError **error)
{
	g_autoptr (PGresult) exists = NULL;
	g_autoptr (PGresult) res = NULL;
	GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal,
						 g_free, NULL);

	exists = run_query (store, SQL_MIGRATIONS_EXIST, NULL, error);
	if (exists == NULL) {
		g_hash_table_unref (set);
		return NULL;
	}
	if (!get_bool (exists, 0, 0))
		return set;
	res = run_query (store, SQL_MIGRATION_APPLIED, NULL, error);
	if (res == NULL) {
		g_hash_table_unref (set);
		return NULL;
	}
	for (int i = 0; i < PQntuples (res); i++)
		g_hash_table_add (set, get_str (res, i, 0));
	return set;
}

/*
 * A schema file is a script of many statements, which the extended
 * protocol cannot run: this is the one place that uses PQexec. The text
 * comes from our own schema folder, never from input.
 */
static gboolean
run_script (TgStore *store, const char *path, GError **error)
{
	g_autofree char *sql = NULL;
	g_autoptr (PGresult) res = NULL;

	if (!g_file_get_contents (path, &sql, NULL, error))
		return FALSE;
	res = PQexec (store->conn, sql);
	if (PQresultStatus (res) != PGRES_COMMAND_OK &&
	    PQresultStatus (res) != PGRES_TUPLES_OK) {
		set_result_error (store, res, error);
		return FALSE;
	}
	return TRUE;
}

static gboolean
apply_one (TgStore *store, const char *dir, const char *name,
	   gboolean *applied_out, GError **error)
{
	g_autoptr (GHashTable) done = NULL;
	g_autofree char *path = g_build_filename (dir, name, NULL);
	g_auto (Params) p = { 0 };

	*applied_out = FALSE;
	if (!run_command (store, SQL_BEGIN, NULL, error))
		return FALSE;
	/* The lock first: two CREATE TABLE IF NOT EXISTS at once collide. */
	{
		g_autoptr (PGresult) lock =
			run_query (store, SQL_MIGRATION_LOCK, NULL, error);
		if (lock == NULL)
			goto fail;
	}
	if (!run_command (store, SQL_MIGRATIONS_TABLE, NULL, error))
		goto fail;
	done = applied_migrations (store, error);
	if (done == NULL)
		goto fail;
	if (g_hash_table_contains (done, name))
		return run_command (store, SQL_COMMIT, NULL, error);
	params_init (&p);
	params_add (&p, name);
	if (!run_script (store, path, error) ||
	    !run_command (store, SQL_MIGRATION_RECORD, &p, error) ||
	    !run_command (store, SQL_COMMIT, NULL, error)) {
		g_prefix_error (error, "%s: ", name);
		goto fail;
	}
	*applied_out = TRUE;
	return TRUE;
fail:
	tg_store_rollback (store);
	return FALSE;
}

gboolean
tg_store_migrate (TgStore *store,
		  const char *schema_dir,
		  GPtrArray **applied_out,
		  GError **error)
{
	g_autoptr (GPtrArray) files = NULL;
	g_autoptr (GPtrArray) applied =
		g_ptr_array_new_with_free_func (g_free);

	g_return_val_if_fail (store != NULL && schema_dir != NULL, FALSE);
	files = list_schema_files (schema_dir, error);
	if (files == NULL)
		return FALSE;
	for (guint i = 0; i < files->len; i++) {
		gboolean now = FALSE;

		if (!apply_one (store, schema_dir, files->pdata[i], &now,
				error))
			return FALSE;
		if (now)
			g_ptr_array_add (applied, g_strdup (files->pdata[i]));
	}
	if (applied_out != NULL)
		*applied_out = g_steal_pointer (&applied);
	return TRUE;
}

GPtrArray *
tg_store_pending_migrations (TgStore *store,
			     const char *schema_dir,
			     GError **error)
{
	g_autoptr (GPtrArray) files = NULL;
	g_autoptr (GHashTable) done = NULL;
	GPtrArray *pending;

	g_return_val_if_fail (store != NULL && schema_dir != NULL, NULL);
	files = list_schema_files (schema_dir, error);
	if (files == NULL)
		return NULL;
	done = applied_migrations (store, error);
	if (done == NULL)
		return NULL;
	pending = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < files->len; i++)
		if (!g_hash_table_contains (done, files->pdata[i]))
			g_ptr_array_add (pending, g_strdup (files->pdata[i]));
	return pending;
}

/* ---- delivering: who wrote, which plan, which ticket --------------- */

/* ---- the desk snapshot ------------------------------------------------ */

static const char SQL_DESK_IN_STEP[] =
	"SELECT NOT EXISTS ((TABLE desk_snapshot"
	"  EXCEPT ALL SELECT * FROM desk_snapshot_rows ())"
	" UNION ALL (SELECT * FROM desk_snapshot_rows ()"
	"  EXCEPT ALL TABLE desk_snapshot))";
static const char SQL_REFRESH_DESK[] = "SELECT desk_snapshot_refresh ()";
/* A new secret from the server's strong random source (see
 * schema/007-trust.sql), and how many there are now. */
static const char SQL_ROTATE_SECRET[] =
	"WITH k AS (INSERT INTO signing_keys (secret)"
	" SELECT sha256(convert_to(gen_random_uuid()::text"
	"  || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))"
	" RETURNING 1)"
	" SELECT count(*) + (SELECT count(*) FROM k) FROM signing_keys";

gboolean
tg_store_desk_in_step (TgStore *store, gboolean *in_step_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && in_step_out != NULL, FALSE);
	res = run_query (store, SQL_DESK_IN_STEP, NULL, error);
	if (res == NULL)
		return FALSE;
	*in_step_out = get_bool (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_rotate_secret (TgStore *store, int *count_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && count_out != NULL, FALSE);
	res = run_query (store, SQL_ROTATE_SECRET, NULL, error);
	if (res == NULL)
		return FALSE;
	*count_out = (int) get_int (res, 0, 0);
	return TRUE;
}

static const char SQL_COUNT_SECRETS[] = "SELECT count(*) FROM signing_keys";

gboolean
tg_store_count_secrets (TgStore *store, int *count_out, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && count_out != NULL, FALSE);
	res = run_query (store, SQL_COUNT_SECRETS, NULL, error);
	if (res == NULL)
		return FALSE;
	*count_out = (int) get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_refresh_desk (TgStore *store, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	res = run_query (store, SQL_REFRESH_DESK, NULL, error);
	return res != NULL;
}

/* Who wrote, in single-table lookups: a fresh backend pays for every
 * relation and operator a statement names while it is analysed and
 * planned, and one statement joining them all costs more to plan than
 * the lookups it is made of. A contact's exact address wins over a
 * domain; among domains, the most specific ($2 lists them from the full
 * domain up). Staff and plans come from the desk snapshot. */
static const char SQL_IDENTIFY[] =
	"SELECT (SELECT customer_id FROM contacts WHERE address = $1),"
	" (SELECT customer_id FROM customer_domains"
	"   WHERE domain = ANY ($2::text[])"
	"   ORDER BY array_position ($2::text[], domain) LIMIT 1),"
	" EXISTS (SELECT 1 FROM messages WHERE dedup_key = $3)";
/* Plans, holidays, scope rules and active staff in one table without
 * indexes that triggers keep in step (schema/005-desk-snapshot.sql). */
static const char SQL_DESK[] =
	"SELECT kind, c1, c2, c3, c4, c5, c6, c7, c8 FROM desk_snapshot"
	" ORDER BY kind, ord";

#define PLAN_COLUMNS                                                     \
	"name, rank, reaction_minutes, email_support, full_service,      \
	 hourly_rate::text, currency, description"

static const char SQL_GET_PLAN[] =
	"SELECT " PLAN_COLUMNS " FROM plans WHERE name = $1";
static const char SQL_LIST_PLANS[] =
	"SELECT " PLAN_COLUMNS " FROM plans ORDER BY rank, name";
/* The customer's name and the plans of its subscriptions in force on
 * $2, without a join, for the reason given at SQL_IDENTIFY. */
static const char SQL_CUSTOMER_NAME[] =
	"SELECT name FROM customers WHERE id = $1";
static const char SQL_SUBSCRIBED_PLANS[] =
	"SELECT plan FROM subscriptions"
	" WHERE customer_id = $1 AND valid_from <= $2::date"
	" AND (valid_until IS NULL OR valid_until >= $2::date)"
	" ORDER BY valid_from DESC, plan";

/* A plan from 8 columns starting at @col. */
static TgPlan *
plan_from_row (const PGresult *res, int row, int col)
{
	TgPlan *plan;

	if (PQgetisnull (res, row, col))
		return NULL;
	plan = g_new0 (TgPlan, 1);
	plan->name = get_str (res, row, col);
	plan->rank = (int) get_int (res, row, col + 1);
	plan->reaction_minutes = (int) get_int (res, row, col + 2);
	plan->email_support = get_bool (res, row, col + 3);
	plan->full_service = get_bool (res, row, col + 4);
	plan->hourly_rate = get_str (res, row, col + 5);
	plan->currency = get_str (res, row, col + 6);
	plan->description = get_str (res, row, col + 7);
	return plan;
}

static TgPlan *
plan_copy (const TgPlan *plan)
{
	TgPlan *copy = g_new0 (TgPlan, 1);

	*copy = *plan;
	copy->name = g_strdup (plan->name);
	copy->hourly_rate = g_strdup (plan->hourly_rate);
	copy->currency = g_strdup (plan->currency);
	copy->description = g_strdup (plan->description);
	return copy;
}

/* A holiday from 2 columns (day, name) starting at @col. */
static void
holiday_from_row (const PGresult *res, int row, int col, TgHoliday *out)
{
	get_date (res, row, col, &out->date);
	out->name = get_str (res, row, col + 1);
}

/* A scope rule from 5 columns starting at @col: topic, pattern, plans
 * joined, whether plans is NULL, rule. */
static TgScopeRuleRow *
rule_from_row (const PGresult *res, int row, int col)
{
	TgScopeRuleRow *rule = g_new0 (TgScopeRuleRow, 1);

	rule->topic = get_str (res, row, col);
	rule->pattern = get_str (res, row, col + 1);
	rule->plans = get_bool (res, row, col + 3) ? NULL
						    : get_list (res, row, col + 2);
	rule->rule = get_str (res, row, col + 4);
	return rule;
}

static void
signing_key_free (TgSigningKey *key)
{
	if (key == NULL)
		return;
	g_bytes_unref (key->secret);
	g_free (key);
}

static TgDesk *
desk_new (void)
{
	TgDesk *desk = g_new0 (TgDesk, 1);

	desk->plans = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_plan_free);
	desk->holidays = g_array_new (FALSE, TRUE, sizeof (TgHoliday));
	g_array_set_clear_func (desk->holidays,
				(GDestroyNotify) tg_holiday_clear);
	desk->rules = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_scope_rule_row_free);
	desk->staff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					     g_free);
	desk->keys = g_ptr_array_new_with_free_func (
		(GDestroyNotify) signing_key_free);
	return desk;
}

/* A signing key from 2 columns (the secret in hex, when it was replaced)
 * starting at @col; NULL when the hex is damaged. */
static TgSigningKey *
key_from_row (const PGresult *res, int row, int col)
{
	const char *hex = PQgetvalue (res, row, col);
	gsize n = strlen (hex) / 2;
	g_autofree guint8 *bytes = g_malloc (n + 1);
	TgSigningKey *key;

	for (gsize i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value (hex[2 * i]);
		int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return NULL;
		bytes[i] = (guint8) (hi << 4 | lo);
	}
	key = g_new0 (TgSigningKey, 1);
	key->secret = g_bytes_new_take (g_steal_pointer (&bytes), n);
	key->replaced_at = get_int (res, row, col + 1);
	return key;
}

/* The desk from the rows of SQL_DESK; a kind it does not know is left
 * out, so that a later schema may add one. */
static TgDesk *
desk_from (const PGresult *res)
{
	TgDesk *desk = desk_new ();

	for (int i = 0; i < PQntuples (res); i++) {
		const char *kind = PQgetvalue (res, i, 0);
		TgHoliday h = { 0 };

		if (strcmp (kind, "plan") == 0) {
			g_ptr_array_add (desk->plans, plan_from_row (res, i, 1));
		} else if (strcmp (kind, "holiday") == 0) {
			holiday_from_row (res, i, 1, &h);
			g_array_append_val (desk->holidays, h);
		} else if (strcmp (kind, "scope") == 0) {
			g_ptr_array_add (desk->rules, rule_from_row (res, i, 1));
		} else if (strcmp (kind, "staff") == 0) {
			g_hash_table_insert (desk->staff, get_str (res, i, 1),
					     get_str (res, i, 2));
		} else if (strcmp (kind, "key") == 0) {
			TgSigningKey *key = key_from_row (res, i, 1);

			if (key != NULL)
				g_ptr_array_add (desk->keys, key);
		}
	}
	return desk;
}

static const TgPlan *
find_plan (const TgDesk *desk, const char *name)
{
	for (guint i = 0; i < desk->plans->len; i++) {
		const TgPlan *plan = desk->plans->pdata[i];

		if (strcmp (plan->name, name) == 0)
			return plan;
	}
	return NULL;
}

TgPlan *
tg_desk_find_plan (const TgDesk *desk, const char *name)
{
	const TgPlan *plan;

	g_return_val_if_fail (desk != NULL && name != NULL, NULL);
	plan = find_plan (desk, name);
	return plan != NULL ? plan_copy (plan) : NULL;
}

/* "a.b.example.com" -> a.b.example.com, b.example.com, example.com:
 * a customer's domain covers its subdomains; bare top-level domains never
 * match. */
static char **
candidate_domains (const char *address)
{
	const char *at = strrchr (address, '@');
	const char *d = at != NULL ? at + 1 : "";
	GPtrArray *list = g_ptr_array_new ();

	while (strchr (d, '.') != NULL) {
		g_ptr_array_add (list, g_strdup (d));
		d = strchr (d, '.') + 1;
	}
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

/* Of the subscriptions in force (latest first), the best-ranked plan;
 * of equal ranks, the latest subscription. NULL when none. */
static TgPlan *
choose_plan (const PGresult *subscribed, const TgDesk *desk)
{
	const TgPlan *best = NULL;

	for (int i = 0; i < PQntuples (subscribed); i++) {
		const TgPlan *plan =
			find_plan (desk, PQgetvalue (subscribed, i, 0));

		if (plan != NULL && (best == NULL || plan->rank < best->rank))
			best = plan;
	}
	return best != NULL ? plan_copy (best) : NULL;
}

/* Completes @identity with the customer's name and plan on @day. A
 * customer deleted since the lookup leaves the sender unknown. */
static gboolean
customer_plan (TgStore *store, const GDate *day, const TgDesk *desk,
	       TgIdentity *identity, GError **error)
{
	g_auto (Params) id = { 0 };
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) name = NULL;
	g_autoptr (PGresult) subscribed = NULL;
	Step steps[] = {
		{ SQL_CUSTOMER_NAME, &id, PGRES_TUPLES_OK, &name },
		{ SQL_SUBSCRIBED_PLANS, &p, PGRES_TUPLES_OK, &subscribed },
	};

	params_init (&id);
	params_add_id (&id, identity->customer_id);
	params_init (&p);
	params_add_id (&p, identity->customer_id);
	params_add_date (&p, day);
	if (!run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	if (PQntuples (name) == 0) {
		identity->customer_id = 0;
		identity->matched_by = TG_MATCH_NONE;
		return TRUE;
	}
	identity->customer_name = get_str (name, 0, 0);
	identity->plan = choose_plan (subscribed, desk);
	return TRUE;
}

/* Fills @identity from the row of SQL_IDENTIFY and the desk's staff. */
static void
identity_from (const PGresult *res, const TgDesk *desk, const char *address,
	       TgIdentity *identity)
{
	gpointer name = NULL;

	memset (identity, 0, sizeof *identity);
	identity->is_staff = g_hash_table_lookup_extended (
		desk->staff, address, NULL, &name);
	identity->staff_name = g_strdup (name);
	identity->is_duplicate = get_bool (res, 0, 2);
	if (!PQgetisnull (res, 0, 0)) {
		identity->customer_id = get_int (res, 0, 0);
		identity->matched_by = TG_MATCH_ADDRESS;
	} else if (!PQgetisnull (res, 0, 1)) {
		identity->customer_id = get_int (res, 0, 1);
		identity->matched_by = TG_MATCH_DOMAIN;
	}
}

gboolean
tg_store_identify (TgStore *store,
		   const char *address,
		   const GDate *day,
		   const char *dedup_key,
		   TgIdentity *identity_out,
		   TgDesk **desk_out,
		   GError **error)
{
	g_auto (GStrv) domains = NULL;
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) who = NULL;
	g_autoptr (PGresult) rows = NULL;
	g_autoptr (TgDesk) desk = NULL;
	Step steps[] = {
		{ SQL_IDENTIFY, &p, PGRES_TUPLES_OK, &who },
		{ SQL_DESK, NULL, PGRES_TUPLES_OK, &rows },
	};

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	g_return_val_if_fail (day != NULL && identity_out != NULL, FALSE);
	domains = candidate_domains (address);
	params_init (&p);
	params_add (&p, address);
	params_add_array (&p, (const char *const *) domains, -1);
	params_add (&p, dedup_key);
	if (!run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	desk = desk_from (rows);
	identity_from (who, desk, address, identity_out);
	if (identity_out->customer_id != 0 &&
	    !customer_plan (store, day, desk, identity_out, error)) {
		tg_identity_clear (identity_out);
		return FALSE;
	}
	if (desk_out != NULL)
		*desk_out = g_steal_pointer (&desk);
	return TRUE;
}

void
tg_identity_clear (TgIdentity *identity)
{
	if (identity == NULL)
		return;
	g_free (identity->staff_name);
	g_free (identity->customer_name);
	tg_plan_free (identity->plan);
	memset (identity, 0, sizeof *identity);
}

TgPlan *
tg_store_get_plan (TgStore *store, const char *name, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, NULL);
	params_init (&p);
	params_add (&p, name);
	res = run_query (store, SQL_GET_PLAN, &p, error);
	if (res == NULL)
		return NULL;
	if (PQntuples (res) == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no plan called %s", name);
		return NULL;
	}
	return plan_from_row (res, 0, 0);
}

static gpointer
plan_row (const PGresult *res, int row)
{
	return plan_from_row (res, row, 0);
}

GPtrArray *
tg_store_list_plans (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return query_list (store, SQL_LIST_PLANS, NULL, plan_row,
			   (GDestroyNotify) tg_plan_free, error);
}

static const char SQL_LIST_HOLIDAYS[] =
	"SELECT to_char(day, 'YYYY-MM-DD'), name FROM holidays"
	" WHERE $1::date IS NULL OR day >= $1::date ORDER BY day";

static GArray *
holidays_from (const PGresult *res)
{
	GArray *days = g_array_sized_new (FALSE, TRUE, sizeof (TgHoliday),
					  PQntuples (res));

	g_array_set_clear_func (days, (GDestroyNotify) tg_holiday_clear);
	for (int i = 0; i < PQntuples (res); i++) {
		TgHoliday h = { 0 };

		holiday_from_row (res, i, 0, &h);
		g_array_append_val (days, h);
	}
	return days;
}

GArray *
tg_store_list_holidays (TgStore *store, const GDate *from, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, NULL);
	params_init (&p);
	params_add_date (&p, from);
	res = run_query (store, SQL_LIST_HOLIDAYS, &p, error);
	return res != NULL ? holidays_from (res) : NULL;
}

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

	t->id = get_int (res, row, 0);
	t->number = get_int (res, row, 1);
	t->requester = get_str (res, row, 2);
	t->requester_name = get_str (res, row, 3);
	t->reply_address = get_str (res, row, 4);
	t->customer_id = get_int (res, row, 5);
	t->customer_name = get_str (res, row, 6);
	t->subject = get_str (res, row, 7);
	t->status = get_str (res, row, 8);
	t->priority = (int) get_int (res, row, 9);
	t->plan_name = get_str (res, row, 10);
	t->plan_rank = (int) get_int (res, row, 11);
	t->reaction_minutes = (int) get_int (res, row, 12);
	t->billable = get_bool (res, row, 13);
	t->hourly_rate = get_str (res, row, 14);
	t->currency = get_str (res, row, 15);
	t->scope_flags = get_list (res, row, 16);
	t->cc = get_list (res, row, 17);
	t->received_at = get_time (res, row, 18);
	t->response_due_at = get_time (res, row, 19);
	t->first_response_at = get_time (res, row, 20);
	t->closed_at = get_time (res, row, 21);
	t->updated_at = get_time (res, row, 22);
	t->assignee = get_str (res, row, 23);
	t->follows_number = get_int (res, row, 24);
	t->deadline_met = PQgetisnull (res, row, 25) ? -1
						      : get_bool (res, row, 25);
	t->refers_number = get_int (res, row, 26);
	t->references = g_ptr_array_new_with_free_func (g_free);
	return t;
}

static gboolean
load_thread (TgStore *store, TgTicket *t, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	params_init (&p);
	params_add_int (&p, t->id);
	res = run_query (store, SQL_TICKET_THREAD, &p, error);
	if (res == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples (res); i++) {
		g_ptr_array_add (t->references, get_str (res, i, 0));
		if (get_bool (res, i, 1)) {
			g_free (t->last_message_id);
			t->last_message_id = get_str (res, i, 0);
		}
	}
	return TRUE;
}

/* One ticket from @sql with @p; NULL without error when none matches. */
static TgTicket *
query_ticket (TgStore *store, const char *sql, const Params *p,
	      GError **error)
{
	g_autoptr (PGresult) res = run_query (store, sql, p, error);
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
	params_init (&p);
	params_add_array (&p, ids, n_ids);
	params_add (&p, sender);
	params_add_int (&p, max);
	res = run_query (store, SQL_TICKETS_BY_MESSAGE_IDS, &p, error);
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
	params_init (&p);
	params_add_int (&p, number);
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
	return query_list (store, SQL_QUEUE, NULL, ticket_row,
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
	params_init (&p);
	params_add (&p, t->requester);
	params_add (&p, t->requester_name);
	params_add (&p, t->reply_address);
	params_add_id (&p, t->customer_id);
	params_add (&p, t->subject);
	params_add_int (&p, t->priority);
	params_add (&p, plan ? plan->name : NULL);
	params_add_int (&p, plan ? plan->rank : NO_PLAN_RANK);
	params_add_id (&p, plan ? plan->reaction_minutes : 0);
	params_add_bool (&p, t->billable);
	params_add (&p, plan ? plan->hourly_rate : NULL);
	params_add (&p, plan ? plan->currency : NULL);
	params_add_array (&p, t->scope_flags, -1);
	params_add_time (&p, t->received_at);
	params_add_time (&p, t->response_due_at);
	params_add_id (&p, t->follows_id);
	params_add_id (&p, t->refers_id);
	res = run_query (store, SQL_CREATE_TICKET, &p, error);
	if (res == NULL)
		return FALSE;
	*id_out = get_int (res, 0, 0);
	*number_out = get_int (res, 0, 1);
	return TRUE;
}

static const char SQL_FIRST_RESPONSE[] =
	"UPDATE tickets SET first_response_at = coalesce(first_response_at, $2),"
	" status = CASE WHEN status = 'new' THEN 'open' ELSE status END,"
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
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add_time (&p, at);
	return run_command (store, SQL_FIRST_RESPONSE, &p, error);
}

gboolean
tg_store_set_ticket_priority (TgStore *store, gint64 ticket_id, int priority,
			      GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add_int (&p, priority);
	return run_command (store, SQL_SET_PRIORITY, &p, error);
}

gboolean
tg_store_set_ticket_assignee (TgStore *store, gint64 ticket_id,
			      const char *assignee, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, FALSE);
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add (&p, assignee);
	return run_command (store, SQL_SET_ASSIGNEE, &p, error);
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
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add_array (&p, addresses, -1);
	return run_command (store, SQL_ADD_CC, &p, error);
}

static const char SQL_SET_STATUS[] =
	"UPDATE tickets SET status = $2, updated_at = now(),"
	" closed_at = CASE WHEN $2 IN ('resolved', 'closed')"
	"  THEN coalesce(closed_at, now()) END"
	" WHERE id = $1";

gboolean
tg_store_set_ticket_status (TgStore *store, gint64 ticket_id,
			    const char *status, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && status != NULL, FALSE);
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add (&p, status);
	return run_command (store, SQL_SET_STATUS, &p, error);
}

const char *
tg_message_kind_to_string (TgMessageKind kind)
{
	static const char *const names[] = {
		[TG_KIND_CUSTOMER] = "customer", [TG_KIND_STAFF] = "staff",
		[TG_KIND_COMMENT] = "comment",	 [TG_KIND_MACHINE] = "machine",
		[TG_KIND_REJECTED] = "rejected", [TG_KIND_ACK] = "ack",
		[TG_KIND_RELAY] = "relay",	 [TG_KIND_NOTICE] = "notice",
		[TG_KIND_HELD] = "held",
	};

	g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), "customer");
	return names[kind];
}

/* An incoming message's columns in the order of its parameters $1 to
 * $15; its raw bytes follow as $16. */
#define INCOMING_COLUMNS                                                 \
	"ticket_id, direction, kind, message_id, dedup_key,"             \
	" envelope_sender, envelope_recipient, sender, recipients,"      \
	" subject, body_text, priority, size, received_at, note"
#define INCOMING_PARAMS 15
#define ADD_ATTACHMENTS(id, from, arrays)                                \
	"INSERT INTO attachments (message_id, part_path, filename,"      \
	" content_type, size) SELECT " id ", x.p, x.f, x.t, x.s FROM "   \
	from "unnest(" arrays ") AS x (p, f, t, s)"
#define ADD_INCOMING                                                     \
	"WITH m AS (INSERT INTO messages (" INCOMING_COLUMNS ", raw)"    \
	"  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10, $11," \
	"  $12, $13, $14, $15, $16) RETURNING id)"

/* Mail held in memory goes in one statement. Mail without attachments
 * does not name that table: a new backend pays for every relation it
 * opens. */
static const char SQL_ADD_INCOMING[] = ADD_INCOMING " SELECT id FROM m";
static const char SQL_ADD_INCOMING_ATTACHED[] = ADD_INCOMING ", a AS ("
	ADD_ATTACHMENTS ("m.id", "m, ", "$17::text[], $18::text[],"
			 " $19::text[], $20::bigint[]") ") SELECT id FROM m";
/* Mail spooled to a file: the row with its raw bytes is streamed with
 * COPY under an id taken first, and its attachments follow. */
static const char SQL_NEXT_MESSAGE_ID[] =
	"SELECT nextval(pg_get_serial_sequence('messages', 'id'))";
static const char SQL_COPY_INCOMING[] =
	"COPY messages (id, " INCOMING_COLUMNS ", raw) FROM STDIN"
	" (FORMAT binary)";
static const char SQL_ADD_ATTACHMENTS[] = ADD_ATTACHMENTS (
	"$1::bigint", "", "$2::text[], $3::text[], $4::text[], $5::bigint[]");

static char **
address_list (const TgMessage *msg)
{
	GPtrArray *list = g_ptr_array_new ();

	for (guint i = 0; msg->to != NULL && i < msg->to->len; i++)
		g_ptr_array_add (list, ((TgAddress *) msg->to->pdata[i])->addr);
	for (guint i = 0; msg->cc != NULL && i < msg->cc->len; i++)
		g_ptr_array_add (list, ((TgAddress *) msg->cc->pdata[i])->addr);
	g_ptr_array_add (list, NULL);
	return (char **) g_ptr_array_free (list, FALSE);
}

static void
add_attachment_params (Params *p, const GPtrArray *attachments)
{
	guint n = attachments != NULL ? attachments->len : 0;
	g_autofree const char **paths = g_new0 (const char *, n + 1);
	g_autofree const char **names = g_new0 (const char *, n + 1);
	g_autofree const char **types = g_new0 (const char *, n + 1);
	g_auto (GStrv) sizes = g_new0 (char *, n + 1);

	for (guint i = 0; i < n; i++) {
		const TgAttachment *a = attachments->pdata[i];

		paths[i] = a->part_path;
		names[i] = a->filename;
		types[i] = a->content_type;
		sizes[i] = g_strdup_printf ("%" G_GUINT64_FORMAT, a->size);
	}
	params_add_array (p, paths, n);
	params_add_array (p, names, n);
	params_add_array (p, types, n);
	params_add_array (p, (const char *const *) sizes, n);
}

/* One column of an incoming message, as the INSERT's parameters and the
 * binary COPY both need it, so that the row is written down once. */
typedef enum {
	COL_ID,	   /* bigint; 0 is NULL */
	COL_SMALL, /* smallint; 0 is NULL */
	COL_BIG,   /* bigint */
	COL_TEXT,
	COL_TEXTS, /* text[] */
	COL_TIME,  /* timestamptz */
} ColumnType;

typedef struct {
	ColumnType type;
	gint64 number;
	const char *text;
	const char *const *texts;
	GDateTime *time;
} Column;

/* The columns of @in in the order of INCOMING_COLUMNS; @rcpts are its
 * recipients (address_list()). */
static void
incoming_columns (Column out[INCOMING_PARAMS], const TgIncoming *in,
		  char **rcpts)
{
	const TgMessage *msg = in->msg;
	const Column cols[INCOMING_PARAMS] = {
		{ COL_ID, .number = in->ticket_id },
		{ COL_TEXT, .text = "in" },
		{ COL_TEXT, .text = tg_message_kind_to_string (in->kind) },
		{ COL_TEXT, .text = msg->message_id },
		{ COL_TEXT, .text = in->dedup_key },
		{ COL_TEXT, .text = in->envelope_sender },
		{ COL_TEXT, .text = in->envelope_recipient },
		{ COL_TEXT, .text = msg->from != NULL ? msg->from->addr : NULL },
		{ COL_TEXTS, .texts = (const char *const *) rcpts },
		{ COL_TEXT, .text = msg->subject },
		{ COL_TEXT, .text = msg->body_text },
		{ COL_SMALL, .number = in->priority },
		{ COL_BIG, .number = (gint64) tg_spool_get_size (in->raw) },
		{ COL_TIME, .time = in->received_at },
		{ COL_TEXT, .text = in->note },
	};

	memcpy (out, cols, sizeof cols);
}

static gboolean
put_copy (TgStore *store, const void *data, gsize len, GError **error)
{
	if (PQputCopyData (store->conn, data, (int) len) == 1)
		return TRUE;
	g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY,
		     "copy: %s", PQerrorMessage (store->conn));
	return FALSE;
}

/* Reads the results left after COPY, so the connection is usable again. */
static void
drain_results (TgStore *store)
{
	PGresult *res;

	while ((res = PQgetResult (store->conn)) != NULL)
		PQclear (res);
}

/* Ends a COPY: on success reads its result, on failure aborts it with
 * @why; either way leaves the connection ready for the next statement. */
static gboolean
copy_end (TgStore *store, const char *why, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	if (why != NULL) {
		PQputCopyEnd (store->conn, why);
		drain_results (store);
		return FALSE;
	}
	if (PQputCopyEnd (store->conn, NULL) != 1) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY,
			     "copy: %s", PQerrorMessage (store->conn));
		drain_results (store);
		return FALSE;
	}
	res = PQgetResult (store->conn);
	if (PQresultStatus (res) != PGRES_COMMAND_OK) {
		set_result_error (store, res, error);
		drain_results (store);
		return FALSE;
	}
	drain_results (store);
	return TRUE;
}

/* ---- COPY of a spooled mail, in binary format ---------------------- */

#define PG_EPOCH_US (G_GINT64_CONSTANT (946684800) * G_USEC_PER_SEC)
#define TEXT_OID 25

static void
put_be (guint8 *out, guint64 value, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, value >>= 8)
		out[i] = value & 0xff;
}

static void
bin_be (GByteArray *row, guint64 value, int bytes)
{
	guint8 b[8];

	put_be (b, value, bytes);
	g_byte_array_append (row, b, bytes);
}

/* One field: its length (-1 for NULL), then its bytes. */
static void
bin_field (GByteArray *row, const void *data, gssize len)
{
	bin_be (row, (guint32) (len < 0 ? -1 : len), 4);
	if (len > 0)
		g_byte_array_append (row, data, (guint) len);
}

static void
bin_int (GByteArray *row, gint64 value, int bytes)
{
	bin_be (row, (guint32) bytes, 4);
	bin_be (row, (guint64) value, bytes);
}

/* 0 means "none", as in params_add_id(). */
static void
bin_id (GByteArray *row, gint64 value, int bytes)
{
	if (value == 0)
		bin_field (row, NULL, -1);
	else
		bin_int (row, value, bytes);
}

/* Text goes as valid UTF-8, as in params_add(). */
static void
bin_text (GByteArray *row, const char *value)
{
	g_autofree char *valid = NULL;

	if (value == NULL) {
		bin_field (row, NULL, -1);
		return;
	}
	if (!g_utf8_validate (value, -1, NULL))
		value = valid = g_utf8_make_valid (value, -1);
	bin_field (row, value, strlen (value));
}

static void
bin_time (GByteArray *row, GDateTime *t)
{
	if (t == NULL)
		bin_field (row, NULL, -1);
	else
		bin_int (row, g_date_time_to_unix (t) * G_USEC_PER_SEC +
				      g_date_time_get_microsecond (t) -
				      PG_EPOCH_US, 8);
}

/* A text[] of one dimension, lower bound 1, without NULLs. */
static void
bin_text_array (GByteArray *row, const char *const *items)
{
	g_autoptr (GByteArray) a = g_byte_array_new ();
	guint n = items != NULL ? g_strv_length ((char **) items) : 0;

	bin_be (a, n > 0, 4);
	bin_be (a, 0, 4);
	bin_be (a, TEXT_OID, 4);
	if (n > 0) {
		bin_be (a, n, 4);
		bin_be (a, 1, 4);
	}
	for (guint i = 0; i < n; i++)
		bin_text (a, items[i]);
	bin_field (row, a->data, a->len);
}

static void
bin_column (GByteArray *row, const Column *c)
{
	switch (c->type) {
	case COL_ID:
		bin_id (row, c->number, 8);
		break;
	case COL_SMALL:
		bin_id (row, c->number, 2);
		break;
	case COL_BIG:
		bin_int (row, c->number, 8);
		break;
	case COL_TEXT:
		bin_text (row, c->text);
		break;
	case COL_TEXTS:
		bin_text_array (row, c->texts);
		break;
	case COL_TIME:
		bin_time (row, c->time);
		break;
	}
}

/* The row of a spooled mail under @id, up to its raw bytes' length. */
static void
incoming_row (GByteArray *row, gint64 id, const TgIncoming *in)
{
	g_autofree char **rcpts = address_list (in->msg);
	Column cols[INCOMING_PARAMS];

	incoming_columns (cols, in, rcpts);
	bin_be (row, 1 + INCOMING_PARAMS + 1, 2);
	bin_int (row, id, 8);
	for (int i = 0; i < INCOMING_PARAMS; i++)
		bin_column (row, &cols[i]);
	bin_be (row, tg_spool_get_size (in->raw), 4);
}

/* Streams the spool's bytes, 64 KiB at a time. */
static gboolean
copy_spool (TgStore *store, const TgSpool *spool, GError **error)
{
	g_autofree guint8 *buf = g_malloc (64 * 1024);
	gsize size = tg_spool_get_size (spool);

	for (goffset off = 0; (gsize) off < size;) {
		gssize n = tg_spool_read_at (spool, off, buf, 64 * 1024, error);

		if (n <= 0) {
			if (n == 0)
				g_set_error (error, TG_STORE_ERROR,
					     TG_STORE_ERROR_TEMPORARY,
					     "spool ended early");
			return FALSE;
		}
		if (!put_copy (store, buf, n, error))
			return FALSE;
		off += n;
	}
	return TRUE;
}

/* Streams a mail spooled to a file into messages as row @id (a header,
 * one row, the trailer), so that memory stays flat whatever the size of
 * the mail. */
static gboolean
copy_incoming (TgStore *store, gint64 id, const TgIncoming *in,
	       GError **error)
{
	static const guint8 header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0";
	static const guint8 trailer[2] = { 0xff, 0xff };
	g_autoptr (PGresult) res = NULL;
	g_autoptr (GByteArray) row = g_byte_array_new ();

	g_byte_array_append (row, header, sizeof header);
	incoming_row (row, id, in);
	res = run (store, SQL_COPY_INCOMING, NULL, PGRES_COPY_IN, error);
	if (res == NULL)
		return FALSE;
	if (!put_copy (store, row->data, row->len, error) ||
	    !copy_spool (store, in->raw, error) ||
	    !put_copy (store, trailer, sizeof trailer, error))
		return copy_end (store, "ticketgate: spool read failed", NULL);
	return copy_end (store, NULL, error);
}

/* A spooled mail: an id first, the row by COPY, then its attachments. */
static gboolean
add_spooled (TgStore *store, const TgIncoming *in, gint64 *message_row_out,
	     GError **error)
{
	g_autoptr (PGresult) res = NULL;
	g_auto (Params) a = { 0 };

	res = run_query (store, SQL_NEXT_MESSAGE_ID, NULL, error);
	if (res == NULL)
		return FALSE;
	*message_row_out = get_int (res, 0, 0);
	if (!copy_incoming (store, *message_row_out, in, error))
		return FALSE;
	if (in->msg->attachments->len == 0)
		return TRUE;
	params_init (&a);
	params_add_int (&a, *message_row_out);
	add_attachment_params (&a, in->msg->attachments);
	return run_command (store, SQL_ADD_ATTACHMENTS, &a, error);
}

static void
params_add_column (Params *p, const Column *c)
{
	switch (c->type) {
	case COL_ID:
	case COL_SMALL:
		params_add_id (p, c->number);
		break;
	case COL_BIG:
		params_add_int (p, c->number);
		break;
	case COL_TEXT:
		params_add (p, c->text);
		break;
	case COL_TEXTS:
		params_add_array (p, c->texts, -1);
		break;
	case COL_TIME:
		params_add_time (p, c->time);
		break;
	}
}

/* The first INCOMING_PARAMS parameters, in the order of INCOMING_COLUMNS. */
static void
incoming_params (Params *p, const TgIncoming *in)
{
	g_autofree char **rcpts = address_list (in->msg);
	Column cols[INCOMING_PARAMS];

	incoming_columns (cols, in, rcpts);
	for (int i = 0; i < INCOMING_PARAMS; i++)
		params_add_column (p, &cols[i]);
}

gboolean
tg_store_add_incoming (TgStore *store,
		       const TgIncoming *in,
		       gint64 *message_row_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;
	GBytes *bytes;
	gboolean attached;

	g_return_val_if_fail (store != NULL && in != NULL && in->msg, FALSE);
	g_return_val_if_fail (in->raw != NULL && in->dedup_key != NULL, FALSE);
	bytes = tg_spool_get_bytes (in->raw);
	if (bytes == NULL)
		return add_spooled (store, in, message_row_out, error);
	params_init (&p);
	incoming_params (&p, in);
	params_add_binary (&p, g_bytes_get_data (bytes, NULL),
			   g_bytes_get_size (bytes));
	attached = in->msg->attachments->len > 0;
	if (attached)
		add_attachment_params (&p, in->msg->attachments);
	res = run_query (store, attached ? SQL_ADD_INCOMING_ATTACHED
					 : SQL_ADD_INCOMING,
			 &p, error);
	if (res == NULL)
		return FALSE;
	*message_row_out = get_int (res, 0, 0);
	return TRUE;
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
	params_init (&p);
	params_add_id (&p, out->ticket_id);
	params_add (&p, tg_message_kind_to_string (out->kind));
	params_add (&p, out->message_id);
	params_add (&p, out->envelope_from);
	params_add_array (&p, out->recipients, -1);
	params_add (&p, out->subject);
	params_add (&p, out->body_text);
	params_add_int (&p, (gint64) len);
	params_add_binary (&p, data, len);
	params_add_int (&p, claim_seconds);
	params_add (&p, out->note);
	params_add (&p, tg_owner_self ());
	params_add (&p, out->cause_key);
	params_add_id (&p, out->encloses);
	res = run_query (store, SQL_ADD_OUTGOING, &p, error);
	if (res == NULL)
		return FALSE;
	*outbox_id_out = get_int (res, 0, 0);
	if (store->database_id == NULL)
		store->database_id = get_str (res, 0, 1);
	return TRUE;
}

/* A slice of a message's raw bytes, binary: a value stored out of line
 * and uncompressed is read from its TOAST table only as far as asked. */
static const char SQL_READ_RAW[] =
	"SELECT substring(raw FROM $2 FOR $3) FROM messages WHERE id = $1";

/* Bytes of raw read by one statement of tg_store_read_raw(). */
#define RAW_SLICE (4 * 1024 * 1024)

/* One slice from @offset (0-based) of row @id, or NULL with an error. */
static PGresult *
read_raw_slice (TgStore *store, gint64 id, gint64 offset, GError **error)
{
	g_auto (Params) p = { 0 };
	PGresult *res;

	params_init (&p);
	params_add_int (&p, id);
	params_add_int (&p, offset + 1);
	params_add_int (&p, RAW_SLICE);
	res = PQexecParams (store->conn, SQL_READ_RAW, p.n, NULL, p.values,
			    p.lengths, p.formats, 1);
	if (res == NULL || PQresultStatus (res) != PGRES_TUPLES_OK) {
		set_result_error (store, res, error);
		PQclear (res);
		return NULL;
	}
	if (PQntuples (res) != 1) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "message(%" G_GINT64_FORMAT "): no such row", id);
		PQclear (res);
		return NULL;
	}
	return res;
}

TgSpool *
tg_store_read_raw (TgStore *store, gint64 id, gsize memory_limit,
		   const char *tmpdir, GError **error)
{
	g_autoptr (TgSpool) spool = NULL;
	gint64 offset = 0;
	int len;

	g_return_val_if_fail (store != NULL && id > 0, NULL);
	spool = tg_spool_new (memory_limit, tmpdir);
	do {
		g_autoptr (PGresult) res =
			read_raw_slice (store, id, offset, error);
		g_autoptr (GError) local = NULL;

		if (res == NULL)
			return NULL;
		len = PQgetlength (res, 0, 0);
		if (!tg_spool_append (spool, PQgetvalue (res, 0, 0),
				      (gsize) len, &local)) {
			g_set_error (error, TG_STORE_ERROR,
				     TG_STORE_ERROR_TEMPORARY,
				     "message(%" G_GINT64_FORMAT "): %s", id,
				     local->message);
			return NULL;
		}
		offset += len;
	} while (len == RAW_SLICE);
	tg_spool_finish (spool);
	return g_steal_pointer (&spool);
}

/* ---- robots, loops and caps ---------------------------------------- */

static const char SQL_LOCK_TICKET[] =
	"SELECT 1 FROM tickets WHERE id = $1 FOR NO KEY UPDATE";
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
tg_store_lock_ticket (TgStore *store, gint64 ticket_id, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	params_init (&p);
	params_add_int (&p, ticket_id);
	res = run_query (store, SQL_LOCK_TICKET, &p, error);
	return res != NULL;
}

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
	params_init (&lock);
	params_add (&lock, address);
	params_init (&p);
	params_add (&p, address);
	params_add (&p, kind);
	params_add_bool (&p, enforce);
	params_add_int (&p, per_hour);
	params_add_int (&p, per_day);
	if (!run_pipeline (store, steps, G_N_ELEMENTS (steps), error))
		return FALSE;
	if (!get_bool (res, 0, 0))
		*verdict_out = get_bool (res, 0, 1) ? TG_SEND_BOUNCING
						    : TG_SEND_CAPPED;
	else if (get_bool (res, 0, 1) || get_bool (res, 0, 2))
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
	params_init (&p);
	params_add (&p, message_id);
	res = run_query (store, SQL_FIND_SENT, &p, error);
	if (res == NULL)
		return FALSE;
	*found_out = PQntuples (res) > 0;
	if (*found_out) {
		*ticket_id_out = get_int (res, 0, 0);
		*recipients_out = get_list (res, 0, 1);
	}
	return TRUE;
}

gboolean
tg_store_mark_bouncing (TgStore *store, const char *address, gint64 ticket_id,
			const char *status, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	params_init (&p);
	params_add (&p, address);
	params_add_id (&p, ticket_id);
	params_add (&p, status);
	return run_command (store, SQL_MARK_BOUNCING, &p, error);
}

gboolean
tg_store_machine_noticed (TgStore *store, gint64 ticket_id, int seconds,
			  gboolean *noticed_out, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, FALSE);
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add_int (&p, seconds);
	res = run_query (store, SQL_MACHINE_NOTICED, &p, error);
	if (res == NULL)
		return FALSE;
	*noticed_out = get_bool (res, 0, 0);
	return TRUE;
}

static gpointer
bouncing_row (const PGresult *res, int i)
{
	TgBouncing *b = g_new0 (TgBouncing, 1);

	b->address = get_str (res, i, 0);
	b->since = get_time (res, i, 1);
	b->ticket_number = get_int (res, i, 2);
	b->status = get_str (res, i, 3);
	return b;
}

GPtrArray *
tg_store_list_bouncing (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return query_list (store, SQL_LIST_BOUNCING, NULL, bouncing_row,
			   (GDestroyNotify) tg_bouncing_free, error);
}

gboolean
tg_store_clear_bouncing (TgStore *store, const char *address, GError **error)
{
	g_auto (Params) p = { 0 };
	g_autofree char *what = g_strdup_printf ("bouncing address %s", address);

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	params_init (&p);
	params_add (&p, address);
	return run_change (store, SQL_CLEAR_BOUNCING, &p, what, error);
}

gboolean
tg_store_prune_sent_log (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return run_command (store, SQL_PRUNE_SENT_LOG, NULL, error);
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

	item->id = get_int (res, i, 0);
	item->envelope_from = get_str (res, i, 1);
	item->recipients = get_list (res, i, 2);
	item->content = get_bytea (res, i, 3);
	item->attempts = (int) get_int (res, i, 4);
	item->created_at = get_time (res, i, 5);
	item->message_id = get_str (res, i, 6);
	item->encloses = get_int (res, i, 7);
	return item;
}

GPtrArray *
tg_store_claim_due (TgStore *store, int limit, int claim_seconds,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, NULL);
	params_init (&p);
	params_add_int (&p, limit);
	params_add_int (&p, claim_seconds);
	params_add (&p, tg_owner_self ());
	return query_list (store, SQL_CLAIM_DUE, &p, outbox_row,
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
	params_init (&p);
	params_add_int (&p, id);
	return run_command (store, SQL_OUTBOX_SENT, &p, error);
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
	params_init (&p);
	params_add_int (&p, id);
	params_add (&p, why);
	params_add_int (&p, retry_seconds);
	params_add_bool (&p, give_up);
	return run_command (store, SQL_OUTBOX_FAILED, &p, error);
}

static gpointer
holder_row (const PGresult *res, int i)
{
	TgOutboxHolder *h = g_new0 (TgOutboxHolder, 1);

	h->id = get_int (res, i, 0);
	h->claimed_by = get_str (res, i, 1);
	h->is_held = get_bool (res, i, 2);
	h->is_due = get_bool (res, i, 3);
	return h;
}

GPtrArray *
tg_store_answers_of (TgStore *store, const char *dedup_key, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && dedup_key != NULL, NULL);
	params_init (&p);
	params_add (&p, dedup_key);
	return query_list (store, SQL_ANSWERS_OF, &p, holder_row,
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
	params_take (p, g_string_free (out, FALSE));
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
	params_init (&p);
	params_add_int_array (&p, ids, holders->len);
	params_add_array (&p, names, holders->len);
	params_add (&p, is_free->str);
	params_add_int (&p, claim_seconds);
	params_add (&p, tg_owner_self ());
	return query_list (store, SQL_TAKE_OVER, &p, outbox_row,
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
	params_init (&p);
	params_add_int_array (&p, ids, n);
	params_add_array (&p, message_ids, n);
	params_add_int_array (&p, sent_at, n);
	res = run (store, SQL_MARK_SENT, &p, PGRES_COMMAND_OK, error);
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
	res = run_query (store, SQL_DATABASE_ID, NULL, error);
	if (res == NULL)
		return NULL;
	if (PQntuples (res) != 1) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_FAILED,
			     "desk_identity holds %d rows, not one",
			     PQntuples (res));
		return NULL;
	}
	store->database_id = get_str (res, 0, 0);
	return store->database_id;
}

gboolean
tg_store_outbox_due_now (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, FALSE);
	return run_command (store, SQL_DUE_NOW, NULL, error);
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

/* Rows changed by an UPDATE or DELETE, for NOT_FOUND. */
static gboolean
run_change (TgStore *store, const char *sql, const Params *p,
	    const char *what, GError **error)
{
	g_autoptr (PGresult) res = run (store, sql, p, PGRES_COMMAND_OK, error);

	if (res == NULL)
		return FALSE;
	if (strcmp (PQcmdTuples (res), "0") == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no %s", what);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_store_add_customer (TgStore *store, const char *name, gint64 *id_out,
		       GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	params_init (&p);
	params_add (&p, name);
	res = run_query (store, SQL_ADD_CUSTOMER, &p, error);
	if (res == NULL) {
		g_prefix_error (error, "customer %s: ", name);
		return FALSE;
	}
	*id_out = get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_find_customer (TgStore *store, const char *name, gint64 *id_out,
			GError **error)
{
	g_auto (Params) p = { 0 };
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL && name != NULL, FALSE);
	params_init (&p);
	params_add (&p, name);
	res = run_query (store, SQL_FIND_CUSTOMER, &p, error);
	if (res == NULL)
		return FALSE;
	if (PQntuples (res) == 0) {
		g_set_error (error, TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
			     "no customer called \"%s\"", name);
		return FALSE;
	}
	*id_out = get_int (res, 0, 0);
	return TRUE;
}

gboolean
tg_store_add_contact (TgStore *store, gint64 customer_id, const char *address,
		      const char *name, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	params_init (&p);
	params_add (&p, address);
	params_add_int (&p, customer_id);
	params_add (&p, name);
	if (!run_command (store, SQL_ADD_CONTACT, &p, error)) {
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
	params_init (&p);
	params_add (&p, domain);
	params_add_int (&p, customer_id);
	if (!run_command (store, SQL_ADD_DOMAIN, &p, error)) {
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
	params_init (&p);
	params_add_int (&p, customer_id);
	params_add (&p, plan);
	params_add_date (&p, from);
	params_add_date (&p, until);
	if (!run_command (store, SQL_ADD_SUBSCRIPTION, &p, error)) {
		g_prefix_error (error, "subscription %s: ", plan);
		return FALSE;
	}
	return TRUE;
}

static gpointer
customer_row (const PGresult *res, int i)
{
	TgCustomer *c = g_new0 (TgCustomer, 1);
	g_auto (GStrv) subs = get_list (res, i, 5);

	c->id = get_int (res, i, 0);
	c->name = get_str (res, i, 1);
	c->contacts = get_list (res, i, 2);
	c->domains = get_list (res, i, 3);
	c->plan_today = get_str (res, i, 4);
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
	params_init (&p);
	params_add_date (&p, today);
	return query_list (store, SQL_LIST_CUSTOMERS, &p, customer_row,
			   (GDestroyNotify) tg_customer_free, error);
}

gboolean
tg_store_add_staff (TgStore *store, const char *address, const char *name,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && address != NULL, FALSE);
	params_init (&p);
	params_add (&p, address);
	params_add (&p, name);
	if (!run_command (store, SQL_ADD_STAFF, &p, error)) {
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
	params_init (&p);
	params_add (&p, address);
	params_add_bool (&p, active);
	return run_change (store, SQL_SET_STAFF_ACTIVE, &p, what, error);
}

static gpointer
staff_row (const PGresult *res, int i)
{
	TgStaff *s = g_new0 (TgStaff, 1);

	s->address = get_str (res, i, 0);
	s->name = get_str (res, i, 1);
	s->active = get_bool (res, i, 2);
	return s;
}

GPtrArray *
tg_store_list_staff (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return query_list (store, SQL_LIST_STAFF, NULL, staff_row,
			   (GDestroyNotify) tg_staff_free, error);
}

gboolean
tg_store_add_holiday (TgStore *store, const GDate *day, const char *name,
		      GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && day != NULL, FALSE);
	params_init (&p);
	params_add_date (&p, day);
	params_add (&p, name);
	if (!run_command (store, SQL_ADD_HOLIDAY, &p, error)) {
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
	params_init (&p);
	params_add_date (&p, day);
	return run_change (store, SQL_REMOVE_HOLIDAY, &p, "holiday on that day",
			   error);
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
	g_auto (GStrv) rows = get_list (res, row, col);
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

	m->id = get_int (res, i, 0);
	m->direction = get_str (res, i, 1);
	m->kind = get_str (res, i, 2);
	m->message_id = get_str (res, i, 3);
	m->sender = get_str (res, i, 4);
	m->recipients = get_list (res, i, 5);
	m->subject = get_str (res, i, 6);
	m->body_text = get_str (res, i, 7);
	m->size = get_int (res, i, 8);
	m->received_at = get_time (res, i, 9);
	m->attachments = get_attachments (res, i, 10);
	m->delivery = get_str (res, i, 11);
	m->note = get_str (res, i, 12);
	return m;
}

GPtrArray *
tg_store_list_messages (TgStore *store, gint64 ticket_id, GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL, NULL);
	params_init (&p);
	params_add_int (&p, ticket_id);
	return query_list (store, SQL_LIST_MESSAGES, &p, message_row,
			   (GDestroyNotify) tg_stored_message_free, error);
}

/* ---- releasing results --------------------------------------------- */

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
	g_free (t->status);
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

/* ---- the deadline watch -------------------------------------------- */

TgDesk *
tg_store_read_desk (TgStore *store, GError **error)
{
	g_autoptr (PGresult) res = NULL;

	g_return_val_if_fail (store != NULL, NULL);
	res = run_query (store, SQL_DESK, NULL, error);
	return res != NULL ? desk_from (res) : NULL;
}

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
	w->warned = get_bool (res, row, TICKET_N_COLUMNS);
	return w;
}

GPtrArray *
tg_store_list_watched (TgStore *store, GError **error)
{
	g_return_val_if_fail (store != NULL, NULL);
	return query_list (store, SQL_WATCHED, NULL, watched_row,
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
	params_init (&p);
	params_add_int (&p, ticket_id);
	params_add (&p, kind);
	params_add_time (&p, due_at);
	params_add_time (&p, at);
	res = run_query (store, SQL_RECORD_ESCALATION, &p, error);
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
	params_init (&p);
	params_add_date (&p, day);
	params_add_time (&p, at);
	res = run_query (store, SQL_RECORD_DAILY, &p, error);
	if (res == NULL)
		return FALSE;
	*inserted_out = get_bool (res, 0, 0);
	*previous_out = get_time (res, 0, 1);
	return TRUE;
}

GPtrArray *
tg_store_list_late (TgStore *store, GDateTime *since, GDateTime *until,
		    GError **error)
{
	g_auto (Params) p = { 0 };

	g_return_val_if_fail (store != NULL && until != NULL, NULL);
	params_init (&p);
	params_add_time (&p, since);
	params_add_time (&p, until);
	return query_list (store, SQL_LATE, &p, ticket_row,
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
	params_init (&p);
	params_add_time (&p, from);
	params_add_time (&p, until);
	params_add_id (&p, customer_id);
	return query_list (store, SQL_RECEIVED, &p, ticket_row,
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

void
tg_desk_free (TgDesk *desk)
{
	if (desk == NULL)
		return;
	g_ptr_array_unref (desk->plans);
	g_array_unref (desk->holidays);
	g_ptr_array_unref (desk->rules);
	g_hash_table_unref (desk->staff);
	g_ptr_array_unref (desk->keys);
	g_free (desk);
}

void
tg_scope_rule_row_free (TgScopeRuleRow *row)
{
	if (row == NULL)
		return;
	g_free (row->topic);
	g_free (row->pattern);
	g_strfreev (row->plans);
	g_free (row->rule);
	g_free (row);
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

void
tg_holiday_clear (TgHoliday *h)
{
	if (h != NULL)
		g_clear_pointer (&h->name, g_free);
}
