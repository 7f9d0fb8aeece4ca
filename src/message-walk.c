/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-walk: the MIME tree of a mail, visited once in document order.
 * Every part with a file name or an attachment disposition, and every
 * part that is not text, is an attachment, counted and measured but
 * never held; the inline text parts are candidates for the body, which
 * is chosen at the end. Multiparts whose boundary is broken are parsed
 * again once; reports are read by message-dsn.c.
 */
#include "message-private.h"

#include <string.h>

#include "gmime-autocleanups.h"
#include "html.h"

/* ---- the body ---- */

static gboolean
lacks_text (const char *text)
{
	return text == NULL || message_is_blank_text (text);
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
	return message_bytes_to_text (bytes, NULL);
}

/*
 * message_fill_body: the first inline text/plain, unless it is blank and
 * there is HTML (some clients send an empty plain alternative); else the
 * first inline text/html, made readable; else, as a last resort, a
 * text/plain with a file name that is not marked "attachment" (some
 * bounce generators name every part), or the text a multipart carries
 * before its first part (what a reader without MIME would see).
 */
void
message_fill_body (Walk *w)
{
	g_autofree char *text = NULL;

	if (w->plain != NULL)
		text = message_part_text (w->msg, w->plain,
					  MESSAGE_PLAIN_RAW_MAX);
	if (lacks_text (text) && w->html != NULL) {
		g_autofree char *html = message_part_text (
			w->msg, w->html, MESSAGE_HTML_RAW_MAX);

		message_set_body (w->msg, tg_html_to_text (html, -1), TRUE);
		return;
	}
	if (lacks_text (text) && w->named_plain != NULL) {
		g_free (text);
		text = message_part_text (w->msg, w->named_plain,
					  MESSAGE_PLAIN_RAW_MAX);
	}
	if (lacks_text (text) && w->prologue != NULL) {
		g_free (text);
		text = prologue_text (w->msg, w->prologue);
	}
	if (text != NULL)
		message_set_body (w->msg, g_steal_pointer (&text), FALSE);
}

gboolean
message_is_type (GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type (obj);

	return ct != NULL && g_mime_content_type_is_type (ct, type, subtype);
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
	return message_clean_short (name, MESSAGE_MAX_SHORT,
				    &msg->parse_warnings);
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
	clean = message_clean_short (mime_type, MESSAGE_MAX_SHORT,
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

	if (!attached && GMIME_IS_PART (obj) &&
	    message_is_type (obj, "text", "*")) {
		if (message_is_type (obj, "text", "plain") && w->plain == NULL)
			w->plain = GMIME_PART (obj);
		else if (message_is_type (obj, "text", "html") &&
			 w->html == NULL)
			w->html = GMIME_PART (obj);
		return;
	}
	if (w->named_plain == NULL && GMIME_IS_PART (obj) &&
	    message_is_type (obj, "text", "plain") &&
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

		message_walk (w, g_mime_multipart_get_part (multipart, i),
			      depth + 1, child_path);
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

	if (prologue == NULL || message_is_blank_text (prologue))
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

/* message_walk: visits the tree below @obj in document order. */
void
message_walk (Walk *w, GMimeObject *obj, guint depth, const char *part_path)
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

		if (prologue != NULL && !message_is_blank_text (prologue))
			w->prologue = prologue;
	}
	message_note_report (w, obj, recovered != NULL ? recovered : multipart);
}
