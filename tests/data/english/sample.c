/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sample.c: what tests/lib/english.py reports and what it ignores, for
 * tests/cli/0220-no-english.t. Each literal says which: those with the
 * word FOUND in them must be reported, each on its first line, and no
 * other. "This comment, with its words, is ignored."
 */
#include "english sentences in an include are ignored.h"

#define NOTE "FOUND: a sentence in a macro counts"
#define TAG "[%s #%" G_GINT64_FORMAT "]"

static const GOptionEntry entries[] = {
	{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
	  "Help text of an option is ignored", "N" },
	G_OPTION_ENTRY_NULL
};

static const char *const keywords[] = { "open", "pending", "utf-8", NULL };

static char *
answer (const char *who)
{
	char c = 'x';

	g_warning ("a log line is ignored: %s", who);
	g_set_error (error, TG_X_ERROR, TG_X_ERROR_FAILED,
		     "an error message is ignored, %s", g_strdup_printf (
			     "and so is anything inside its call"));
	fail (EX_TEMPFAIL, "4.3.0", "the line for Postfix is ignored");
	printf ("terminal output is ignored\n");
	tg_json_string (j, "json keys", "are ignored");
	text = g_strdup_printf ("Content-Type: text/plain; charset=%s", cs);
	html = g_strdup ("<rect class=\"in time\" fill=\"%s\"/>");
	css = "th,td{border:1px solid #bbb;text-align:left}";
	one = g_strdup ("none");
	tokens = g_strdup ("%s: %s <%s> {{name}} text/plain a");
	marked = g_strdup ("an admin reads this line"); /* english: a test */
	/* english: the line below is marked too */
	below = g_strdup ("marked from the line above");
	found = g_strdup ("FOUND: we cannot promise a reaction time");
	found = g_strdup_printf ("FOUND: %s per hour of work", rate);
	found = g_strdup_printf ("Warning: %s" " FOUND joined across "
				 "literals %" G_GINT64_FORMAT " and a macro",
				 n);
	found = g_strdup ("FOUND\n"
			  "on the line it starts");
	html = g_strdup ("<p>FOUND: the words between tags</p>");
	return g_strdup_printf ("FOUND %d working hour%s", n,
				n == 1 ? "" : "s");
}

static char *
tg_sample_library_version (void)
{
	return g_strdup ("version text is ignored");
}
