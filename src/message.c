/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message: parses one incoming mail with GMime into a plain TgMessage that
 * owns bounded, valid UTF-8 copies of everything, so that no other module
 * sees GMime. It reads and decodes; it decides nothing (see classify,
 * thread, priority). Every mail is hostile: anything GMime cannot read
 * still yields a message, and only a spool read error fails.
 */
#include "settings.h"

#include "message.h"

#include <string.h>

#include <gmime/gmime.h>

#include "gmime-autocleanups.h"
#include "mime-source.h"
#include "html.h"
#include "mimescan.h"

/*
 * How many transfer-decoded bytes of a text part we look at. Plain text
 * needs little more than the final cap (a charset may shrink it); HTML
 * carries a lot of markup per visible character.
 */
#define MESSAGE_PLAIN_RAW_MAX (2 * TG_MESSAGE_MAX_TEXT)
#define MESSAGE_HTML_RAW_MAX (4 * TG_MESSAGE_MAX_TEXT)
#define MESSAGE_REPORT_RAW_MAX (256 * 1024)
/* Display names, file names, ids: longer ones are cut (and counted). */
#define MESSAGE_MAX_SHORT 1024
/* How far we look for the first line end when sniffing bare CR mail. */
#define MESSAGE_SNIFF_MAX (64 * 1024)
#define MESSAGE_IO_CHUNK (64 * 1024)

/* clang-format would put spaces into the quark name. */
/* clang-format off */
G_DEFINE_QUARK (tg-message-error-quark, tg_message_error)
/* clang-format on */

/*
 * 8-bit text that is not UTF-8 is nearly always windows-1252 in our mail;
 * iso-8859-1 last, because it accepts every byte.
 */
static const char *fallback_charsets[] = {
	"UTF-8",
	"windows-1252",
	"iso-8859-1",
	NULL,
};

typedef struct {
	TgMessage *msg;
	GMimeParserOptions *options;
	GMimePart *plain;	/* borrowed: the first inline text/plain */
	GMimePart *html;	/* borrowed: the first inline text/html */
	GMimePart *named_plain; /* borrowed: the first text/plain with a
				   file name, but not "attachment" */
	const char *prologue;	/* borrowed: the first text before the
				   first part of a multipart */
	GMimeObject *recovered; /* a broken multipart parsed again */
	gboolean depth_warned;
	gboolean attachments_warned;
} Walk;

/* ---- text helpers ---- */

static void
header_free (TgHeader *header)
{
	if (header == NULL)
		return;
	g_free (header->name);
	g_free (header->value);
	g_free (header);
}

static void
attachment_free (TgAttachment *att)
{
	if (att == NULL)
		return;
	g_free (att->filename);
	g_free (att->content_type);
	g_free (att->part_path);
	g_free (att);
}

static void
dsn_free (TgDsn *dsn)
{
	if (dsn == NULL)
		return;
	g_free (dsn->action);
	g_free (dsn->status);
	g_clear_pointer (&dsn->final_recipients, g_ptr_array_unref);
	g_free (dsn->original_message_id);
	g_free (dsn);
}

/*
 * truncate_utf8: cuts valid UTF-8 @s to at most @max bytes on a
 * character boundary. Returns TRUE if it cut anything.
 */
static gboolean
truncate_utf8 (char *s, gsize max)
{
	gsize len = strlen (s);
	char *cut = NULL;

	if (len <= max)
		return FALSE;
	cut = s + max;
	while (cut > s && (*cut & 0xC0) == 0x80)
		cut--;
	*cut = '\0';
	return TRUE;
}

/*
 * to_valid_utf8: (transfer full): @s as UTF-8; 8-bit text that is not
 * UTF-8 goes through GMime's fallback charsets (a raw Latin-1 header).
 */
static char *
to_valid_utf8 (const char *s)
{
	gsize len = strlen (s);
	g_autofree char *decoded = NULL;

	if (g_utf8_validate_len (s, len, NULL))
		return g_strdup (s);
	decoded = g_mime_utils_decode_8bit (
		g_mime_parser_options_get_default (), s, len);
	return g_utf8_make_valid (decoded, -1);
}

/* replace_controls: control and line-separator characters become ' '. */
static void
replace_controls (char *s)
{
	for (char *p = s; *p != '\0'; p = g_utf8_next_char (p)) {
		gunichar ch = g_utf8_get_char (p);

		if (!g_unichar_iscntrl (ch) && ch != 0x2028 && ch != 0x2029)
			continue;
		/* Overwrite the whole sequence with spaces: same length. */
		for (gint n = g_utf8_skip[*(guchar *)p]; n > 0; n--)
			p[n - 1] = ' ';
	}
}

/* collapse_spaces: runs of ' ' become one; the ends are trimmed. */
static void
collapse_spaces (char *s)
{
	char *out = s;
	gboolean space = FALSE;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == ' ') {
			space = out != s;
			continue;
		}
		if (space)
			*out++ = ' ';
		space = FALSE;
		*out++ = *p;
	}
	*out = '\0';
}

/*
 * clean_short: (transfer full) (nullable): a one-line, valid UTF-8,
 * trimmed copy of @s cut at @max bytes (counted in @warnings, nullable);
 * NULL for NULL or blank.
 */
static char *
clean_short (const char *s, gsize max, guint *warnings)
{
	char *out = NULL;

	if (s == NULL)
		return NULL;
	out = to_valid_utf8 (s);
	replace_controls (out);
	collapse_spaces (out);
	if (truncate_utf8 (out, max)) {
		if (warnings != NULL)
			(*warnings)++;
		g_strchomp (out);
	}
	if (*out == '\0')
		g_clear_pointer (&out, g_free);
	return out;
}

/* clean_id: like clean_short, for message ids: no <>, no blank. */
static char *
clean_id (TgMessage *msg, const char *id)
{
	g_autofree char *clean =
		clean_short (id, MESSAGE_MAX_SHORT, &msg->parse_warnings);
	char *p = NULL;

	if (clean == NULL)
		return NULL;
	p = clean;
	if (*p == '<')
		p++;
	p[strcspn (p, "> ")] = '\0';
	return *p != '\0' ? g_strdup (p) : NULL;
}

/* ---- body text: bytes, charsets, line ends ---- */

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
 * bytes_to_text: (transfer full): decoded part content in @charset
 * (nullable) as normalized UTF-8; @bytes is overwritten. Mail lies about
 * charsets: bytes that are valid UTF-8 are taken as UTF-8 whatever the
 * label says (Latin-1 or KOI8-R text is practically never valid UTF-8),
 * except under the wide and the stateful 7-bit charsets, whose text is
 * not what its bytes look like. Declared UTF-8 with a few bad bytes keeps
 * the rest. 8-bit bytes under a stateful label, an unknown label or none
 * go through the fallback charsets. NUL bytes become spaces: the C
 * strings downstream cannot carry them.
 */
static char *
bytes_to_text (GByteArray *bytes, const char *charset)
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

/* part_text: (transfer full): @part's content as normalized UTF-8. */
static char *
part_text (TgMessage *msg, GMimePart *part, gsize cap)
{
	gboolean truncated = FALSE;
	g_autoptr (GByteArray) bytes = part_bytes (part, cap, &truncated);
	const char *charset = g_mime_object_get_content_type_parameter (
		GMIME_OBJECT (part), "charset");

	if (truncated)
		msg->parse_warnings++;
	return bytes_to_text (bytes, charset);
}

