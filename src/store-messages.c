/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-messages: an incoming mail as a row of messages, with its raw
 * bytes and its attachment list: one INSERT for a mail held in memory,
 * COPY (store-copy.c) for one spooled to a file; and the raw bytes of a
 * stored mail read back a slice at a time.
 */
#include "store-private.h"

#include <string.h>

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
static const char SQL_ADD_ATTACHMENTS[] = ADD_ATTACHMENTS (
	"$1::bigint", "", "$2::text[], $3::text[], $4::text[], $5::bigint[]");

char **
store_address_list (const TgMessage *msg)
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
	store_params_add_array (p, paths, n);
	store_params_add_array (p, names, n);
	store_params_add_array (p, types, n);
	store_params_add_array (p, (const char *const *) sizes, n);
}

/* The columns of @in in the order of INCOMING_COLUMNS; @rcpts are its
 * recipients (store_address_list()). */
void
store_incoming_columns (Column out[INCOMING_PARAMS], const TgIncoming *in,
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

/* A spooled mail: an id first, the row by COPY, then its attachments. */
static gboolean
add_spooled (TgStore *store, const TgIncoming *in, gint64 *message_row_out,
	     GError **error)
{
	g_autoptr (PGresult) res = NULL;
	g_auto (Params) a = { 0 };

	res = store_run_query (store, SQL_NEXT_MESSAGE_ID, NULL, error);
	if (res == NULL)
		return FALSE;
	*message_row_out = store_get_int (res, 0, 0);
	if (!store_copy_incoming (store, *message_row_out, in, error))
		return FALSE;
	if (in->msg->attachments->len == 0)
		return TRUE;
	store_params_init (&a);
	store_params_add_int (&a, *message_row_out);
	add_attachment_params (&a, in->msg->attachments);
	return store_run_command (store, SQL_ADD_ATTACHMENTS, &a, error);
}

static void
params_add_column (Params *p, const Column *c)
{
	switch (c->type) {
	case COL_ID:
	case COL_SMALL:
		store_params_add_id (p, c->number);
		break;
	case COL_BIG:
		store_params_add_int (p, c->number);
		break;
	case COL_TEXT:
		store_params_add (p, c->text);
		break;
	case COL_TEXTS:
		store_params_add_array (p, c->texts, -1);
		break;
	case COL_TIME:
		store_params_add_time (p, c->time);
		break;
	}
}

/* The first INCOMING_PARAMS parameters, in the order of INCOMING_COLUMNS. */
static void
incoming_params (Params *p, const TgIncoming *in)
{
	g_autofree char **rcpts = store_address_list (in->msg);
	Column cols[INCOMING_PARAMS];

	store_incoming_columns (cols, in, rcpts);
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
	store_params_init (&p);
	incoming_params (&p, in);
	store_params_add_binary (&p, g_bytes_get_data (bytes, NULL),
				 g_bytes_get_size (bytes));
	attached = in->msg->attachments->len > 0;
	if (attached)
		add_attachment_params (&p, in->msg->attachments);
	res = store_run_query (store, attached ? SQL_ADD_INCOMING_ATTACHED
					       : SQL_ADD_INCOMING,
			       &p, error);
	if (res == NULL)
		return FALSE;
	*message_row_out = store_get_int (res, 0, 0);
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

	store_params_init (&p);
	store_params_add_int (&p, id);
	store_params_add_int (&p, offset + 1);
	store_params_add_int (&p, RAW_SLICE);
	res = PQexecParams (store->conn, SQL_READ_RAW, p.n, NULL, p.values,
			    p.lengths, p.formats, 1);
	if (res == NULL || PQresultStatus (res) != PGRES_TUPLES_OK) {
		store_set_result_error (store, res, error);
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
