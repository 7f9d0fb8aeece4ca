/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mime-source: what GMime is given of a spooled mail, for message.c's
 * parse and for compose.c, which forwards a mail's parts
 * (mime-source.h). The head is sniffed for a byte-order mark and bare CR
 * line ends, the whole mail scanned against the structure budget with
 * overlong headers cut (mimescan.h), and the stream over the spool
 * borrows its bytes instead of copying them.
 */
#include "mime-source.h"

#include <string.h>

#include "gmime-autocleanups.h"
#include "message-private.h"
#include "mimescan.h"

/* How far we look for the first line end when sniffing bare CR mail. */
#define MESSAGE_SNIFF_MAX (64 * 1024)

gboolean
message_read_fully (const TgSpool *spool, goffset offset, guint8 *buf,
		    gsize len, gsize *got_out, GError **error)
{
	gsize got = 0;

	while (got < len) {
		g_autoptr (GError) local = NULL;
		gssize n = tg_spool_read_at (spool, offset + (goffset)got,
					     buf + got, len - got, &local);

		if (n < 0) {
			g_set_error (error, TG_MESSAGE_ERROR,
				     TG_MESSAGE_ERROR_TEMPORARY,
				     "reading message failed: %s",
				     local->message);
			return FALSE;
		}
		if (n == 0)
			break;
		got += (gsize)n;
	}
	*got_out = got;
	return TRUE;
}

void
message_sniff_clear (Sniff *sniffed)
{
	g_clear_pointer (&sniffed->cuts, g_array_unref);
}


/* scan_structure: sets @out->end and @out->cuts (mimescan.h). */
static gboolean
scan_structure (const TgSpool *spool, Sniff *out, guint8 *buf, gsize size,
		GError **error)
{
	g_autoptr (TgMimeScan) scan =
		tg_mimescan_new (out->bare_cr ? '\r' : '\n', out->start,
				 message_pin_charset, NULL);
	goffset offset = out->start;
	gsize got = 0;

	for (;;) {
		if (!message_read_fully (spool, offset, buf, size, &got, error))
			return FALSE;
		if (got == 0 || !tg_mimescan_feed (scan, buf, got))
			break;
		offset += (goffset)got;
	}
	tg_mimescan_finish (scan);
	out->end = tg_mimescan_get_end (scan);
	out->cuts = g_array_copy ((GArray *)tg_mimescan_get_cuts (scan));
	return TRUE;
}

/*
 * message_sniff: looks at the mail before GMime does. Two tolerated
 * violations (doc/tolerated-input.md) are found at its head: a byte-order
 * mark before the headers, which would spoil the first header name, and
 * bare CR line ends, which GMime does not split on. Then the whole mail
 * is scanned (mimescan.h): the structure budget, overlong headers, the
 * charsets to hold open.
 */
gboolean
message_sniff (const TgSpool *spool, Sniff *out, GError **error)
{
	g_autofree guint8 *buf = g_malloc (MESSAGE_SNIFF_MAX);
	gsize len = 0;

	memset (out, 0, sizeof *out);
	out->end = -1;
	if (!message_read_fully (spool, 0, buf, MESSAGE_SNIFF_MAX, &len, error))
		return FALSE;
	if (len >= 3 && memcmp (buf, "\xEF\xBB\xBF", 3) == 0)
		out->start = 3;
	for (gsize i = (gsize)out->start; i < len; i++) {
		if (buf[i] == '\n')
			break;
		if (buf[i] == '\r') {
			out->bare_cr = i + 1 < len && buf[i + 1] != '\n';
			break;
		}
	}
	/* GByteArray lengths are guint: bigger mail is never converted. */
	if (tg_spool_get_size (spool) > G_MAXUINT)
		out->bare_cr = FALSE;
	return scan_structure (spool, out, buf, MESSAGE_SNIFF_MAX, error);
}

/*
 * load_bare_cr: (transfer full): the whole mail with every bare CR
 * turned into LF, one byte for one so that offsets stay true. The one
 * case that holds a whole mail in memory; such mail is rare and small.
 */
static GByteArray *
load_bare_cr (const TgSpool *spool, GError **error)
{
	gsize size = tg_spool_get_size (spool);
	g_autoptr (GByteArray) array = g_byte_array_sized_new ((guint)size);
	gsize got = 0;

	g_byte_array_set_size (array, (guint)size);
	if (!message_read_fully (spool, 0, array->data, size, &got, error))
		return NULL;
	g_byte_array_set_size (array, (guint)got);
	for (gsize i = 0; i < got; i++)
		if (array->data[i] == '\r' &&
		    (i + 1 == got || array->data[i + 1] != '\n'))
			array->data[i] = '\n';
	return g_steal_pointer (&array);
}

/*
 * view_stream: (transfer full): what GMime is given of @base (which it
 * takes): @base within the bounds of @sniffed, or, when headers were
 * cut, the pieces between the cuts one after the other, in a
 * GMimeStreamCat whose offsets start at 0 (message_view_to_source()
 * maps them back). The pieces borrow @base's buffer or descriptor, so
 * the view holds @base.
 */