static gboolean
is_blank_text (const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (!g_ascii_isspace (*p))
			return FALSE;
	return TRUE;
}

/*
 * trim_text: drops the blank lines before the text and the blank space
 * after it; the indentation of the first line stays.
 */
static void
trim_text (char *s)
{
	const char *start = s;

	for (const char *p = s; *p != '\0' && g_ascii_isspace (*p); p++)
		if (*p == '\n')
			start = p + 1;
	memmove (s, start, strlen (start) + 1);
	g_strchomp (s);
}

/* set_body: takes @text as the body, trimmed, cut at TG_MESSAGE_MAX_TEXT. */
static void
set_body (TgMessage *msg, char *text, gboolean from_html)
{
	g_free (msg->body_text);
	trim_text (text);
	msg->body_text = text;
	msg->body_from_html = from_html;
	if (truncate_utf8 (msg->body_text, TG_MESSAGE_MAX_TEXT))
		msg->parse_warnings++;
}

static gboolean
lacks_text (const char *text)
{
	return text == NULL || is_blank_text (text);
}

/* prologue_text: (transfer full): a prologue as normalized UTF-8. */
static char *
prologue_text (TgMessage *msg, const char *prologue)
{
	gsize len = strlen (prologue);
	g_autoptr (GByteArray) bytes = NULL;

	if (len > MESSAGE_PLAIN_RAW_MAX) {
		len = MESSAGE_PLAIN_RAW_MAX;
		msg->parse_warnings++;
	}
	bytes = g_byte_array_sized_new ((guint)len);
	g_byte_array_append (bytes, (const guint8 *)prologue, (guint)len);
	return bytes_to_text (bytes, NULL);
}

/*
 * fill_body: the first inline text/plain, unless it is blank and there
 * is HTML (some clients send an empty plain alternative); else the first
 * inline text/html, made readable; else, as a last resort, a text/plain
 * with a file name that is not marked "attachment" (some bounce
 * generators name every part), or the text a multipart carries before
 * its first part (what a reader without MIME would see).
 */
static void
fill_body (Walk *w)
{
	g_autofree char *text = NULL;

	if (w->plain != NULL)
		text = part_text (w->msg, w->plain, MESSAGE_PLAIN_RAW_MAX);
	if (lacks_text (text) && w->html != NULL) {
		g_autofree char *html =
			part_text (w->msg, w->html, MESSAGE_HTML_RAW_MAX);

		set_body (w->msg, tg_html_to_text (html, -1), TRUE);
		return;
	}
	if (lacks_text (text) && w->named_plain != NULL) {
		g_free (text);
		text = part_text (w->msg, w->named_plain,
				  MESSAGE_PLAIN_RAW_MAX);
	}
	if (lacks_text (text) && w->prologue != NULL) {
		g_free (text);
		text = prologue_text (w->msg, w->prologue);
	}
	if (text != NULL)
		set_body (w->msg, g_steal_pointer (&text), FALSE);
}

/* ---- addresses ---- */

/* address_new: (nullable): @mailbox as a TgAddress; NULL if it has none. */
static TgAddress *
address_new (InternetAddressMailbox *mailbox, guint *warnings)
{
	const char *name =
		internet_address_get_name (INTERNET_ADDRESS (mailbox));
	g_autofree char *addr =
		clean_short (internet_address_mailbox_get_addr (mailbox),
			     MESSAGE_MAX_SHORT, warnings);
	TgAddress *out = NULL;

	if (addr == NULL)
		return NULL;
	out = g_new0 (TgAddress, 1);
	out->addr = g_utf8_strdown (addr, -1);
	out->name = clean_short (name, MESSAGE_MAX_SHORT, warnings);
	return out;
}

/*
 * collect_addresses: appends the mailboxes of @list (group members
 * included) to @out, up to @max; returns FALSE when some did not fit.
 */
static gboolean
collect_addresses (InternetAddressList *list, GPtrArray *out, guint max,
		   guint depth, guint *warnings)
{
	int n = list != NULL ? internet_address_list_length (list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia =
			internet_address_list_get_address (list, i);
		TgAddress *addr = NULL;

		if (INTERNET_ADDRESS_IS_GROUP (ia)) {
			/* Groups do not nest (RFC 5322 3.4); one level. */
			if (depth == 0 &&
			    !collect_addresses (
				    internet_address_group_get_members (
					    INTERNET_ADDRESS_GROUP (ia)),
				    out, max, depth + 1, warnings))
				return FALSE;
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX (ia))
			continue;
		if (out->len >= max)
			return FALSE;
		addr = address_new (INTERNET_ADDRESS_MAILBOX (ia), warnings);
		if (addr != NULL)
			g_ptr_array_add (out, addr);
	}
	return TRUE;
}

/* first_address: (transfer full) (nullable): the first mailbox of @list. */
static TgAddress *
first_address (InternetAddressList *list, guint *warnings)
{
	g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);

	(void)collect_addresses (list, one, 1, 0, warnings);
	return one->len > 0 ? g_steal_pointer (&one->pdata[0]) : NULL;
}

/* Appends one base64 encoded-word for the bytes of a run. */
static void
flush_run (GString *out, const char *charset, GByteArray *run, int words)
{
	g_autofree char *b64 = NULL;

	if (words == 0)
		return;
	b64 = g_base64_encode (run->data, run->len);
	g_string_append_printf (out, "=?%s?B?%s?=", charset, b64);
}

/*
 * GMime 3.2 drops everything after a base64 encoded-word that ends in
 * "=" padding when another encoded-word follows it (GMime issue #133),
 * and clients split long non-ASCII subjects and names exactly like that.
 * This joins each run of adjacent base64 words of one charset into a
 * single word (their bytes concatenated, which also mends a character
 * split across two words) before GMime decodes the value. Returns NULL
 * when there is nothing to join.
 */
static char *
join_base64_words (const char *value)
{
	static GRegex *word = NULL;
	g_autoptr (GMatchInfo) m = NULL;
	g_autoptr (GString) out = g_string_new (NULL);
	g_autoptr (GByteArray) run = g_byte_array_new ();
	g_autofree char *charset = NULL;
	const char *copied = value; /* the end of what is in out */
	const char *run_start = NULL;
	int words = 0;
	gboolean joined = FALSE;

	if (word == NULL)
		word = g_regex_new ("=\\?([^?\\s]+)\\?[bB]\\?([A-Za-z0-9+/=]*)\\?=",
				    0, 0, NULL);
	g_regex_match (word, value, 0, &m);
	for (; g_match_info_matches (m); g_match_info_next (m, NULL)) {
		int s0, e0;
		g_autofree char *cs = g_match_info_fetch (m, 1);
		g_autofree char *b64 = g_match_info_fetch (m, 2);
		g_autofree guchar *bytes = NULL;
		gsize len = 0;
		gboolean adjacent;

		g_match_info_fetch_pos (m, 0, &s0, &e0);
		adjacent = run_start != NULL &&
			   g_ascii_strcasecmp (cs, charset) == 0 &&
			   strspn (copied, " \t\r\n") == (gsize) (value + s0 - copied);
		if (!adjacent) {
			flush_run (out, charset, run, words);
			g_string_append_len (out, copied, value + s0 - copied);
			g_byte_array_set_size (run, 0);
			g_free (charset);
			charset = g_strdup (cs);
			run_start = value + s0;
			words = 0;
		}
		joined |= adjacent;
		bytes = g_base64_decode (b64, &len);
		g_byte_array_append (run, bytes, len);
		words++;
		copied = value + e0;
	}
	if (!joined)
		return NULL;
	flush_run (out, charset, run, words);
	g_string_append (out, copied);
	return g_strdup (out->str);
}

