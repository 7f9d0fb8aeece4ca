/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * message-text: the text TgMessage keeps, bounded and clean: one-line
 * values (names, types, ids) as valid UTF-8 without controls or runs of
 * blanks, cut at a limit on a character boundary and the cut counted;
 * and the body, trimmed and cut at TG_MESSAGE_MAX_TEXT.
 */
#include "message-private.h"

#include <string.h>

/*
 * message_truncate_utf8: cuts valid UTF-8 @s to at most @max bytes on a
 * character boundary. Returns TRUE if it cut anything.
 */
gboolean
message_truncate_utf8 (char *s, gsize max)
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
 * message_to_valid_utf8: (transfer full): @s as UTF-8; 8-bit text that is not
 * UTF-8 goes through GMime's fallback charsets (a raw Latin-1 header).
 */
char *
message_to_valid_utf8 (const char *s)
{
	gsize len = strlen (s);
	g_autofree char *decoded = NULL;

	if (g_utf8_validate_len (s, len, NULL))
		return g_strdup (s);
	decoded = g_mime_utils_decode_8bit (
		g_mime_parser_options_get_default (), s, len);
	return g_utf8_make_valid (decoded, -1);
}

/*
 * message_replace_controls: control and line-separator characters become
 * ' '.
 */
void
message_replace_controls (char *s)
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

/* message_collapse_spaces: runs of ' ' become one; the ends are trimmed. */
void
message_collapse_spaces (char *s)
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
 * message_clean_short: (transfer full) (nullable): a one-line, valid
 * UTF-8, trimmed copy of @s cut at @max bytes (counted in @warnings,
 * nullable); NULL for NULL or blank.
 */
char *
message_clean_short (const char *s, gsize max, guint *warnings)
{
	char *out = NULL;

	if (s == NULL)
		return NULL;
	out = message_to_valid_utf8 (s);
	message_replace_controls (out);
	message_collapse_spaces (out);
	if (message_truncate_utf8 (out, max)) {
		if (warnings != NULL)
			(*warnings)++;
		g_strchomp (out);
	}
	if (*out == '\0')
		g_clear_pointer (&out, g_free);
	return out;
}

/*
 * message_clean_id: like message_clean_short, for message ids: no <>, no
 * blank.
 */
char *
message_clean_id (TgMessage *msg, const char *id)
{
	g_autofree char *clean = message_clean_short (id, MESSAGE_MAX_SHORT,
						       &msg->parse_warnings);
	char *p = NULL;

	if (clean == NULL)
		return NULL;
	p = clean;
	if (*p == '<')
		p++;
	p[strcspn (p, "> ")] = '\0';
	return *p != '\0' ? g_strdup (p) : NULL;
}

gboolean
message_is_blank_text (const char *s)
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

/*
 * message_set_body: takes @text as the body, trimmed, cut at
 * TG_MESSAGE_MAX_TEXT.
 */
void
message_set_body (TgMessage *msg, char *text, gboolean from_html)
{
	g_free (msg->body_text);
	trim_text (text);
	msg->body_text = text;
	msg->body_from_html = from_html;
	if (message_truncate_utf8 (msg->body_text, TG_MESSAGE_MAX_TEXT))
		msg->parse_warnings++;
}
