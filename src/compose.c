/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compose: outgoing mail with GMime. Header values from customers (the
 * subject, names) go through GMime's encoders, never into a header by
 * printf; only Message-IDs are written as given, after a check that they
 * are plain.
 */
#include "compose.h"

#include <string.h>

#include "gmime-autocleanups.h"

#define OWN_ID_PREFIX "ticketgate."

const char *const tg_compose_reserved_headers[] = {
	"From", "To", "Cc", "Bcc", "Sender", "Message-ID", "In-Reply-To",
	"References", "Date", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Auto-Submitted", "X-Ticketgate-Loop",
	"X-Ticketgate-Ticket", "Subject", NULL,
};

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

static GMimeObject *
text_body (const char *body)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype ("plain");

	g_mime_text_part_set_text (part, body != NULL ? body : "");
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
					    spec->from_name, spec->reply_to);
}

static void
set_threading (GMimeMessage *msg, const TgMailSpec *spec)
{
	GMimeObject *obj = GMIME_OBJECT (msg);
	g_autofree char *refs =
		format_references (spec->references, spec->in_reply_to);
	g_autofree char *irt = NULL;

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
	if (spec->loop_value != NULL)
		g_mime_object_set_header (obj, "X-Ticketgate-Loop",
					  spec->loop_value, NULL);
	if (spec->ticket_number > 0) {
		g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT,
						      spec->ticket_number);
		g_mime_object_set_header (obj, "X-Ticketgate-Ticket", n, NULL);
	}
}

static void
set_extra_headers (GMimeMessage *msg, const TgMailSpec *spec)
{
	if (spec->header_names == NULL)
		return;
	for (guint i = 0; i < spec->header_names->len; i++) {
		const char *name = spec->header_names->pdata[i];

		if (g_strv_contains (tg_compose_reserved_headers, name))
			continue;
		g_mime_object_set_header (GMIME_OBJECT (msg), name,
					  spec->header_values->pdata[i],
					  "utf-8");
	}
}

static GBytes *
serialize (GMimeMessage *msg)
{
	GByteArray *bytes = g_byte_array_new ();
	g_autoptr (GMimeStream) stream =
		g_mime_stream_mem_new_with_byte_array (bytes);
	g_autoptr (GMimeFormatOptions) options = g_mime_format_options_new ();

	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
	g_mime_format_options_set_newline_format (options,
						  GMIME_NEWLINE_FORMAT_UNIX);
	g_mime_object_write_to_stream (GMIME_OBJECT (msg), options, stream);
	g_mime_stream_flush (stream);
	return g_byte_array_free_to_bytes (bytes);
}

GBytes *
tg_compose_text_mail (const TgMailSpec *spec)
{
	g_autoptr (GMimeMessage) msg = g_mime_message_new (TRUE);
	g_autoptr (GMimeObject) body = NULL;
	g_autoptr (GDateTime) now = NULL;

	g_return_val_if_fail (spec != NULL && spec->to_address != NULL, NULL);
	g_return_val_if_fail (spec->from_address != NULL, NULL);
	g_return_val_if_fail (spec->message_id != NULL, NULL);
	set_addresses (msg, spec);
	if (spec->date == NULL)
		now = g_date_time_new_now_local ();
	g_mime_message_set_date (msg, spec->date != NULL ? spec->date : now);
	g_mime_message_set_subject (msg, spec->subject ? spec->subject : "",
				    "utf-8");
	set_threading (msg, spec);
	set_robot_headers (msg, spec);
	set_extra_headers (msg, spec);
	body = text_body (spec->body);
	g_mime_message_set_mime_part (msg, body);
	return serialize (msg);
}