/*
 * parse_address_list: (transfer full) (nullable): @value as GMime reads
 * an address list, cut before its (TG_MIMESCAN_MAX_GROUPS + 1)th colon:
 * GMime's parser recurses into each "name:" group, and a value of
 * "x:x:x:..." would overflow the stack (mimescan.h).
 */
static InternetAddressList *
parse_address_list (const char *value)
{
	g_autofree char *bounded = NULL;
	guint colons = 0;

	for (const char *p = value; (p = strchr (p, ':')) != NULL; p++)
		if (++colons > TG_MIMESCAN_MAX_GROUPS) {
			bounded = g_strndup (value, (gsize)(p - value));
			break;
		}
	return internet_address_list_parse (
		g_mime_parser_options_get_default (),
		bounded != NULL ? bounded : value);
}

/*
 * The addresses of header @name: GMime's list, unless a display name has
 * base64 words GMime would cut short; then the header's value again, with
 * those words joined. (transfer full)
 */
static InternetAddressList *
address_list (TgMessage *msg, GMimeMessage *gmsg, const char *name,
	      GMimeAddressType type)
{
	const char *raw = tg_message_get_header (msg, name);
	g_autofree char *joined = raw ? join_base64_words (raw) : NULL;

	if (joined != NULL)
		return parse_address_list (joined);
	return g_object_ref (g_mime_message_get_addresses (gmsg, type));
}

static void
fill_addresses (TgMessage *msg, GMimeMessage *gmsg)
{
	guint *warnings = &msg->parse_warnings;
	g_autoptr (InternetAddressList) from = NULL;
	g_autoptr (InternetAddressList) reply_to = NULL;
	g_autoptr (InternetAddressList) to = NULL;
	g_autoptr (InternetAddressList) cc = NULL;

	from = address_list (msg, gmsg, "From", GMIME_ADDRESS_TYPE_FROM);
	reply_to = address_list (msg, gmsg, "Reply-To",
				 GMIME_ADDRESS_TYPE_REPLY_TO);
	to = address_list (msg, gmsg, "To", GMIME_ADDRESS_TYPE_TO);
	cc = address_list (msg, gmsg, "Cc", GMIME_ADDRESS_TYPE_CC);
	msg->from = first_address (from, warnings);
	msg->reply_to = first_address (reply_to, warnings);
	if (!collect_addresses (to, msg->to, TG_MESSAGE_MAX_ADDRESSES, 0,
				warnings))
		(*warnings)++;
	if (!collect_addresses (cc, msg->cc, TG_MESSAGE_MAX_ADDRESSES, 0,
				warnings))
		(*warnings)++;
}

/* ---- headers ---- */

static void
copy_headers (TgMessage *msg, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list (obj);
	int n = g_mime_header_list_get_count (list);

	for (int i = 0; i < n; i++) {
		GMimeHeader *hdr = g_mime_header_list_get_header_at (list, i);
		const char *raw = g_mime_header_get_raw_value (hdr);
		g_autofree char *unfolded = NULL;
		g_autofree char *name = NULL;
		TgHeader *header = NULL;

		if (msg->headers->len >= TG_MESSAGE_MAX_HEADERS) {
			msg->parse_warnings++;
			return;
		}
		name = clean_short (g_mime_header_get_raw_name (hdr),
				    MESSAGE_MAX_SHORT, &msg->parse_warnings);
		if (name == NULL)
			continue;
		unfolded = g_mime_utils_header_unfold (raw != NULL ? raw : "");
		header = g_new0 (TgHeader, 1);
		header->name = g_steal_pointer (&name);
		header->value = to_valid_utf8 (unfolded);
		if (truncate_utf8 (header->value, TG_MESSAGE_MAX_HEADER_VALUE))
			msg->parse_warnings++;
		g_strstrip (header->value);
		g_ptr_array_add (msg->headers, header);
	}
}

/*
 * split_commas: (transfer full): @value without its comments (where a
 * "<john@example.org>" is no message id), split at commas.
 */
static GStrv
split_commas (const char *value)
{
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	g_autoptr (GString) piece = g_string_new (NULL);
	int depth = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
		} else if (*p == ',') {
			g_strv_builder_add (builder, piece->str);
			g_string_truncate (piece, 0);
		} else {
			g_string_append_c (piece, *p);
		}
	}
	g_strv_builder_add (builder, piece->str);
	return g_strv_builder_end (builder);
}

/*
 * parse_ids: (transfer full): the message ids in @value, in order, as
 * g_mime_references_parse() reads them from each comma-separated piece
 * (some clients separate ids with commas, where GMime stops); when that
 * finds none, the words with an '@' (some clients drop the <>).
 */
static GPtrArray *
parse_ids (TgMessage *msg, GMimeParserOptions *options, const char *value)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
	g_auto (GStrv) pieces = split_commas (value);
	g_auto (GStrv) words = NULL;

	for (gsize i = 0; pieces[i] != NULL; i++) {
		g_autoptr (GMimeReferences) refs =
			g_mime_references_parse (options, pieces[i]);
		int n = refs != NULL ? g_mime_references_length (refs) : 0;

		for (int j = 0; j < n; j++) {
			char *id = clean_id (
				msg,
				g_mime_references_get_message_id (refs, j));

			if (id != NULL)
				g_ptr_array_add (ids, id);
		}
	}
	if (ids->len > 0 || strchr (value, '<') != NULL)
		return ids;
	words = g_strsplit_set (value, " \t,", -1);
	for (gsize i = 0; words[i] != NULL; i++) {
		char *id = strchr (words[i], '@') != NULL
				   ? clean_id (msg, words[i])
				   : NULL;

		if (id != NULL)
			g_ptr_array_add (ids, id);
	}
	return ids;
}

/*
 * fill_threading: In-Reply-To and References. Of too many references
 * the root (the first) and the newest are kept: the ids threading can
 * match.
 */
static void
fill_threading (TgMessage *msg, GMimeParserOptions *options)
{
	const char *value = NULL;
	g_autoptr (GPtrArray) ids = NULL;

	if ((value = tg_message_get_header (msg, "In-Reply-To")) != NULL) {
		ids = parse_ids (msg, options, value);
		if (ids->len > 0)
			msg->in_reply_to =
				g_strdup (g_ptr_array_index (ids, 0));
		g_clear_pointer (&ids, g_ptr_array_unref);
	}
	if ((value = tg_message_get_header (msg, "References")) == NULL)
		return;
	ids = parse_ids (msg, options, value);
	for (guint i = 0; i < ids->len; i++) {
		if (ids->len > TG_MESSAGE_MAX_REFERENCES && i > 0 &&
		    i < ids->len - (TG_MESSAGE_MAX_REFERENCES - 1))
			continue;
		g_ptr_array_add (msg->references,
				 g_steal_pointer (&ids->pdata[i]));
	}
	if (ids->len > TG_MESSAGE_MAX_REFERENCES)
		msg->parse_warnings++;
}

