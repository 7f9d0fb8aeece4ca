/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compose: outgoing mail with GMime. Header values from customers (the
 * subject, names) go through GMime's encoders, never into a header by
 * printf; only Message-IDs are written as given, after a check that they
 * are plain. Every read of a mail an answer carries and every write of
 * the answer is checked: a failure is an error, never a shorter mail.
 */
#include "compose.h"
#include "compose-gmime.h"

#include <errno.h>
#include <string.h>

#include "gmime-autocleanups.h"
#include "mime-source.h"
#include "html.h"
#include "staffblock.h"

#define OWN_ID_PREFIX "ticketgate."

G_DEFINE_QUARK (tg-compose-error-quark, tg_compose_error)

const char *const tg_compose_reserved_headers[] = {
	"From", "To", "Cc", "Bcc", "Sender", "Message-ID", "In-Reply-To",
	"References", "Date", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Auto-Submitted", "X-Ticketgate-Loop",
	"X-Ticketgate-Ticket", "Subject", NULL,
};

/* Sets @error for a failed read or write of @what; GMime leaves the
 * reason in errno, which the caller cleared before the call. */
static gboolean
failed (GError **error, const char *what)
{
	int saved = errno;

	g_set_error (error, TG_COMPOSE_ERROR, TG_COMPOSE_ERROR_TEMPORARY,
		     "%s failed: %s", what,
		     saved != 0 ? g_strerror (saved) : "no reason given");
	return FALSE;
}

static const char *
domain_of (const char *address)
{
	const char *at = address != NULL ? strrchr (address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : "localhost";
}

char *
tg_compose_new_message_id (const char *address)
{
	return g_strdup_printf (OWN_ID_PREFIX "%08x%08x%08x%08x@%s",
				g_random_int (), g_random_int (),
				g_random_int (), g_random_int (),
				domain_of (address));
}

gboolean
tg_compose_is_own_message_id (const char *id, const char *address)
{
	const char *at;
	gsize hex;

	if (id == NULL || !g_str_has_prefix (id, OWN_ID_PREFIX))
		return FALSE;
	id += strlen (OWN_ID_PREFIX);
	hex = strspn (id, "0123456789abcdef");
	at = id + hex;
	return hex == 32 && *at == '@' &&
	       g_ascii_strcasecmp (at + 1, domain_of (address)) == 0;
}

/* A Message-ID we are willing to write: printable ASCII, no blanks or
 * angle brackets, one "@". */
static gboolean
is_plain_id (const char *id)
{
	if (id == NULL || *id == '\0' || strlen (id) > 250)
		return FALSE;
	for (const char *c = id; *c != '\0'; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '<' || *c == '>')
			return FALSE;
	return strchr (id, '@') != NULL;
}

/* "<first> <latest...>": the root and the newest ids, as RFC 5322 3.6.4
 * suggests when a list grows long. */
static char *
format_references (const GPtrArray *refs, const char *in_reply_to)
{
	g_autoptr (GPtrArray) ids = g_ptr_array_new ();
	GString *out = g_string_new (NULL);

	for (guint i = 0; refs != NULL && i < refs->len; i++)
		if (is_plain_id (refs->pdata[i]) &&
		    g_strcmp0 (refs->pdata[i], in_reply_to) != 0)
			g_ptr_array_add (ids, refs->pdata[i]);
	if (is_plain_id (in_reply_to))
		g_ptr_array_add (ids, (gpointer) in_reply_to);
	for (guint i = 0; i < ids->len; i++) {
		if (ids->len > TG_COMPOSE_MAX_REFERENCES && i > 0 &&
		    i < ids->len - (TG_COMPOSE_MAX_REFERENCES - 1))
			continue;
		g_string_append_printf (out, "%s<%s>", out->len ? " " : "",
					(const char *) ids->pdata[i]);
	}
	return g_string_free (out, out->len == 0);
}

/* (transfer full): @text with CRLF and bare CR turned into LF: a bare CR
 * must not reach the wire (RFC 5322 2.3), and we write LF line ends. */
static char *
unix_newlines (const char *text)
{
	GString *out = g_string_sized_new (strlen (text));

	for (const char *p = text; *p != '\0'; p++) {
		if (*p != '\r')
			g_string_append_c (out, *p);
		else if (p[1] != '\n')
			g_string_append_c (out, '\n');
	}
	return g_string_free (out, FALSE);
}

static GMimeObject *
text_body (const char *body)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype ("plain");
	g_autofree char *text = unix_newlines (body != NULL ? body : "");
	g_autoptr (GMimeStream) stream =
		g_mime_stream_mem_new_with_buffer (text, strlen (text));
	g_autoptr (GMimeDataWrapper) content =
		g_mime_data_wrapper_new_with_stream (
			stream, GMIME_CONTENT_ENCODING_DEFAULT);

	/* Not g_mime_text_part_set_text(): it re-encodes the text into the
	 * smallest charset that fits (ISO-8859-1 for most of Europe), while
	 * we promise UTF-8. */
	g_mime_part_set_content (GMIME_PART (part), content);
	g_mime_text_part_set_charset (part, "utf-8");
	g_mime_part_set_content_encoding (
		GMIME_PART (part),
		g_mime_part_get_best_content_encoding (
			GMIME_PART (part), GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT (part);
}

static void
set_addresses (GMimeMessage *msg, const TgMailSpec *spec)
{
	g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_FROM,
				    spec->from_name, spec->from_address);
	g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_TO, spec->to_name,
				    spec->to_address);
	for (int i = 0; spec->cc != NULL && spec->cc[i] != NULL; i++)
		g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_CC, NULL,
					    spec->cc[i]);
	if (spec->reply_to != NULL)
		g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_REPLY_TO,
					    NULL, spec->reply_to);
}

