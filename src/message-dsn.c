/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-dsn: what a report says (RFC 6522): whether it is a read
 * receipt (an MDN), and of a delivery status notification (RFC 3464) the
 * action and status that matter most, the recipients that failed and
 * the Message-ID of the mail that was returned. Reads the parts the walk
 * found; decides nothing (classify does).
 */
#include "message-private.h"

#include <string.h>

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
		dsn->action = message_clean_short (f->action, MESSAGE_MAX_SHORT,
						   &msg->parse_warnings);
		dsn->status = message_clean_short (f->status, MESSAGE_MAX_SHORT,
						   &msg->parse_warnings);
	}
	if (failed && f->final_recipient != NULL) {
		if (dsn->final_recipients->len < TG_MESSAGE_MAX_ADDRESSES) {
			char *addr = message_clean_short (f->final_recipient,
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
		if (message_is_blank_text (line)) {
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
		return message_clean_id (
			msg, g_mime_message_get_message_id (inner));
	}
	if (!GMIME_IS_PART (part) ||
	    !(message_is_type (part, "text", "rfc822-headers") ||
	      message_is_type (part, "message", "global-headers")))
		return NULL;
	text = message_part_text (msg, GMIME_PART (part),
				  MESSAGE_REPORT_RAW_MAX);
	value = header_in_text (text, "Message-ID");
	if (value == NULL)
		return NULL;
	id = g_mime_utils_decode_message_id (value);
	return message_clean_id (msg, id);
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
		    (message_is_type (part, "message", "delivery-status") ||
		     message_is_type (part, "message",
				      "global-delivery-status"))) {
			g_autofree char *text = message_part_text (
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
 * message_note_report: multipart/report tells a DSN or an MDN (RFC 6522);
 * the report parts are read from @parts (@obj itself, or its recovery).
 */
void
message_note_report (Walk *w, GMimeObject *obj, GMimeMultipart *parts)
{
	const char *type = NULL;

	if (!message_is_type (obj, "multipart", "report"))
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