/*
 * received_id: the value of the "id" clause in a Received header
 * (RFC 5321 4.4), outside comments: "... with ESMTPS id 4ABC123 for
 * <x@example.org>".
 */
static char *
received_id (const char *p, const char *end)
{
	int depth = 0;
	gboolean after_id = FALSE;

	while (p < end) {
		const char *start = NULL;

		if (*p == '(') {
			depth++;
			p++;
		} else if (*p == ')') {
			depth = MAX (depth - 1, 0);
			p++;
		} else if (depth > 0 && *p == '\\' && p + 1 < end) {
			p += 2;
		} else if (depth > 0 || g_ascii_isspace (*p) || *p == ';') {
			p++;
		} else {
			start = p;
			while (p < end && !g_ascii_isspace (*p) && *p != '(' &&
			       *p != ';')
				p++;
			if (after_id)
				return g_strndup (start, (gsize)(p - start));
			after_id = p - start == 2 &&
				   g_ascii_strncasecmp (start, "id", 2) == 0;
		}
	}
	return NULL;
}

static void
fill_received (TgMessage *msg)
{
	const char *value = tg_message_get_header (msg, "Received");
	const char *semi = NULL;
	g_autofree char *id = NULL;

	if (value == NULL)
		return;
	semi = strrchr (value, ';');
	if (semi != NULL)
		msg->received_at = g_mime_utils_header_decode_date (semi + 1);
	id = received_id (value, semi != NULL ? semi : value + strlen (value));
	msg->received_id = clean_id (msg, id);
}

/*
 * decode_bounded: (transfer full): @value with RFC 2047 words decoded,
 * within a budget: of a longer value only the first
 * TG_MESSAGE_MAX_DECODE bytes are decoded, cut at a blank so that no
 * word is split, and the text is cut at TG_MESSAGE_MAX_DECODED bytes.
 * *@cut_out (nullable) says whether either cut anything.
 */
static char *
decode_bounded (const char *value, gboolean *cut_out)
{
	gsize len = strlen (value);
	g_autofree char *head = NULL;
	g_autofree char *joined = NULL;
	g_autofree char *decoded = NULL;
	char *out = NULL;
	gboolean cut = FALSE;

	if (len > TG_MESSAGE_MAX_DECODE) {
		gsize keep = TG_MESSAGE_MAX_DECODE;

		while (keep > 0 && !g_ascii_isspace (value[keep]))
			keep--;
		head = g_strndup (value,
				  keep > 0 ? keep : TG_MESSAGE_MAX_DECODE);
		value = head;
		cut = TRUE;
	}
	joined = join_base64_words (value);
	decoded = g_mime_utils_header_decode_text (
		g_mime_parser_options_get_default (), joined ? joined : value);
	out = to_valid_utf8 (decoded != NULL ? decoded : "");
	replace_controls (out);
	cut |= truncate_utf8 (out, TG_MESSAGE_MAX_DECODED);
	if (cut_out != NULL)
		*cut_out = cut;
	return out;
}

/* fill_envelope: the fields taken from the top-level header copies. */
static void
fill_envelope (TgMessage *msg, GMimeParserOptions *options)
{
	const char *value = NULL;

	if ((value = tg_message_get_header (msg, "Subject")) != NULL) {
		gboolean cut = FALSE;

		g_free (msg->subject);
		msg->subject = decode_bounded (value, &cut);
		collapse_spaces (msg->subject);
		if (cut)
			msg->parse_warnings++;
	}
	if ((value = tg_message_get_header (msg, "Date")) != NULL)
		msg->date = g_mime_utils_header_decode_date (value);
	if ((value = tg_message_get_header (msg, "Message-ID")) != NULL) {
		g_autofree char *id = g_mime_utils_decode_message_id (value);

		msg->message_id = clean_id (msg, id);
	}
	fill_threading (msg, options);
	fill_received (msg);
}

/* ---- delivery status notifications (RFC 3464) ---- */

typedef struct {
	char *final_recipient;
	char *action;
	char *status;
} DsnFields;

static void
dsn_fields_clear (DsnFields *f)
{
	g_clear_pointer (&f->final_recipient, g_free);
	g_clear_pointer (&f->action, g_free);
	g_clear_pointer (&f->status, g_free);
}

/* first_token: (transfer full): the first blank-delimited word, lower. */
static char *
first_token (const char *value)
{
	gsize len = 0;

	while (g_ascii_isspace (*value))
		value++;
	len = strcspn (value, " \t(;");
	return len > 0 ? g_ascii_strdown (value, (gssize)len) : NULL;
}

/* dsn_note_field: remembers one field of a per-recipient block. */
static void
dsn_note_field (DsnFields *f, const char *name, const char *value)
{
	if (g_ascii_strcasecmp (name, "Final-Recipient") == 0 &&
	    f->final_recipient == NULL) {
		/* "rfc822; user@example.org": the address after the type. */
		const char *semi = strchr (value, ';');
		g_autofree char *addr =
			g_strstrip (g_strdup (semi != NULL ? semi + 1 : value));
		char *p = addr;

		if (*p == '<')
			p++;
		p[strcspn (p, "> \t")] = '\0';
		if (*p != '\0')
			f->final_recipient = g_ascii_strdown (p, -1);
	} else if (g_ascii_strcasecmp (name, "Action") == 0 &&
		   f->action == NULL) {
		f->action = first_token (value);
	} else if (g_ascii_strcasecmp (name, "Status") == 0 &&
		   f->status == NULL) {
		f->status = first_token (value);
	}
}

/* dsn_end_block: a blank line ends a per-recipient block. */
static void
dsn_end_block (TgMessage *msg, TgDsn *dsn, DsnFields *f)
{
	gboolean failed =
		f->action != NULL && strcmp (f->action, "failed") == 0;

	if (f->action != NULL &&
	    (dsn->action == NULL ||
	     (failed && strcmp (dsn->action, "failed") != 0))) {
		g_free (dsn->action);
		g_free (dsn->status);
		dsn->action = clean_short (f->action, MESSAGE_MAX_SHORT,
					   &msg->parse_warnings);
		dsn->status = clean_short (f->status, MESSAGE_MAX_SHORT,
					   &msg->parse_warnings);
	}
	if (failed && f->final_recipient != NULL) {
		if (dsn->final_recipients->len < TG_MESSAGE_MAX_ADDRESSES) {
			char *addr = clean_short (f->final_recipient,
						  MESSAGE_MAX_SHORT,
						  &msg->parse_warnings);

			if (addr != NULL)
				g_ptr_array_add (dsn->final_recipients, addr);
		} else {
			msg->parse_warnings++;
		}
	}
	dsn_fields_clear (f);
}

/*
 * parse_delivery_status: reads the header-like blocks of a
 * message/delivery-status body: the first is about the message, each
 * further one about a recipient. Fields may be folded.
 */
