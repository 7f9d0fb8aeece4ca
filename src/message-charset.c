/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-charset: charset repair. A part's transfer-decoded bytes (or a
 * prologue's, or a headerless mail's) become normalized UTF-8 text,
 * whatever charset the mail claims: valid UTF-8 is taken as UTF-8 (but
 * for the wide and stateful charsets), a label iconv knows is converted
 * by GMime's charset filter, and the rest goes through the fallback
 * charsets; line ends become LF and NULs spaces.
 */
#include "message-private.h"

#include <string.h>

#include "gmime-autocleanups.h"

static gboolean
has_prefix_ci (const char *s, const char *const *prefixes, gsize n)
{
	for (gsize i = 0; s != NULL && i < n; i++)
		if (g_ascii_strncasecmp (s, prefixes[i],
					 strlen (prefixes[i])) == 0)
			return TRUE;
	return FALSE;
}

/* The wide charsets: their text is full of bytes that are not ASCII. */
static gboolean
charset_is_wide (const char *charset)
{
	static const char *const prefixes[] = {
		"utf-16", "utf16", "utf-32", "utf32",	"ucs-2",
		"ucs2",	  "ucs-4", "ucs4",   "unicode",
	};

	return has_prefix_ci (charset, prefixes, G_N_ELEMENTS (prefixes));
}

/* The 7-bit charsets with shift sequences: ASCII bytes, other meaning. */
static gboolean
charset_is_stateful (const char *charset)
{
	static const char *const prefixes[] = {
		"utf-7",
		"utf7",
		"iso-2022",
		"hz",
	};

	return has_prefix_ci (charset, prefixes, G_N_ELEMENTS (prefixes));
}

static gboolean
is_7bit (const GByteArray *bytes)
{
	for (guint i = 0; i < bytes->len; i++)
		if (bytes->data[i] & 0x80)
			return FALSE;
	return TRUE;
}

static gboolean
charset_is_utf8 (const char *charset)
{
	return g_ascii_strcasecmp (charset, "utf-8") == 0 ||
	       g_ascii_strcasecmp (charset, "utf8") == 0;
}

static gboolean
charset_is_utf8_or_ascii (const char *charset)
{
	static const char *const names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
		if (g_ascii_strcasecmp (charset, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/* take_mem_array: (transfer full): the bytes of a GMimeStreamMem. */
static GByteArray *
take_mem_array (GMimeStream *mem)
{
	GByteArray *array =
		g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));

	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
	return array;
}

/*
 * convert_charset: (transfer full) (nullable): @data converted from
 * @charset to UTF-8 by GMime's charset filter, which skips what it cannot
 * convert; NULL when iconv does not know @charset.
 */
static GByteArray *
convert_charset (const guint8 *data, gsize len, const char *charset)
{
	g_autoptr (GMimeFilter) filter =
		g_mime_filter_charset_new (charset, "UTF-8");
	g_autoptr (GMimeStream) sink = NULL;
	g_autoptr (GMimeStream) filtered = NULL;

	if (filter == NULL)
		return NULL;
	/* GMime asserts a buffer, even of no bytes (an empty GByteArray
	 * has none); and no bytes convert to none. */
	if (len == 0)
		return g_byte_array_new ();
	sink = g_mime_stream_mem_new ();
	filtered = g_mime_stream_filter_new (sink);
	g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), filter);
	(void)g_mime_stream_write (filtered, (const char *)data, len);
	(void)g_mime_stream_flush (filtered);
	return take_mem_array (sink);
}

/*
 * normalize_text: (transfer full): @data (UTF-8 apart from mistakes) with
 * CRLF and bare CR turned into LF and invalid sequences replaced.
 */
static char *
normalize_text (const guint8 *data, gsize len)
{
	g_autofree char *lf = g_malloc (len + 1);
	gsize n = 0;

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\r') {
			if (i + 1 < len && data[i + 1] == '\n')
				continue;
			lf[n++] = '\n';
		} else {
			lf[n++] = (char)data[i];
		}
	}
	return g_utf8_make_valid (lf, (gssize)n);
}

/* text_from_bytes: (transfer full): UTF-8 bytes with NULs as spaces. */
static char *
text_from_bytes (GByteArray *bytes)
{
	for (guint i = 0; i < bytes->len; i++)
		if (bytes->data[i] == '\0')
			bytes->data[i] = ' ';
	return normalize_text (bytes->data, bytes->len);
}