static void
set_threading (GMimeMessage *msg, const TgMailSpec *spec)
{
	GMimeObject *obj = GMIME_OBJECT (msg);
	g_autofree char *refs =
		format_references (spec->references, spec->in_reply_to);
	g_autofree char *irt = NULL;

	/* Left out rather than written broken: it goes into the header as
	 * it is, so a blank or a line break would corrupt or inject. */
	if (is_plain_id (spec->message_id))
		g_mime_message_set_message_id (msg, spec->message_id);
	if (is_plain_id (spec->in_reply_to)) {
		irt = g_strdup_printf ("<%s>", spec->in_reply_to);
		g_mime_object_set_header (obj, "In-Reply-To", irt, NULL);
	}
	if (refs != NULL)
		g_mime_object_set_header (obj, "References", refs, NULL);
}

static void
set_robot_headers (GMimeMessage *msg, const TgMailSpec *spec)
{
	GMimeObject *obj = GMIME_OBJECT (msg);

	if (spec->auto_replied) {
		/* RFC 3834 section 5; Outlook's own variant of the same. */
		g_mime_object_set_header (obj, "Auto-Submitted", "auto-replied",
					  NULL);
		g_mime_object_set_header (obj, "X-Auto-Response-Suppress",
					  "All", NULL);
	}
	if (spec->auto_generated)
		g_mime_object_set_header (obj, "Auto-Submitted",
					  "auto-generated", NULL);
	if (spec->loop_value != NULL)
		g_mime_object_set_header (obj, "X-Ticketgate-Loop",
					  spec->loop_value, NULL);
	if (spec->ticket_number > 0) {
		g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT,
						      spec->ticket_number);
		g_mime_object_set_header (obj, "X-Ticketgate-Ticket", n, NULL);
	}
}

/* Header names are case-insensitive (RFC 5322 1.2.2): "from" is From. */
static gboolean
is_reserved (const char *name)
{
	for (int i = 0; tg_compose_reserved_headers[i] != NULL; i++)
		if (g_ascii_strcasecmp (name, tg_compose_reserved_headers[i]) ==
		    0)
			return TRUE;
	return FALSE;
}

static void
set_extra_headers (GMimeMessage *msg, const TgMailSpec *spec)
{
	if (spec->header_names == NULL)
		return;
	for (guint i = 0; i < spec->header_names->len; i++) {
		const char *name = spec->header_names->pdata[i];

		if (is_reserved (name))
			continue;
		g_mime_object_set_header (GMIME_OBJECT (msg), name,
					  spec->header_values->pdata[i],
					  "utf-8");
	}
}

