/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * store-copy: a mail spooled to a file goes into messages by COPY in
 * PostgreSQL's binary format, its raw bytes streamed from the spool 64
 * KiB at a time, so that deliver's memory stays flat whatever the size
 * of the mail (design.md, "Raw bytes"). Only the encoding and the
 * stream: the row's columns are those the INSERT of a mail held in
 * memory has (store_incoming_columns()).
 */
#include "store-private.h"

#include <string.h>

static const char SQL_COPY_INCOMING[] =
	"COPY messages (id, " INCOMING_COLUMNS ", raw) FROM STDIN"
	" (FORMAT binary)";

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
		store_set_result_error (store, res, error);
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

/* 0 means "none", as in store_params_add_id(). */
static void
bin_id (GByteArray *row, gint64 value, int bytes)
{
	if (value == 0)
		bin_field (row, NULL, -1);
	else
		bin_int (row, value, bytes);
}

/* Text goes as valid UTF-8, as in store_params_add(). */
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
	g_autofree char **rcpts = store_address_list (in->msg);
	Column cols[INCOMING_PARAMS];

	store_incoming_columns (cols, in, rcpts);
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
gboolean
store_copy_incoming (TgStore *store, gint64 id, const TgIncoming *in,
		     GError **error)
{
	static const guint8 header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0";
	static const guint8 trailer[2] = { 0xff, 0xff };
	g_autoptr (PGresult) res = NULL;
	g_autoptr (GByteArray) row = g_byte_array_new ();

	g_byte_array_append (row, header, sizeof header);
	incoming_row (row, id, in);
	res = store_run (store, SQL_COPY_INCOMING, NULL, PGRES_COPY_IN, error);
	if (res == NULL)
		return FALSE;
	if (!put_copy (store, row->data, row->len, error) ||
	    !copy_spool (store, in->raw, error) ||
	    !put_copy (store, trailer, sizeof trailer, error))
		return copy_end (store, "ticketgate: spool read failed", NULL);
	return copy_end (store, NULL, error);
}
