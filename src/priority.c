/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * priority: maps the priority headers a sender's mail client wrote
 * (X-Priority, Importance, Priority) to a ticket priority.
 * Pure: no GMime, no database; it never decides anything but the enum.
 */
#include "priority.h"

#include <string.h>

typedef struct {
	const char *word;
	TgPriority priority;
} PriorityWord;

/* RFC 2156 section 5.3.4 (Importance) and 5.3.6 (Priority). */
static const PriorityWord importance_words[] = {
	{"high", TG_PRIORITY_HIGH},
	{"normal", TG_PRIORITY_MEDIUM},
	{"low", TG_PRIORITY_LOW},
};

static const PriorityWord priority_words[] = {
	{"urgent", TG_PRIORITY_HIGH},
	{"normal", TG_PRIORITY_MEDIUM},
	{"non-urgent", TG_PRIORITY_LOW},
};

static const PriorityWord name_words[] = {
	{"high", TG_PRIORITY_HIGH},
	{"medium", TG_PRIORITY_MEDIUM},
	{"low", TG_PRIORITY_LOW},
};

/*
 * first_word: the first run of letters and '-' in @value after leading
 * blank space, as a pointer and a length; trailing comments such as
 * "high (by user)" are ignored.
 */
static const char *
first_word (const char *value, gsize *len_out)
{
	const char *p = value;
	const char *start;

	while (g_ascii_isspace (*p))
		p++;
	start = p;
	while (g_ascii_isalpha (*p) || *p == '-')
		p++;
	*len_out = (gsize)(p - start);
	return start;
}

static gboolean
match_word (const char *value, const PriorityWord *table, gsize n_table,
	    TgPriority *priority_out)
{
	gsize len = 0;
	const char *word = NULL;

	if (value == NULL)
		return FALSE;
	word = first_word (value, &len);
	for (gsize i = 0; i < n_table; i++) {
		if (strlen (table[i].word) == len &&
		    g_ascii_strncasecmp (word, table[i].word, len) == 0) {
			*priority_out = table[i].priority;
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * match_x_priority: "1".."5", possibly followed by a comment such as
 * "2 (High)". Outlook and Thunderbird write 1, 3 and 5; 2 and 4 are the
 * "high" and "low" of older clients.
 */
static gboolean
match_x_priority (const char *value, TgPriority *priority_out)
{
	const char *p = value;

	if (value == NULL)
		return FALSE;
	while (g_ascii_isspace (*p))
		p++;
	if (*p < '1' || *p > '5' || g_ascii_isdigit (p[1]))
		return FALSE;
	switch (*p) {
	case '1':
	case '2':
		*priority_out = TG_PRIORITY_HIGH;
		break;
	case '3':
		*priority_out = TG_PRIORITY_MEDIUM;
		break;
	default:
		*priority_out = TG_PRIORITY_LOW;
		break;
	}
	return TRUE;
}

TgPriority
tg_priority_from_headers (const char *x_priority, const char *importance,
			  const char *priority)
{
	TgPriority result = TG_PRIORITY_MEDIUM;

	if (match_x_priority (x_priority, &result))
		return result;
	if (match_word (importance, importance_words,
			G_N_ELEMENTS (importance_words), &result))
		return result;
	if (match_word (priority, priority_words, G_N_ELEMENTS (priority_words),
			&result))
		return result;
	return TG_PRIORITY_MEDIUM;
}

const char *
tg_priority_to_string (TgPriority priority)
{
	switch (priority) {
	case TG_PRIORITY_HIGH:
		return "High";
	case TG_PRIORITY_MEDIUM:
		return "Medium";
	case TG_PRIORITY_LOW:
		return "Low";
	}
	g_return_val_if_reached ("Medium");
}

gboolean
tg_priority_parse (const char *text, TgPriority *priority_out)
{
	TgPriority result = TG_PRIORITY_MEDIUM;
	gsize len = 0;
	const char *word = NULL;

	g_return_val_if_fail (text != NULL, FALSE);
	g_return_val_if_fail (priority_out != NULL, FALSE);

	word = first_word (text, &len);
	/* The whole text must be the word, apart from blank space. */
	for (const char *p = word + len; *p != '\0'; p++)
		if (!g_ascii_isspace (*p))
			return FALSE;
	if (!match_word (text, name_words, G_N_ELEMENTS (name_words), &result))
		return FALSE;
	*priority_out = result;
	return TRUE;
}