gboolean
tg_compose_write (GMimeObject *object, GMimeStream *out, GError **error)
{
	g_autoptr (GMimeFormatOptions) options = g_mime_format_options_new ();

	g_return_val_if_fail (GMIME_IS_OBJECT (object), FALSE);
	g_return_val_if_fail (GMIME_IS_STREAM (out), FALSE);
	g_mime_format_options_set_newline_format (options,
						  GMIME_NEWLINE_FORMAT_UNIX);
	/* A part's content is read from its spool while it is written, so
	 * -1 may be a failed read as well as a failed write. */
	errno = 0;
	if (g_mime_object_write_to_stream (object, options, out) == -1)
		return failed (error, "writing the mail");
	errno = 0;
	if (g_mime_stream_flush (out) == -1)
		return failed (error, "flushing the mail");
	return TRUE;
}

GBytes *
tg_compose_serialize (GMimeObject *object, GError **error)
{
	g_autoptr (GByteArray) bytes = g_byte_array_new ();
	g_autoptr (GMimeStream) stream =
		g_mime_stream_mem_new_with_byte_array (bytes);

	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
	if (!tg_compose_write (object, stream, error))
		return NULL;
	g_clear_object (&stream);
	return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

static void
set_headers (GMimeMessage *msg, const TgMailSpec *spec)
{
	g_autoptr (GDateTime) now = NULL;

	set_addresses (msg, spec);
	if (spec->date == NULL)
		now = g_date_time_new_now_local ();
	g_mime_message_set_date (msg, spec->date != NULL ? spec->date : now);
	g_mime_message_set_subject (msg, spec->subject ? spec->subject : "",
				    "utf-8");
	set_threading (msg, spec);
	set_robot_headers (msg, spec);
	set_extra_headers (msg, spec);
}

GBytes *
tg_compose_text_mail (const TgMailSpec *spec, GError **error)
{
	g_autoptr (GMimeMessage) msg = g_mime_message_new (TRUE);
	g_autoptr (GMimeObject) body = NULL;

	g_return_val_if_fail (spec != NULL && spec->to_address != NULL, NULL);
	g_return_val_if_fail (spec->from_address != NULL, NULL);
	g_return_val_if_fail (spec->message_id != NULL, NULL);
	set_headers (msg, spec);
	body = text_body (spec->body);
	g_mime_message_set_mime_part (msg, body);
	return tg_compose_serialize (GMIME_OBJECT (msg), error);
}

/* ---- forwarding a mail's own content -------------------------------- */

static gboolean
is_inline_text (GMimeObject *obj, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type (obj);

	return GMIME_IS_TEXT_PART (obj) &&
	       !g_mime_part_is_attachment (GMIME_PART (obj)) &&
	       g_mime_content_type_is_type (ct, "text", subtype);
}

/* The size of @part's content once decoded, read from its spool. */
static gboolean
decoded_size (GMimePart *part, guint64 *size_out, GError **error)
{
	GMimeDataWrapper *content = g_mime_part_get_content (part);
	g_autoptr (GMimeStream) null = g_mime_stream_null_new ();

	*size_out = 0;
	if (content == NULL)
		return TRUE;
	errno = 0;
	if (g_mime_data_wrapper_write_to_stream (content, null) == -1)
		return failed (error, "reading an attachment");
	*size_out = GMIME_STREAM_NULL (null)->written;
	return TRUE;
}

/*
 * The text of @part as UTF-8, as g_mime_text_part_get_text() gives it,
 * but with every read checked: that function returns what it could read
 * and hides a failure, which would relay a reply cut short.
 */
static char *
part_text (GMimeTextPart *part, GError **error)
{
	GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (part));
	const char *charset = g_mime_object_get_content_type_parameter (
		GMIME_OBJECT (part), "charset");
	g_autoptr (GByteArray) bytes = g_byte_array_new ();
	g_autoptr (GMimeStream) mem =
		g_mime_stream_mem_new_with_byte_array (bytes);
	g_autoptr (GMimeStream) out = NULL;
	g_autoptr (GMimeFilter) filter = NULL;

	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
	if (content == NULL)
		return g_strdup ("");
	if (charset != NULL &&
	    (filter = g_mime_filter_charset_new (charset, "utf-8")) != NULL) {
		out = g_mime_stream_filter_new (mem);
		g_mime_stream_filter_add (GMIME_STREAM_FILTER (out), filter);
	} else {
		out = g_object_ref (mem);
	}
	errno = 0;
	if (g_mime_data_wrapper_write_to_stream (content, out) == -1 ||
	    g_mime_stream_flush (out) == -1) {
		failed (error, "reading a text part");
		return NULL;
	}
	g_clear_object (&out);
	g_clear_object (&mem);
	g_byte_array_append (bytes, (const guint8 *) "", 1);
	return (char *) g_byte_array_free (g_steal_pointer (&bytes), FALSE);
}

