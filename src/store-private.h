/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-private: what the files of the store share, and the one header
 * that includes libpq: the connection behind a TgStore, the parameters
 * of a statement, running statements, and reading their results. Private
 * to the store's own files (store-*.c); tests/cli/0001-boundaries.t
 * checks that nothing else includes it.
 */
#pragma once

#include <glib.h>

#include <libpq-fe.h>

#include "store.h"

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
	GHashTable *prepared; /* SQL text (by address) -> statement name;
				 NULL: statements are not prepared */
};

/* store_forget_prepared: after @store got a new connection, which has
 * none of the old one's prepared statements. */
void store_forget_prepared (TgStore *store);

/* Timestamps travel as microseconds since the epoch, never as text in
 * the server's DateStyle. */
#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
/* Arrays come back joined with the unit separator, which no address,
 * domain or plan name can hold. */
#define JOINED(col) "array_to_string(" col ", E'\\x1f')"

/* Parameters: text ($1..$n) unless added as binary. */

#define MAX_PARAMS 24

typedef struct {
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS];
	int formats[MAX_PARAMS];
	int n;
	GPtrArray *owned;
} Params;

void store_params_init (Params *p);
void store_params_clear (Params *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Params, store_params_clear)

/* store_params_add: @value (nullable: NULL) as valid UTF-8, borrowed
 * until the statement has run; store_params_take takes @value. */
void store_params_add (Params *p, const char *value);
void store_params_take (Params *p, char *value);
void store_params_add_int (Params *p, gint64 value);
/* store_params_add_id: 0 ("none", for ids and minutes) is sent as NULL. */
void store_params_add_id (Params *p, gint64 value);
void store_params_add_bool (Params *p, gboolean value);
void store_params_add_time (Params *p, GDateTime *t);
void store_params_add_date (Params *p, const GDate *d);
/* store_params_add_array: a text[] of @n items (-1: up to a NULL). */
void store_params_add_array (Params *p, const char *const *items, gssize n);
/* store_params_add_binary: raw bytes (bytea), borrowed. */
void store_params_add_binary (Params *p, const void *data, gsize len);

/* Running statements: every one with PQexecParams (STYLE.md 8). */

/* Transactions begin and end with these, each a statement of its own. */
extern const char SQL_BEGIN[];
extern const char SQL_COMMIT[];

/* store_set_result_error: sets @error from @res (nullable: the
 * connection's error), classified by SQLSTATE into TgStoreError. */
void store_set_result_error (TgStore *store, const PGresult *res,
			     GError **error);

/*
 * store_run: (transfer full): runs @sql with @p (nullable: none) and
 * checks its status against @expect; NULL with a classified error.
 * store_run_command expects PGRES_COMMAND_OK, store_run_query
 * PGRES_TUPLES_OK; store_run_change fails with TG_STORE_ERROR_NOT_FOUND
 * ("no @what") when the statement changed no row.
 */
PGresult *store_run (TgStore *store, const char *sql, const Params *p,
		     ExecStatusType expect, GError **error);
gboolean store_run_command (TgStore *store, const char *sql,
			    const Params *p, GError **error);
PGresult *store_run_query (TgStore *store, const char *sql, const Params *p,
			   GError **error);
gboolean store_run_change (TgStore *store, const char *sql, const Params *p,
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

/* store_run_pipeline: runs @steps in one round trip; FALSE with the
 * first error, and then no step keeps a result. */
gboolean store_run_pipeline (TgStore *store, Step *steps, int n,
			     GError **error);

/* Reading results. */

/* Turns each row of a result into one element of a list. */
typedef gpointer (*RowFunc) (const PGresult *res, int row);

/* store_query_list: (transfer full): a query's rows made into a list by
 * @row_func, freed with @free_func; NULL with an error. */
GPtrArray *store_query_list (TgStore *store, const char *sql,
			     const Params *p, RowFunc row_func,
			     GDestroyNotify free_func, GError **error);

/* One column of one row. NULL reads as NULL, 0, FALSE, an empty list or
 * a cleared date; strings, lists and times are (transfer full). */
char *store_get_str (const PGresult *res, int row, int col);
gint64 store_get_int (const PGresult *res, int row, int col);
gboolean store_get_bool (const PGresult *res, int row, int col);
GDateTime *store_get_time (const PGresult *res, int row, int col);
char **store_get_list (const PGresult *res, int row, int col);
void store_get_date (const PGresult *res, int row, int col, GDate *out);

/* Incoming mail: its row, as INSERT and COPY both write it. */

/* An incoming message's columns in the order of its parameters $1 to
 * $15; its raw bytes follow as $16. */
#define INCOMING_COLUMNS                                                 \
	"ticket_id, direction, kind, message_id, dedup_key,"             \
	" envelope_sender, envelope_recipient, sender, recipients,"      \
	" subject, body_text, priority, size, received_at, note"
#define INCOMING_PARAMS 15

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

/* store_address_list: (transfer container): the addresses of To, then
 * Cc, borrowed from @msg, NULL-terminated. */
char **store_address_list (const TgMessage *msg);

/* store_incoming_columns: the columns of @in in the order of
 * INCOMING_COLUMNS; @rcpts: its recipients (store_address_list()). */
void store_incoming_columns (Column out[INCOMING_PARAMS],
			     const TgIncoming *in, char **rcpts);

/* store_copy_incoming: stores @in, spooled to a file, as messages row
 * @id (its attachments not included). */
gboolean store_copy_incoming (TgStore *store, gint64 id,
			      const TgIncoming *in, GError **error);