static void
parse_delivery_status (TgMessage *msg, TgDsn *dsn, const char *text)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	g_autoptr (GString) value = g_string_new (NULL);
	g_autofree char *name = NULL;
	DsnFields f = {0};

	for (gsize i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		const char *colon = NULL;

		if (*line == ' ' || *line == '\t') {
			if (name != NULL)
				g_string_append (value, line);
			continue;
		}
		if (name != NULL)
			dsn_note_field (&f, name, value->str);
		g_clear_pointer (&name, g_free);
		if (is_blank_text (line)) {
			dsn_end_block (msg, dsn, &f);
			continue;
		}
		colon = strchr (line, ':');
		if (colon == NULL)
			continue;
		name = g_strstrip (g_strndup (line, (gsize)(colon - line)));
		g_string_assign (value, colon + 1);
	}
	if (name != NULL)
		dsn_note_field (&f, name, value->str);
	dsn_end_block (msg, dsn, &f);
}

/* header_in_text: (transfer full): a field of a header block in @text. */
static char *
header_in_text (const char *text, const char *field)
{
	gsize flen = strlen (field);
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	GString *value = NULL;

	for (gsize i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
		if (value != NULL) {
			if (*lines[i] != ' ' && *lines[i] != '\t')
				break;
			g_string_append (value, lines[i]);
		} else if (g_ascii_strncasecmp (lines[i], field, flen) == 0 &&
			   lines[i][flen] == ':') {
			value = g_string_new (lines[i] + flen + 1);
		}
	}
	return value != NULL ? g_string_free (value, FALSE) : NULL;
}

static gboolean
is_type (GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type (obj);

	return ct != NULL && g_mime_content_type_is_type (ct, type, subtype);
}

/* returned_message_id: the Message-ID of the returned mail or headers. */
static char *
returned_message_id (TgMessage *msg, GMimeObject *part)
{
	g_autofree char *text = NULL;
	g_autofree char *value = NULL;
	g_autofree char *id = NULL;

	if (GMIME_IS_MESSAGE_PART (part)) {
		GMimeMessage *inner = g_mime_message_part_get_message (
			GMIME_MESSAGE_PART (part));

		if (inner == NULL)
			return NULL;
		return clean_id (msg, g_mime_message_get_message_id (inner));
	}
	if (!GMIME_IS_PART (part) ||
	    !(is_type (part, "text", "rfc822-headers") ||
	      is_type (part, "message", "global-headers")))
		return NULL;
	text = part_text (msg, GMIME_PART (part), MESSAGE_REPORT_RAW_MAX);
	value = header_in_text (text, "Message-ID");
	if (value == NULL)
		return NULL;
	id = g_mime_utils_decode_message_id (value);
	return clean_id (msg, id);
}

static TgDsn *
parse_dsn (TgMessage *msg, GMimeMultipart *report)
{
	TgDsn *dsn = g_new0 (TgDsn, 1);
	int n = g_mime_multipart_get_count (report);

	dsn->final_recipients = g_ptr_array_new_with_free_func (g_free);
	for (int i = 0; i < n; i++) {
		GMimeObject *part = g_mime_multipart_get_part (report, i);

		if (GMIME_IS_PART (part) &&
		    (is_type (part, "message", "delivery-status") ||
		     is_type (part, "message", "global-delivery-status"))) {
			g_autofree char *text = part_text (
				msg, GMIME_PART (part), MESSAGE_REPORT_RAW_MAX);

			parse_delivery_status (msg, dsn, text);
		} else if (dsn->original_message_id == NULL) {
			dsn->original_message_id =
				returned_message_id (msg, part);
		}
	}
	return dsn;
}

/*
 * note_report: multipart/report tells a DSN or an MDN (RFC 6522); the
 * report parts are read from @parts (@obj itself, or its recovery).
 */
static void
note_report (Walk *w, GMimeObject *obj, GMimeMultipart *parts)
{
	const char *type = NULL;

	if (!is_type (obj, "multipart", "report"))
		return;
	type = g_mime_object_get_content_type_parameter (obj, "report-type");
	if (type == NULL)
		return;
	if (g_ascii_strcasecmp (type, "disposition-notification") == 0)
		w->msg->is_mdn = TRUE;
	else if (g_ascii_strcasecmp (type, "delivery-status") == 0 &&
		 w->msg->dsn == NULL)
		w->msg->dsn = parse_dsn (w->msg, parts);
}

/* ---- the MIME tree ---- */

/* leaf_filename: (transfer full) (nullable): the decoded file name. */
static char *
leaf_filename (TgMessage *msg, GMimeObject *obj)
{
	const char *name = NULL;

	if (GMIME_IS_PART (obj)) {
		name = g_mime_part_get_filename (GMIME_PART (obj));
	} else {
		name = g_mime_object_get_content_disposition_parameter (
			obj, "filename");
		if (name == NULL)
			name = g_mime_object_get_content_type_parameter (
				obj, "name");
	}
	return clean_short (name, MESSAGE_MAX_SHORT, &msg->parse_warnings);
}

/*
 * decoded_size: the size of the decoded content, counted by writing it
 * to a null stream, so that no attachment is ever held in memory.
 */