/* A text part that stands in for an attachment too large to forward,
 * in @words. */
static GMimeObject *
placeholder_for (GMimePart *part, guint64 size, guint64 limit,
		 const TgComposeWords *words)
{
	const char *name = g_mime_part_get_filename (part);
	g_autofree char *type = g_mime_content_type_get_mime_type (
		g_mime_object_get_content_type (GMIME_OBJECT (part)));
	g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, size);
	g_autofree char *most = g_strdup_printf ("%" G_GUINT64_FORMAT, limit);
	g_autoptr (GHashTable) values =
		g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (TgRendered) note = NULL;

	g_hash_table_insert (values, (gpointer) "filename",
			     (gpointer) (name ? name : words->unnamed));
	g_hash_table_insert (values, (gpointer) "content_type", type);
	g_hash_table_insert (values, (gpointer) "size", bytes);
	g_hash_table_insert (values, (gpointer) "limit", most);
	note = tg_template_render (words->too_large, values);
	return text_body (note->body);
}

/* Replaces, in place, every attachment over @limit by a placeholder. */
static gboolean
trim_attachments (GMimeObject *obj, guint64 limit,
		  const TgComposeWords *words, GError **error)
{
	GMimeMultipart *mp;

	if (limit == 0 || !GMIME_IS_MULTIPART (obj))
		return TRUE;
	mp = GMIME_MULTIPART (obj);
	for (int i = 0; i < g_mime_multipart_get_count (mp); i++) {
		GMimeObject *child = g_mime_multipart_get_part (mp, i);
		guint64 size = 0;

		if (GMIME_IS_MULTIPART (child)) {
			if (!trim_attachments (child, limit, words, error))
				return FALSE;
			continue;
		}
		if (!GMIME_IS_PART (child) || is_inline_text (child, "plain") ||
		    is_inline_text (child, "html"))
			continue;
		if (!decoded_size (GMIME_PART (child), &size, error))
			return FALSE;
		if (size > limit) {
			g_autoptr (GMimeObject) note =
				placeholder_for (GMIME_PART (child), size, limit,
						 words);
			g_autoptr (GMimeObject) old =
				g_mime_multipart_replace (mp, i, note);
		}
	}
	return TRUE;
}

/*
 * The mail in @spool again, this time to carry its MIME parts into a new
 * mail. The parts keep their content in the spool, so a large attachment
 * is read from it while the new mail is written, not held in memory; the
 * source must therefore outlive the new mail (declare it first).
 */
static gboolean
source_message (TgMimeSource **source_out, const TgSpool *spool,
		GMimeMessage **message_out, GError **error)
{
	g_autoptr (GError) local = NULL;

	*source_out = tg_mime_source_open (spool, &local);
	if (*source_out == NULL) {
		g_set_error (error, TG_COMPOSE_ERROR,
			     TG_COMPOSE_ERROR_TEMPORARY,
			     "reading the spooled mail failed: %s",
			     local->message);
		return FALSE;
	}
	*message_out = tg_mime_source_get_message (*source_out);
	return TRUE;
}

GBytes *
tg_compose_notification (const TgMailSpec *spec, GError **error)
{
	g_autoptr (GMimeMessage) msg = g_mime_message_new (TRUE);
	g_autoptr (GMimeMultipart) mixed =
		g_mime_multipart_new_with_subtype ("mixed");
	g_autoptr (GMimeObject) head = NULL;

	g_return_val_if_fail (spec != NULL && spec->to_address != NULL, NULL);
	g_return_val_if_fail (spec->from_address != NULL, NULL);
	g_return_val_if_fail (spec->message_id != NULL, NULL);
	head = text_body (spec->body);
	set_headers (msg, spec);
	g_mime_multipart_add (mixed, head);
	g_mime_message_set_mime_part (msg, GMIME_OBJECT (mixed));
	return tg_compose_serialize (GMIME_OBJECT (msg), error);
}