/*
 * message_bytes_to_text: (transfer full): decoded part content in
 * @charset (nullable) as normalized UTF-8; @bytes is overwritten. Mail
 * lies about charsets: bytes that are valid UTF-8 are taken as UTF-8
 * whatever the label says (Latin-1 or KOI8-R text is practically never
 * valid UTF-8), except under the wide and the stateful 7-bit charsets,
 * whose text is not what its bytes look like. Declared UTF-8 with a few
 * bad bytes keeps the rest. 8-bit bytes under a stateful label, an
 * unknown label or none go through the fallback charsets. NUL bytes
 * become spaces: the C strings downstream cannot carry them.
 */
char *
message_bytes_to_text (GByteArray *bytes, const char *charset)
{
	g_autoptr (GByteArray) converted = NULL;
	g_autofree char *fallback = NULL;

	if (charset != NULL && *charset == '\0')
		charset = NULL;
	if (charset_is_wide (charset) ||
	    (charset_is_stateful (charset) && is_7bit (bytes))) {
		converted = convert_charset (bytes->data, bytes->len, charset);
		if (converted != NULL && converted->len > 0)
			return text_from_bytes (converted);
	}
	/* Past here NULs are only in the way (of UTF-8 validation, and of
	 * the string that GMime decodes below). */
	for (guint i = 0; i < bytes->len; i++)
		if (bytes->data[i] == '\0')
			bytes->data[i] = ' ';
	if (g_utf8_validate_len ((const char *)bytes->data, bytes->len, NULL) ||
	    (charset != NULL && charset_is_utf8 (charset)))
		return normalize_text (bytes->data, bytes->len);
	if (charset != NULL && !charset_is_utf8_or_ascii (charset) &&
	    !charset_is_stateful (charset) && !charset_is_wide (charset)) {
		g_clear_pointer (&converted, g_byte_array_unref);
		converted = convert_charset (bytes->data, bytes->len, charset);
		if (converted != NULL && converted->len > 0)
			return text_from_bytes (converted);
	}
	g_byte_array_append (bytes, (const guint8 *)"", 1);
	fallback = g_mime_utils_decode_8bit (
		g_mime_parser_options_get_default (), (const char *)bytes->data,
		bytes->len - 1);
	return normalize_text ((const guint8 *)fallback, strlen (fallback));
}

/*
 * part_bytes: (transfer full): the transfer-decoded content of @part, at
 * most @cap bytes (*@truncated_out says whether more was there). Reads a
 * substream of its own, so the part's stream is left as it was, and
 * decodes on the write side so the decoder is always flushed.
 */
static GByteArray *
part_bytes (GMimePart *part, gsize cap, gboolean *truncated_out)
{
	GMimeDataWrapper *content = g_mime_part_get_content (part);
	GMimeStream *stream = NULL;
	GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_DEFAULT;
	g_autoptr (GMimeStream) source = NULL;
	g_autoptr (GMimeStream) sink = NULL;
	g_autoptr (GMimeStream) filtered = NULL;
	g_autofree char *buf = NULL;
	GByteArray *array = NULL;
	ssize_t n = 0;

	*truncated_out = FALSE;
	if (content == NULL ||
	    (stream = g_mime_data_wrapper_get_stream (content)) == NULL)
		return g_byte_array_new ();
	source = g_mime_stream_substream (stream, stream->bound_start,
					  stream->bound_end);
	sink = g_mime_stream_mem_new ();
	array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (sink));
	filtered = g_mime_stream_filter_new (sink);
	encoding = g_mime_data_wrapper_get_encoding (content);
	if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	    encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
		g_autoptr (GMimeFilter) decoder =
			g_mime_filter_basic_new (encoding, FALSE);

		g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered),
					  decoder);
	}
	buf = g_malloc (MESSAGE_IO_CHUNK);
	while ((n = g_mime_stream_read (source, buf, MESSAGE_IO_CHUNK)) > 0) {
		(void)g_mime_stream_write (filtered, buf, (size_t)n);
		if (array->len > cap)
			break;
	}
	(void)g_mime_stream_flush (filtered);
	array = take_mem_array (sink);
	if (array->len > cap) {
		g_byte_array_set_size (array, (guint)cap);
		*truncated_out = TRUE;
	}
	return array;
}

/* message_part_text: (transfer full): @part's content as normalized UTF-8. */
char *
message_part_text (TgMessage *msg, GMimePart *part, gsize cap)
{
	gboolean truncated = FALSE;
	g_autoptr (GByteArray) bytes = part_bytes (part, cap, &truncated);
	const char *charset = g_mime_object_get_content_type_parameter (
		GMIME_OBJECT (part), "charset");

	if (truncated)
		msg->parse_warnings++;
	return message_bytes_to_text (bytes, charset);
}