static GMimeStream *
view_stream (GMimeStream *base, const Sniff *sniffed)
{
	GMimeStream *cat = NULL;
	goffset from = sniffed->start;

	if (sniffed->cuts->len == 0) {
		if (sniffed->start > 0 || sniffed->end >= 0)
			g_mime_stream_set_bounds (base, sniffed->start,
						  sniffed->end);
		return base;
	}
	cat = g_mime_stream_cat_new ();
	for (guint i = 0; i <= sniffed->cuts->len; i++) {
		const TgMimeScanCut *cut =
			i < sniffed->cuts->len
				? &g_array_index (sniffed->cuts, TgMimeScanCut,
						  i)
				: NULL;
		goffset to = cut != NULL ? cut->start : sniffed->end;

		if (to < 0 || to > from) {
			g_autoptr (GMimeStream) piece =
				g_mime_stream_substream (base, from, to);

			g_mime_stream_cat_add_source (GMIME_STREAM_CAT (cat),
						      piece);
		}
		if (cut != NULL)
			from = cut->end;
	}
	g_object_set_data_full (G_OBJECT (cat), "tg-base", base,
				g_object_unref);
	return cat;
}

/*
 * message_open_source: (transfer full): a seekable stream over the spool
 * for the parser, so that it keeps part content as substreams instead of
 * copies. A memory spool is wrapped without copying in *@borrowed_out, a
 * GByteArray that does not own its data: the caller releases it with
 * g_byte_array_free (array, FALSE) once every GMime object is gone. A
 * file spool is read through its descriptor, which the stream does not
 * own (GMimeStreamFs seeks before each read, so the offset is ours).
 */
GMimeStream *
message_open_source (const TgSpool *spool, const Sniff *sniffed,
		     GByteArray **borrowed_out, GError **error)
{
	GBytes *bytes = tg_spool_get_bytes (spool);
	GMimeStream *stream = NULL;

	*borrowed_out = NULL;
	if (sniffed->bare_cr) {
		GByteArray *array = load_bare_cr (spool, error);

		if (array == NULL)
			return NULL;
		stream = g_mime_stream_mem_new_with_byte_array (array);
	} else if (bytes != NULL) {
		gsize len = 0;
		const void *data = g_bytes_get_data (bytes, &len);

		/* Only read: GMime never writes to the parser's source. */
		*borrowed_out = g_byte_array_new_take ((guint8 *)data, len);
		stream = g_mime_stream_mem_new_with_byte_array (*borrowed_out);
		g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
	} else {
		stream = g_mime_stream_fs_new_with_bounds (
			tg_spool_get_fd (spool), 0, -1);
		g_mime_stream_fs_set_owner (GMIME_STREAM_FS (stream), FALSE);
	}
	return view_stream (stream, sniffed);
}

/*
 * message_view_to_source: the offset in the mail of @offset in what GMime
 * was given (view_stream); -1 stays -1.
 */
goffset
message_view_to_source (const Sniff *sniffed, goffset offset)
{
	goffset from = sniffed->start;
	goffset at = 0;

	if (sniffed->cuts->len == 0 || offset < 0)
		return offset;
	for (guint i = 0; i < sniffed->cuts->len; i++) {
		const TgMimeScanCut *cut =
			&g_array_index (sniffed->cuts, TgMimeScanCut, i);

		if (offset < at + (cut->start - from))
			break;
		at += cut->start - from;
		from = cut->end;
	}
	return from + (offset - at);
}

/* ---- the GMime view, for compose.c ---------------------------------- */

struct _TgMimeSource {
	GMimeMessage *message;
	GMimeStream *stream;
	GByteArray *borrowed;
	TgMessage *scratch; /* counts the parser's warnings; discarded */
};

TgMimeSource *
tg_mime_source_open (const TgSpool *spool, GError **error)
{
	g_autoptr (TgMimeSource) src = g_new0 (TgMimeSource, 1);
	g_autoptr (GMimeParserOptions) options = NULL;
	g_autoptr (GMimeParser) parser = NULL;
	g_auto (Sniff) sniffed = {0};

	g_return_val_if_fail (spool != NULL, NULL);
	src->scratch = message_new ();
	if (!message_sniff (spool, &sniffed, error))
		return NULL;
	src->stream =
		message_open_source (spool, &sniffed, &src->borrowed, error);
	if (src->stream == NULL)
		return NULL;
	options = message_parser_options_new (src->scratch);
	parser = g_mime_parser_new_with_stream (src->stream);
	g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream (parser, TRUE);
	src->message = g_mime_parser_construct_message (parser, options);
	return g_steal_pointer (&src);
}

GMimeMessage *
tg_mime_source_get_message (TgMimeSource *src)
{
	g_return_val_if_fail (src != NULL, NULL);
	return src->message;
}

void
tg_mime_source_free (TgMimeSource *src)
{
	if (src == NULL)
		return;
	g_clear_object (&src->message);
	g_clear_object (&src->stream);
	/* FALSE: the bytes belong to the spool; only the wrapper goes. */
	if (src->borrowed != NULL)
		(void) g_byte_array_free (src->borrowed, FALSE);
	tg_message_free (src->scratch);
	g_free (src);
}