/* @skeleton as a GMime message; its parts are copies, not views. */
static GMimeMessage *
parse_bytes (GBytes *skeleton)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (skeleton, &len);
	g_autoptr (GMimeStream) stream =
		g_mime_stream_mem_new_with_buffer ((const char *) data, len);
	g_autoptr (GMimeParser) parser =
		g_mime_parser_new_with_stream (stream);

	g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
	return g_mime_parser_construct_message (parser, NULL);
}

GBytes *
tg_compose_enclose_message (GBytes *skeleton, GMimeMessage *original,
			    guint64 attachment_limit,
			    const TgComposeWords *words, GError **error)
{
	g_autoptr (GMimeMessage) msg = NULL;
	GMimeObject *top = NULL;
	GMimeObject *content = NULL;

	g_return_val_if_fail (skeleton != NULL && words != NULL, NULL);
	msg = parse_bytes (skeleton);
	if (msg != NULL)
		top = g_mime_message_get_mime_part (msg);
	/* Not a skeleton of ours: sent as it is rather than not at all. */
	if (top == NULL || !GMIME_IS_MULTIPART (top))
		return g_bytes_ref (skeleton);
	if (original != NULL)
		content = g_mime_message_get_mime_part (original);
	if (content != NULL) {
		if (!trim_attachments (content, attachment_limit, words,
				       error))
			return NULL;
		g_mime_multipart_add (GMIME_MULTIPART (top), content);
	}
	return tg_compose_serialize (GMIME_OBJECT (msg), error);
}

GBytes *
tg_compose_enclose (GBytes *skeleton, const TgSpool *original,
		    guint64 attachment_limit, const TgComposeWords *words,
		    GError **error)
{
	g_autoptr (TgMimeSource) source = NULL;
	GMimeMessage *orig = NULL;

	g_return_val_if_fail (skeleton != NULL && original != NULL, NULL);
	if (!source_message (&source, original, &orig, error))
		return NULL;
	return tg_compose_enclose_message (skeleton, orig, attachment_limit,
					   words, error);
}

/* ---- relaying a staff reply ---------------------------------------- */

static gboolean
is_strip_line (const char *line, const char *const *strip)
{
	g_autofree char *s = g_strstrip (g_strdup (line));

	return *s == '\0' || g_strv_contains (strip, s);
}

/* @text without the command lines at its top (and the blank lines among
 * and after them), and without the staff-only part of a quoted mail to
 * staff. */
static char *
strip_top (const char *text, const char *const *strip)
{
	const char *p = text;

	while (*p != '\0') {
		const char *eol = strchr (p, '\n');
		g_autofree char *line =
			g_strndup (p, eol ? (gsize) (eol - p) : strlen (p));

		if (!is_strip_line (line, strip))
			break;
		p = eol ? eol + 1 : p + strlen (p);
	}
	return tg_staff_block_drop (p);
}

static void
set_text (GMimeTextPart *part, const char *text)
{
	g_mime_text_part_set_text (part, text);
	g_mime_text_part_set_charset (part, "utf-8");
	g_mime_part_set_content_encoding (
		GMIME_PART (part),
		g_mime_part_get_best_content_encoding (
			GMIME_PART (part), GMIME_ENCODING_CONSTRAINT_7BIT));
}

/* Whether the HTML, as a reader sees it, still starts with a command. */
static gboolean
html_shows_command (const char *html, const char *const *strip)
{
	g_autofree char *text = tg_html_to_text (html, -1);
	g_autofree char *rest = strip_top (text, (const char *const[]){ NULL });
	g_autofree char *first = NULL;
	const char *eol = strchr (rest, '\n');

	first = g_strstrip (g_strndup (rest, eol ? (gsize) (eol - rest)
						 : strlen (rest)));
	return first[0] == '#' && g_ascii_isalpha (first[1]);
}

/* Removes the first occurrence of each command line from @html (as
 * written, or HTML-escaped); *@clean_out FALSE when the reader would
 * still see one. */
