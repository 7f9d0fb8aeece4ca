/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * thread: subject tags, reply prefixes and threading order. Pure GLib; it
 * never looks anything up.
 */
#include "thread.h"

#include <string.h>

char *
tg_thread_format_tag (const char *tag, gint64 number)
{
	g_return_val_if_fail (tag != NULL, NULL);
	return g_strdup_printf ("[%s #%" G_GINT64_FORMAT "]", tag, number);
}

static const char *
skip_blanks (const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Matches "[ tag # digits ]" at @p; sets the number and the end. */
static gboolean
match_tag_at (const char *p, const char *tag, gint64 *number_out,
	      const char **end_out)
{
	gsize tag_len = strlen (tag);
	gint64 number = 0;
	int digits = 0;

	if (*p != '[')
		return FALSE;
	p = skip_blanks (p + 1);
	if (g_ascii_strncasecmp (p, tag, tag_len) != 0)
		return FALSE;
	p = skip_blanks (p + tag_len);
	if (*p != '#')
		return FALSE;
	p = skip_blanks (p + 1);
	for (; g_ascii_isdigit (*p) && digits < 19; p++, digits++)
		number = number * 10 + (*p - '0');
	if (digits == 0 || digits > 18)
		return FALSE;
	p = skip_blanks (p);
	if (*p != ']')
		return FALSE;
	*number_out = number;
	if (end_out != NULL)
		*end_out = p + 1;
	return TRUE;
}

gboolean
tg_thread_find_tag (const char *subject, const char *tag, gint64 *number_out)
{
	g_return_val_if_fail (tag != NULL && number_out != NULL, FALSE);
	if (subject == NULL || *tag == '\0')
		return FALSE;
	for (const char *p = strchr (subject, '['); p != NULL;
	     p = strchr (p + 1, '['))
		if (match_tag_at (p, tag, number_out, NULL))
			return TRUE;
	return FALSE;
}

char *
tg_thread_add_tag (const char *subject, const char *tag, gint64 number)
{
	gint64 found = 0;

	g_return_val_if_fail (tag != NULL, NULL);
	if (subject == NULL)
		subject = "";
	if (tg_thread_find_tag (subject, tag, &found) && found == number)
		return g_strdup (subject);
	return g_strdup_printf ("[%s #%" G_GINT64_FORMAT "]%s%s", tag, number,
				*subject ? " " : "", subject);
}

/* Reply and forward prefixes, compared case-insensitively, each followed
 * by an optional "[n]" or "(n)" count and a colon. */
static const char *const prefixes[] = {
	"re", "aw", "sv", "vs", "fw", "fwd", "wg", "antw", "odp", "r", "tr",
	"rif", "ref", "réf", "ynt", "atb", "vá", "enc", "res", "doorst",
	"antwort", "fs", "vb", "rv", "continuación", NULL,
};

/* Length of a prefix at @p ("Re:", "AW[2]:", "Fwd :"), 0 if none. */
static gsize
prefix_length (const char *p)
{
	for (int i = 0; prefixes[i] != NULL; i++) {
		gsize n = strlen (prefixes[i]);
		const char *q;

		if (g_ascii_strncasecmp (p, prefixes[i], n) != 0)
			continue;
		q = p + n;
		if (*q == '[' || *q == '(') {
			char close = *q == '[' ? ']' : ')';

			for (q++; g_ascii_isdigit (*q); q++)
				;
			if (*q++ != close)
				continue;
		}
		q = skip_blanks (q);
		if (*q == ':' || (*q == '\xef' && strncmp (q, "\xef\xbc\x9a", 3) == 0))
			return (q - p) + (*q == ':' ? 1 : 3);
	}
	return 0;
}

char *
tg_thread_clean_subject (const char *subject, const char *tag)
{
	const char *p = subject != NULL ? subject : "";
	gboolean changed = TRUE;

	while (changed) {
		gint64 number;
		const char *end = NULL;
		gsize n;

		changed = FALSE;
		p = skip_blanks (p);
		if ((n = prefix_length (p)) > 0) {
			p += n;
			changed = TRUE;
		} else if (tag != NULL && *tag != '\0' &&
			   match_tag_at (p, tag, &number, &end)) {
			p = end;
			changed = TRUE;
		}
	}
	return g_strchomp (g_strdup (p));
}

GPtrArray *
tg_thread_candidate_ids (const char *in_reply_to,
			 const GPtrArray *references,
			 guint max)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
	guint n = references != NULL ? references->len : 0;
	guint first = n > max ? n - max : 0;

	if (in_reply_to != NULL && *in_reply_to != '\0')
		g_hash_table_add (seen, (gpointer) in_reply_to);
	/* Backwards, so that an id listed twice keeps its later (more
	 * important) place; then put the order right. */
	for (guint i = n; i-- > first;) {
		const char *id = references->pdata[i];

		if (id != NULL && *id != '\0' &&
		    g_hash_table_add (seen, (gpointer) id))
			g_ptr_array_add (ids, g_strdup (id));
	}
	for (guint i = 0; i < ids->len / 2; i++) {
		gpointer tmp = ids->pdata[i];

		ids->pdata[i] = ids->pdata[ids->len - 1 - i];
		ids->pdata[ids->len - 1 - i] = tmp;
	}
	if (in_reply_to != NULL && *in_reply_to != '\0')
		g_ptr_array_add (ids, g_strdup (in_reply_to));
	return ids;
}
