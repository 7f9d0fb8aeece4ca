/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * staffblock: marks the staff-only part of mail to staff and removes it
 * from a staff reply that quotes it, whatever the quoting style. Pure
 * text in, text out; it knows nothing of MIME.
 */

#include "staffblock.h"

#include <string.h>

#include <glib.h>

#define NBSP "\xc2\xa0"

/* The line @line..@end with its quote prefix and trailing blanks gone,
 * compared with @marker. */
static gboolean
is_marker (const char *line, const char *end, const char *marker)
{
	gsize len = strlen (marker);

	for (;;) {
		if (line < end && strchr (" \t>|", *line) != NULL)
			line++;
		else if (end - line >= 2 && memcmp (line, NBSP, 2) == 0)
			line += 2;
		else
			break;
	}
	while (end > line && strchr (" \t\r", end[-1]) != NULL)
		end--;
	while (end - line >= 2 && memcmp (end - 2, NBSP, 2) == 0)
		end -= 2;
	return (gsize) (end - line) == len &&
	       g_ascii_strncasecmp (line, marker, len) == 0;
}

char *
tg_staff_block_wrap (const char *body)
{
	gsize n;

	g_return_val_if_fail (body != NULL, NULL);
	n = strlen (body);
	return g_strconcat (TG_STAFF_BLOCK_BEGIN "\n", body,
			    n > 0 && body[n - 1] != '\n' ? "\n" : "",
			    TG_STAFF_BLOCK_END "\n", NULL);
}

char *
tg_staff_block_drop (const char *text)
{
	GString *out;
	const char *p;
	gboolean inside = FALSE;

	g_return_val_if_fail (text != NULL, NULL);
	out = g_string_sized_new (strlen (text));
	for (p = text; *p != '\0';) {
		const char *eol = strchr (p, '\n');
		const char *end = eol != NULL ? eol : p + strlen (p);
		const char *next = eol != NULL ? eol + 1 : end;

		if (!inside && is_marker (p, end, TG_STAFF_BLOCK_BEGIN))
			inside = TRUE;
		else if (inside && is_marker (p, end, TG_STAFF_BLOCK_END))
			inside = FALSE;
		else if (!inside)
			g_string_append_len (out, p, next - p);
		p = next;
	}
	return g_string_free (out, FALSE);
}

gboolean
tg_staff_block_found (const char *text)
{
	g_return_val_if_fail (text != NULL, FALSE);
	return strstr (text, TG_STAFF_BLOCK_BEGIN) != NULL;
}