static gboolean
strip_html (GMimeTextPart *part, const char *const *strip,
	    gboolean *clean_out, GError **error)
{
	g_autofree char *html = part_text (part, error);
	GString *out = NULL;

	if (html == NULL)
		return FALSE;
	out = g_string_new (html);

	for (int i = 0; strip[i] != NULL; i++) {
		g_autofree char *escaped = g_markup_escape_text (strip[i], -1);
		const char *hit = strstr (out->str, strip[i]);
		gsize len = strlen (strip[i]);

		if (hit == NULL && (hit = strstr (out->str, escaped)) != NULL)
			len = strlen (escaped);
		if (hit != NULL)
			g_string_erase (out, hit - out->str, len);
	}
	*clean_out = !html_shows_command (out->str, strip);
	if (*clean_out)
		set_text (part, out->str);
	g_string_free (out, TRUE);
	return TRUE;
}

/* Whether an HTML part quotes the staff-only part of our mail to staff:
 * HTML cannot be cut line by line, so such a part is not relayed. */
static gboolean
html_has_staff_block (GMimeTextPart *part, gboolean *found_out,
		      GError **error)
{
	g_autofree char *html = part_text (part, error);
	g_autofree char *text = NULL;

	if (html == NULL)
		return FALSE;
	text = tg_html_to_text (html, -1);
	*found_out = tg_staff_block_found (text) ||
		     tg_staff_block_found (html);
	return TRUE;
}

typedef struct {
	const char *const *strip;
	char *text;          /* the first plain text, cleaned */
	gboolean html_unsafe; /* an HTML part could not be cleaned */
	const TgComposeWords *words;
} Relay;

static gboolean
clean_html (GMimeTextPart *part, Relay *r, GError **error)
{
	gboolean quotes_staff = FALSE;
	gboolean clean = TRUE;

	if (!html_has_staff_block (part, &quotes_staff, error))
		return FALSE;
	if (!quotes_staff && r->strip[0] != NULL &&
	    !strip_html (part, r->strip, &clean, error))
		return FALSE;
	if (quotes_staff || !clean)
		r->html_unsafe = TRUE;
	return TRUE;
}