static guint64
decoded_size (GMimeObject *obj)
{
	g_autoptr (GMimeStream) null = g_mime_stream_null_new ();

	if (GMIME_IS_PART (obj)) {
		GMimeDataWrapper *content =
			g_mime_part_get_content (GMIME_PART (obj));

		if (content != NULL)
			(void)g_mime_data_wrapper_write_to_stream (content,
								   null);
	} else if (GMIME_IS_MESSAGE_PART (obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message (
			GMIME_MESSAGE_PART (obj));

		if (inner != NULL)
			(void)g_mime_object_write_to_stream (
				GMIME_OBJECT (inner), NULL, null);
	}
	(void)g_mime_stream_flush (null);
	return GMIME_STREAM_NULL (null)->written;
}

static void
add_attachment (Walk *w, GMimeObject *obj, char *filename,
		const char *part_path)
{
	GMimeContentType *ct = g_mime_object_get_content_type (obj);
	g_autofree char *mime_type = NULL;
	g_autofree char *clean = NULL;
	TgAttachment *att = NULL;

	if (w->msg->attachments->len >= TG_MESSAGE_MAX_ATTACHMENTS) {
		if (!w->attachments_warned)
			w->msg->parse_warnings++;
		w->attachments_warned = TRUE;
		g_free (filename);
		return;
	}
	mime_type = ct != NULL ? g_mime_content_type_get_mime_type (ct) : NULL;
	clean = clean_short (mime_type, MESSAGE_MAX_SHORT,
			     &w->msg->parse_warnings);
	att = g_new0 (TgAttachment, 1);
	att->filename = filename;
	att->content_type = clean != NULL
				    ? g_ascii_strdown (clean, -1)
				    : g_strdup ("application/octet-stream");
	att->size = decoded_size (obj);
	att->part_path = g_strdup (part_path);
	g_ptr_array_add (w->msg->attachments, att);
}

/*
 * visit_leaf: an inline text/plain or text/html part is a body candidate;
 * any part with a file name or an attachment disposition, and every
 * non-text part, is an attachment. message/rfc822 parts are attachments
 * too: the forwarded or returned mail is not walked.
 */
static void
visit_leaf (Walk *w, GMimeObject *obj, const char *part_path)
{
	char *filename = leaf_filename (w->msg, obj);
	const char *disposition = g_mime_object_get_disposition (obj);
	gboolean attached =
		filename != NULL ||
		(disposition != NULL &&
		 g_ascii_strcasecmp (disposition, "attachment") == 0);

	if (!attached && GMIME_IS_PART (obj) && is_type (obj, "text", "*")) {
		if (is_type (obj, "text", "plain") && w->plain == NULL)
			w->plain = GMIME_PART (obj);
		else if (is_type (obj, "text", "html") && w->html == NULL)
			w->html = GMIME_PART (obj);
		return;
	}
	if (w->named_plain == NULL && GMIME_IS_PART (obj) &&
	    is_type (obj, "text", "plain") &&
	    (disposition == NULL ||
	     g_ascii_strcasecmp (disposition, "attachment") != 0))
		w->named_plain = GMIME_PART (obj);
	add_attachment (w, obj, filename, part_path);
}

/*
 * guess_boundary: (transfer full) (nullable): the boundary a prologue's
 * first "--token" line implies. Broken generators write a boundary
 * parameter that differs from the delimiters they use, or fold the
 * Content-Type so that the parameter is lost; GMime then finds no part
 * and keeps everything as the prologue.
 */
static char *
guess_boundary (const char *prologue)
{
	for (const char *line = prologue; line != NULL && *line != '\0';) {
		const char *eol = strchr (line, '\n');
		gsize len = eol != NULL ? (gsize)(eol - line) : strlen (line);

		while (len > 0 && g_ascii_isspace (line[len - 1]))
			len--;
		if (len > 2 && len <= 72 && line[0] == '-' && line[1] == '-') {
			g_autofree char *token = g_strndup (line + 2, len - 2);

			if (strpbrk (token, " \t\"\\") == NULL)
				return g_steal_pointer (&token);
			return NULL;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

/*
 * reparse_prologue: (transfer full) (nullable): the prologue of a
 * childless multipart parsed again with the boundary it really uses;
 * NULL when that finds no part either.
 */
static GMimeObject *
reparse_prologue (const char *prologue, GMimeParserOptions *options)
{
	g_autofree char *boundary = guess_boundary (prologue);
	g_autoptr (GMimeStream) stream = NULL;
	g_autoptr (GMimeParser) parser = NULL;
	g_autoptr (GMimeObject) obj = NULL;
	char *text = NULL;

	if (boundary == NULL)
		return NULL;
	text = g_strdup_printf ("Content-Type: multipart/mixed; "
				"boundary=\"%s\"\n\n%s",
				boundary, prologue);
	stream = g_mime_stream_mem_new_with_byte_array (
		g_byte_array_new_take ((guint8 *)text, strlen (text)));
	parser = g_mime_parser_new_with_stream (stream);
	obj = g_mime_parser_construct_part (parser, options);
	if (obj == NULL || !GMIME_IS_MULTIPART (obj) ||
	    g_mime_multipart_get_count (GMIME_MULTIPART (obj)) == 0)
		return NULL;
	return g_steal_pointer (&obj);
}

static void walk (Walk *w, GMimeObject *obj, guint depth, const char *path);

static void
walk_children (Walk *w, GMimeMultipart *multipart, guint depth,
	       const char *part_path)
{
	int n = g_mime_multipart_get_count (multipart);

	for (int i = 0; i < n; i++) {
		g_autofree char *child_path =
			depth == 0
				? g_strdup_printf ("%d", i + 1)
				: g_strdup_printf ("%s.%d", part_path, i + 1);

		walk (w, g_mime_multipart_get_part (multipart, i), depth + 1,
		      child_path);
	}
}

/*
 * walk_childless: a multipart in which GMime found no part. Its parts
 * are recovered once per mail (the copy costs memory). Returns the
 * recovered multipart (borrowed), or NULL.
 */
static GMimeMultipart *
walk_childless (Walk *w, GMimeMultipart *multipart, guint depth,
		const char *part_path)
{
	const char *prologue = g_mime_multipart_get_prologue (multipart);

	if (prologue == NULL || is_blank_text (prologue))
		return NULL;
	w->msg->parse_warnings++;
	if (w->recovered != NULL)
		return NULL;
	w->recovered = reparse_prologue (prologue, w->options);
	if (w->recovered == NULL)
		return NULL;
	walk_children (w, GMIME_MULTIPART (w->recovered), depth, part_path);
	return GMIME_MULTIPART (w->recovered);
}

/* walk: visits the tree below @obj in document order. */
static void
walk (Walk *w, GMimeObject *obj, guint depth, const char *part_path)
{
	GMimeMultipart *multipart = NULL;
	GMimeMultipart *recovered = NULL;

	if (depth > TG_MESSAGE_MAX_DEPTH) {
		if (!w->depth_warned)
			w->msg->parse_warnings++;
		w->depth_warned = TRUE;
		return;
	}
	if (!GMIME_IS_MULTIPART (obj)) {
		visit_leaf (w, obj, part_path);
		return;
	}
	multipart = GMIME_MULTIPART (obj);
	if (g_mime_multipart_get_count (multipart) > 0)
		walk_children (w, multipart, depth, part_path);
	else
		recovered = walk_childless (w, multipart, depth, part_path);
	if (recovered == NULL && w->prologue == NULL) {
		const char *prologue =
			g_mime_multipart_get_prologue (multipart);

		if (prologue != NULL && !is_blank_text (prologue))
			w->prologue = prologue;
	}
	note_report (w, obj, recovered != NULL ? recovered : multipart);
}

/* ---- the raw source ---- */

static void
count_warning (gint64 offset, GMimeParserWarning code, const char *item,
	       gpointer user_data)
{
	TgMessage *msg = user_data;

	/* The item is customer data: it stays out of the log. */
	g_debug ("message: parser warning %d at offset %" G_GINT64_FORMAT,
		 (int)code, offset);
	msg->parse_warnings++;
}

static void
set_tolerant_options (GMimeParserOptions *options)
{
	g_mime_parser_options_set_address_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode (
		options, GMIME_RFC_COMPLIANCE_LOOSE);
	/* "From: MAILER-DAEMON" must still give an address to classify. */
	g_mime_parser_options_set_allow_addresses_without_domain (options,
								  TRUE);
	g_mime_parser_options_set_fallback_charsets (options,
						     fallback_charsets);
}

static GMimeParserOptions *
parser_options_new (TgMessage *msg)
{
	GMimeParserOptions *options = g_mime_parser_options_new ();

	set_tolerant_options (options);
	g_mime_parser_options_set_warning_callback (options, count_warning,
						    msg);
	return options;
}

static gboolean
read_fully (const TgSpool *spool, goffset offset, guint8 *buf, gsize len,
	    gsize *got_out, GError **error)
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

/*
 * What GMime is given of the mail: from @start (after a byte-order mark)
 * to @end (-1: the end; else where the structure budget ran out), less
 * the excess of overlong headers (@cuts). See mimescan.h.
 */
typedef struct {
	goffset start;	  /* after a UTF-8 byte-order mark, else 0 */
	gboolean bare_cr; /* lines end in CR alone (old Mac mail) */
	goffset end;	  /* where GMime's view of the mail stops, or -1 */
	GArray *cuts;	  /* TgMimeScanCut, in order, before end */
} Sniff;

static void
sniff_clear (Sniff *sniffed)
{
	g_clear_pointer (&sniffed->cuts, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sniff, sniff_clear)

/* ---- charset converters -------------------------------------------- */

/*
 * GMime opens and closes an iconv converter for each run of encoded
 * words in one charset, and glibc unloads a converter module once three
 * other conversions have been closed since its own: a subject whose
 * words cycle through a few dozen charsets loaded and unloaded a shared
 * library for every word (48 s for 1 MB). So every charset a mail names
 * is opened once, here, and held open for the life of the process,
 * which keeps its module loaded; GMime's own opens then find it. Names
 * iconv does not know are remembered too, up to a bound.
 */
#define MESSAGE_MAX_UNKNOWN_CHARSETS 4096

static GHashTable *pinned; /* lower-case name -> iconv_t, or NULL */
static guint unknown_charsets;
static gboolean fallbacks_pinned;

static void
unpin (gpointer cd)
{
	if (cd != NULL)
		(void)g_mime_iconv_close ((iconv_t)cd);
}

static void
pin_one (const char *name)
{
	iconv_t cd = g_mime_iconv_open ("UTF-8", name);

	if (cd != (iconv_t)-1) {
		g_hash_table_insert (pinned, g_ascii_strdown (name, -1), cd);
	} else if (unknown_charsets < MESSAGE_MAX_UNKNOWN_CHARSETS) {
		g_hash_table_insert (pinned, g_ascii_strdown (name, -1), NULL);
		unknown_charsets++;
	}
}

/*
 * glibc converts these without a module: they are never unloaded, and
 * closing them unloads nothing else.
 */
static gboolean
is_builtin_charset (const char *name)
{
	static const char *const names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
		if (g_ascii_strcasecmp (name, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/*
 * pin_charset: a mimescan callback. Once a mail names a charset that
 * needs a module, the fallback charsets are held too: GMime reads raw
 * 8-bit text and words in unknown charsets with them, and between such
 * words the other modules' conversions would unload theirs.
 */
static void
pin_charset (const char *name, gpointer data)
{
	g_autofree char *key = g_ascii_strdown (name, -1);

	if (pinned == NULL)
		pinned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
						unpin);
	if (g_hash_table_contains (pinned, key))
		return;
	pin_one (name);
	if (fallbacks_pinned || is_builtin_charset (name) ||
	    g_hash_table_lookup (pinned, key) == NULL)
		return;
	fallbacks_pinned = TRUE;
	for (gsize i = 0; fallback_charsets[i] != NULL; i++)
		pin_charset (fallback_charsets[i], NULL);
}

/* scan_structure: sets @out->end and @out->cuts (mimescan.h). */
static gboolean
scan_structure (const TgSpool *spool, Sniff *out, guint8 *buf, gsize size,
		GError **error)
{
	g_autoptr (TgMimeScan) scan = tg_mimescan_new (
		out->bare_cr ? '\r' : '\n', out->start, pin_charset, NULL);
	goffset offset = out->start;
	gsize got = 0;

	for (;;) {
		if (!read_fully (spool, offset, buf, size, &got, error))
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
 * sniff: looks at the mail before GMime does. Two tolerated violations
 * (doc/tolerated-input.md) are found at its head: a byte-order mark
 * before the headers, which would spoil the first header name, and bare
 * CR line ends, which GMime does not split on. Then the whole mail is
 * scanned (mimescan.h): the structure budget, overlong headers, the
 * charsets to hold open.
 */
static gboolean
sniff (const TgSpool *spool, Sniff *out, GError **error)
{
	g_autofree guint8 *buf = g_malloc (MESSAGE_SNIFF_MAX);
	gsize len = 0;

	memset (out, 0, sizeof *out);
	out->end = -1;
	if (!read_fully (spool, 0, buf, MESSAGE_SNIFF_MAX, &len, error))
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
	if (!read_fully (spool, 0, array->data, size, &got, error))
		return NULL;
	g_byte_array_set_size (array, (guint)got);
	for (gsize i = 0; i < got; i++)
		if (array->data[i] == '\r' &&
		    (i + 1 == got || array->data[i + 1] != '\n'))
			array->data[i] = '\n';
	return g_steal_pointer (&array);
}

/*
 * open_source: (transfer full): a seekable stream over the spool for the
 * parser, so that it keeps part content as substreams instead of copies.
 * A memory spool is wrapped without copying in *@borrowed_out, a
 * GByteArray that does not own its data: the caller releases it with
 * g_byte_array_free (array, FALSE) once every GMime object is gone. A
 * file spool is read through its descriptor, which the stream does not
 * own (GMimeStreamFs seeks before each read, so the offset is ours).
 */
/*
 * view_stream: (transfer full): what GMime is given of @base (which it
 * takes): @base within the bounds of @sniffed, or, when headers were
 * cut, the pieces between the cuts one after the other, in a
 * GMimeStreamCat whose offsets start at 0 (view_to_source() maps them
 * back). The pieces borrow @base's buffer or descriptor, so the view
 * holds @base.
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

static GMimeStream *
open_source (const TgSpool *spool, const Sniff *sniffed,
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
 * view_to_source: the offset in the mail of @offset in what GMime was
 * given (view_stream); -1 stays -1.
 */
static goffset
view_to_source (const Sniff *sniffed, goffset offset)
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

/*
 * body_offset: where the body starts: after the blank line that ends the
 * header block (@headers_end is where the parser found it), after
 * @start for a mail without headers, or -1 when the header block never
 * ends (the body is then empty).
 */
static gboolean
body_offset (const TgSpool *spool, gboolean have_headers, gint64 headers_end,
	     goffset start, goffset *offset_out, GError **error)
{
	guint8 sep[2] = {0, 0};
	gsize got = 0;

	if (!have_headers) {
		*offset_out = start;
		return TRUE;
	}
	if (headers_end < 0) {
		*offset_out = -1;
		return TRUE;
	}
	if (!read_fully (spool, headers_end, sep, sizeof sep, &got, error))
		return FALSE;
	if (got >= 1 && sep[0] == '\n')
		*offset_out = headers_end + 1;
	else if (got == 2 && sep[0] == '\r' && sep[1] == '\n')
		*offset_out = headers_end + 2;
	else if (got >= 1 && sep[0] == '\r')
		*offset_out = headers_end + 1;
	else
		*offset_out = headers_end;
	return TRUE;
}

/* fill_digest: SHA-256 of the raw bytes from @offset (-1: none). */
static gboolean
fill_digest (TgMessage *msg, const TgSpool *spool, goffset offset,
	     GError **error)
{
	g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
	g_autofree guint8 *buf = g_malloc (MESSAGE_IO_CHUNK);

	while (offset >= 0) {
		gsize got = 0;

		if (!read_fully (spool, offset, buf, MESSAGE_IO_CHUNK, &got,
				 error))
			return FALSE;
		if (got == 0)
			break;
		g_checksum_update (sum, buf, (gssize)got);
		offset += (goffset)got;
	}
	msg->body_digest = g_strdup (g_checksum_get_string (sum));
	return TRUE;
}

/*
 * fill_headerless: what GMime could not read as a mail (no header at
 * all, an Outlook .msg file, binary junk) is kept as body text.
 */
static gboolean
fill_headerless (TgMessage *msg, const TgSpool *spool, goffset start,
		 GError **error)
{
	gsize size = tg_spool_get_size (spool);
	gsize want = MIN (size - MIN ((gsize)start, size),
			  (gsize)MESSAGE_PLAIN_RAW_MAX);
	g_autoptr (GByteArray) bytes = g_byte_array_sized_new ((guint)want);
	gsize got = 0;

	g_byte_array_set_size (bytes, (guint)want);
	if (!read_fully (spool, start, bytes->data, want, &got, error))
		return FALSE;
	g_byte_array_set_size (bytes, (guint)got);
	if (size - (gsize)start > want)
		msg->parse_warnings++;
	set_body (msg, bytes_to_text (bytes, NULL), FALSE);
	return TRUE;
}

/*
 * parse_stream: runs GMime over @stream and copies what we need. Every
 * GMime object lives and dies here; @stream outlives them.
 */
static gboolean
parse_stream (TgMessage *msg, const TgSpool *spool, GMimeStream *stream,
	      const Sniff *sniffed, GError **error)
{
	g_autoptr (GMimeParserOptions) options = parser_options_new (msg);
	g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);
	g_autoptr (GMimeMessage) gmsg = NULL;
	GMimeObject *body = NULL;
	Walk w = {.msg = msg};
	goffset offset = 0;
	goffset headers_end = -1;

	g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream (parser, TRUE);
	gmsg = g_mime_parser_construct_message (parser, options);
	headers_end = view_to_source (sniffed,
				      g_mime_parser_get_headers_end (parser));
	if (!body_offset (spool, gmsg != NULL, headers_end, sniffed->start,
			  &offset, error) ||
	    !fill_digest (msg, spool, offset, error))
		return FALSE;
	if (gmsg == NULL) {
		msg->parse_warnings++;
		return fill_headerless (msg, spool, sniffed->start, error);
	}
	copy_headers (msg, GMIME_OBJECT (gmsg));
	fill_envelope (msg, options);
	fill_addresses (msg, gmsg);
	body = g_mime_message_get_mime_part (gmsg);
	if (body != NULL) {
		w.options = options;
		walk (&w, body, 0, "0");
		fill_body (&w);
	}
	g_clear_object (&w.recovered);
	return TRUE;
}

static TgMessage *
message_new (void)
{
	TgMessage *msg = g_new0 (TgMessage, 1);

	msg->headers =
		g_ptr_array_new_with_free_func ((GDestroyNotify)header_free);
	msg->to = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);
	msg->cc = g_ptr_array_new_with_free_func (
		(GDestroyNotify)tg_address_free);
	msg->references = g_ptr_array_new_with_free_func (g_free);
	msg->attachments = g_ptr_array_new_with_free_func (
		(GDestroyNotify)attachment_free);
	msg->subject = g_strdup ("");
	msg->body_text = g_strdup ("");
	return msg;
}

/* ---- public API ---- */

TgMessage *
tg_message_parse (const TgSpool *spool, GError **error)
{
	g_autoptr (TgMessage) msg = NULL;
	GByteArray *borrowed = NULL;
	GMimeStream *stream = NULL;
	g_auto (Sniff) sniffed = {0};
	gboolean ok = FALSE;

	g_return_val_if_fail (spool != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	msg = message_new ();
	msg->size = tg_spool_get_size (spool);
	if (!sniff (spool, &sniffed, error))
		return NULL;
	if (sniffed.end >= 0) {
		g_debug ("message: structure budget spent at offset "
			 "%" G_GINT64_FORMAT,
			 (gint64)sniffed.end);
		msg->parse_warnings++;
	}
	/* Each overlong header cut short is a warning. */
	msg->parse_warnings += sniffed.cuts->len;
	stream = open_source (spool, &sniffed, &borrowed, error);
	if (stream == NULL)
		return NULL;
	ok = parse_stream (msg, spool, stream, &sniffed, error);
	g_object_unref (stream);
	/* FALSE: the bytes belong to the spool; only the wrapper goes. */
	if (borrowed != NULL)
		(void)g_byte_array_free (borrowed, FALSE);
	if (!ok)
		return NULL;
	return g_steal_pointer (&msg);
}

void
tg_message_free (TgMessage *msg)
{
	if (msg == NULL)
		return;
	g_clear_pointer (&msg->headers, g_ptr_array_unref);
	g_clear_pointer (&msg->from, tg_address_free);
	g_clear_pointer (&msg->reply_to, tg_address_free);
	g_clear_pointer (&msg->to, g_ptr_array_unref);
	g_clear_pointer (&msg->cc, g_ptr_array_unref);
	g_clear_pointer (&msg->subject, g_free);
	g_clear_pointer (&msg->date, g_date_time_unref);
	g_clear_pointer (&msg->message_id, g_free);
	g_clear_pointer (&msg->in_reply_to, g_free);
	g_clear_pointer (&msg->references, g_ptr_array_unref);
	g_clear_pointer (&msg->received_at, g_date_time_unref);
	g_clear_pointer (&msg->received_id, g_free);
	g_clear_pointer (&msg->body_text, g_free);
	g_clear_pointer (&msg->attachments, g_ptr_array_unref);
	g_clear_pointer (&msg->dsn, dsn_free);
	g_clear_pointer (&msg->body_digest, g_free);
	g_free (msg);
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
	if (!sniff (spool, &sniffed, error))
		return NULL;
	src->stream = open_source (spool, &sniffed, &src->borrowed, error);
	if (src->stream == NULL)
		return NULL;
	options = parser_options_new (src->scratch);
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

const char *
tg_message_get_header (const TgMessage *msg, const char *name)
{
	g_return_val_if_fail (msg != NULL, NULL);
	g_return_val_if_fail (name != NULL, NULL);

	for (guint i = 0; i < msg->headers->len; i++) {
		const TgHeader *h = g_ptr_array_index (msg->headers, i);

		if (g_ascii_strcasecmp (h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

char *
tg_message_decode_header (const char *value)
{
	g_return_val_if_fail (value != NULL, NULL);

	return decode_bounded (value, NULL);
}

TgAddress *
tg_message_parse_address (const char *value)
{
	g_autoptr (InternetAddressList) list = NULL;

	g_return_val_if_fail (value != NULL, NULL);

	list = parse_address_list (value);
	return list != NULL ? first_address (list, NULL) : NULL;
}

void
tg_address_free (TgAddress *addr)
{
	if (addr == NULL)
		return;
	g_free (addr->addr);
	g_free (addr->name);
	g_free (addr);
}

void
tg_message_init (void)
{
	g_mime_init ();
	/* The default options serve tg_message_decode_header() and
	 * tg_message_parse_address(); parses use their own copy. */
	set_tolerant_options (g_mime_parser_options_get_default ());
}

void
tg_message_shutdown (void)
{
	g_clear_pointer (&pinned, g_hash_table_unref);
	unknown_charsets = 0;
	fallbacks_pinned = FALSE;
	g_mime_shutdown ();
}

char *
tg_message_library_version (void)
{
	return g_strdup_printf ("GMime %u.%u.%u, GLib %u.%u.%u, %s",
				gmime_major_version, gmime_minor_version,
				gmime_micro_version, glib_major_version,
				glib_minor_version, glib_micro_version,
#ifdef TG_STATIC_DEPS
				"static: no mount table"
#else
				"shared"
#endif
	);
}