static gboolean
clean_parts (GMimeObject *obj, Relay *r, GError **error)
{
	if (GMIME_IS_MULTIPART (obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART (obj);

		for (int i = 0; i < g_mime_multipart_get_count (mp); i++)
			if (!clean_parts (g_mime_multipart_get_part (mp, i), r,
					  error))
				return FALSE;
		return TRUE;
	}
	if (is_inline_text (obj, "plain")) {
		g_autofree char *text =
			part_text (GMIME_TEXT_PART (obj), error);
		g_autofree char *clean = NULL;

		if (text == NULL)
			return FALSE;
		clean = strip_top (text, r->strip);
		set_text (GMIME_TEXT_PART (obj), clean);
		if (r->text == NULL)
			r->text = g_steal_pointer (&clean);
		return TRUE;
	}
	if (is_inline_text (obj, "html"))
		return clean_html (GMIME_TEXT_PART (obj), r, error);
	return TRUE;
}

/* Drops the HTML parts of @obj (a tree that has a plain text as well). */
static void
drop_html (GMimeObject *obj)
{
	GMimeMultipart *mp;

	if (!GMIME_IS_MULTIPART (obj))
		return;
	mp = GMIME_MULTIPART (obj);
	for (int i = g_mime_multipart_get_count (mp) - 1; i >= 0; i--) {
		GMimeObject *child = g_mime_multipart_get_part (mp, i);

		if (is_inline_text (child, "html"))
			g_mime_multipart_remove_at (mp, i);
		else
			drop_html (child);
	}
}

/* The first inline HTML part of @obj, or NULL. */
static GMimeObject *
first_html (GMimeObject *obj)
{
	if (is_inline_text (obj, "html"))
		return obj;
	if (!GMIME_IS_MULTIPART (obj))
		return NULL;
	for (int i = 0; i < g_mime_multipart_get_count (GMIME_MULTIPART (obj));
	     i++) {
		GMimeObject *hit = first_html (
			g_mime_multipart_get_part (GMIME_MULTIPART (obj), i));

		if (hit != NULL)
			return hit;
	}
	return NULL;
}

/* The readable text of an HTML part, without the command lines. */
static char *
html_text (GMimeObject *html, const char *const *strip, GError **error)
{
	g_autofree char *source = part_text (GMIME_TEXT_PART (html), error);
	g_autofree char *text = NULL;

	if (source == NULL)
		return NULL;
	text = tg_html_to_text (source, -1);
	return strip_top (text, strip);
}

/* Replaces, in place, each HTML part by its cleaned text (an HTML-only
 * mail whose HTML could not be cleaned). Returns the new top object. */
static GMimeObject *
html_to_plain (GMimeObject *obj, const char *const *strip, GError **error)
{
	GMimeMultipart *mp;

	if (is_inline_text (obj, "html")) {
		g_autofree char *text = html_text (obj, strip, error);

		return text != NULL ? text_body (text) : NULL;
	}
	if (GMIME_IS_MULTIPART (obj)) {
		mp = GMIME_MULTIPART (obj);
		for (int i = 0; i < g_mime_multipart_get_count (mp); i++) {
			GMimeObject *child = g_mime_multipart_get_part (mp, i);
			g_autoptr (GMimeObject) repl =
				html_to_plain (child, strip, error);

			if (repl == NULL)
				return NULL;
			if (repl != child) {
				g_autoptr (GMimeObject) old =
					g_mime_multipart_replace (mp, i, repl);
			}
		}
	}
	return g_object_ref (obj);
}

/* The content to relay: every text part without the command block; an
 * HTML part that would still show a command is dropped when there is a
 * plain alternative, else turned into plain text. */
static GMimeObject *
relay_content (GMimeMessage *orig, Relay *r, guint64 limit, GError **error)
{
	GMimeObject *content = orig ? g_mime_message_get_mime_part (orig) : NULL;
	g_autoptr (GMimeObject) result = NULL;
	GMimeObject *html;

	if (content == NULL) {
		r->text = g_strdup ("");
		return text_body ("");
	}
	if (!clean_parts (content, r, error))
		return NULL;
	if (r->html_unsafe && r->text != NULL) {
		drop_html (content);
		result = g_object_ref (content);
	} else if (r->html_unsafe) {
		result = html_to_plain (content, r->strip, error);
	} else {
		result = g_object_ref (content);
	}
	if (result == NULL)
		return NULL;
	if (r->text == NULL && (html = first_html (content)) != NULL &&
	    (r->text = html_text (html, r->strip, error)) == NULL)
		return NULL;
	if (!trim_attachments (result, limit, r->words, error))
		return NULL;
	return g_steal_pointer (&result);
}

GBytes *
tg_compose_relay_message (const TgMailSpec *spec, GMimeMessage *staff_mail,
			  const char *const *strip_lines,
			  guint64 attachment_limit,
			  const TgComposeWords *words, char **text_out,
			  GError **error)
{
	static const char *const none[] = { NULL };
	g_autoptr (GMimeMessage) msg = g_mime_message_new (TRUE);
	g_autoptr (GMimeObject) content = NULL;
	g_autofree char *text = NULL;
	GBytes *mail = NULL;
	Relay r = { strip_lines ? strip_lines : none, NULL, FALSE, words };

	g_return_val_if_fail (spec != NULL && words != NULL, NULL);
	set_headers (msg, spec);
	content = relay_content (staff_mail, &r, attachment_limit, error);
	text = g_steal_pointer (&r.text);
	if (content == NULL)
		return NULL;
	g_mime_message_set_mime_part (msg, content);
	mail = tg_compose_serialize (GMIME_OBJECT (msg), error);
	if (mail != NULL && text_out != NULL)
		*text_out = text ? g_steal_pointer (&text) : g_strdup ("");
	return mail;
}

GBytes *
tg_compose_relay (const TgMailSpec *spec, const TgSpool *staff_mail,
		  const char *const *strip_lines, guint64 attachment_limit,
		  const TgComposeWords *words, char **text_out,
		  GError **error)
{
	g_autoptr (TgMimeSource) source = NULL;
	GMimeMessage *orig = NULL;

	g_return_val_if_fail (spec != NULL && staff_mail != NULL, NULL);
	if (!source_message (&source, staff_mail, &orig, error))
		return NULL;
	return tg_compose_relay_message (spec, orig, strip_lines,
					 attachment_limit, words, text_out,
					 error);
}
