/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-staffblock: the staff-only part of mail to staff never survives a
 * staff reply's quote, in the quoting style of any common client. */
#include "tgtest.h"

#include <string.h>

#include "staffblock.h"

#define B TG_STAFF_BLOCK_BEGIN
#define E TG_STAFF_BLOCK_END

typedef struct {
	const char *label;
	const char *text;
	const char *want;
} Row;

static const Row rows[] = {
	{ "nothing to drop", "Hello Jane,\nfixed.\n", "Hello Jane,\nfixed.\n" },
	{ "the notification itself", B "\n  Plan: GOLD\n" E "\nJane's text\n",
	  "Jane's text\n" },
	/* Outlook: the original pasted unquoted under a header block. */
	{ "Outlook",
	  "Hello Jane, fixed.\n\n-----Original Message-----\n"
	  "From: Support <support@desk.example>\nSent: Friday\n"
	  "Subject: [Support #1000] Calls fail\n\n"
	  B "\nNew ticket: [Support #1000]\n  Plan:      GOLD\n"
	  "Reply to answer the customer.\n" E "\n"
	  "------------------------------------------------------------------------\n"
	  "Hello, calls fail.\n",
	  "Hello Jane, fixed.\n\n-----Original Message-----\n"
	  "From: Support <support@desk.example>\nSent: Friday\n"
	  "Subject: [Support #1000] Calls fail\n\n"
	  "------------------------------------------------------------------------\n"
	  "Hello, calls fail.\n" },
	/* Gmail: an attribution line, then "> " before each line. */
	{ "Gmail",
	  "Fixed.\n\nOn Fri, 27 Nov 2026 at 17:30, Support <support@desk.example> "
	  "wrote:\n\n> " B "\n> New ticket: [Support #1000]\n>   Plan: GOLD\n"
	  ">\n> " E "\n> Hello, calls fail.\n",
	  "Fixed.\n\nOn Fri, 27 Nov 2026 at 17:30, Support <support@desk.example> "
	  "wrote:\n\n> Hello, calls fail.\n" },
	/* Thunderbird: ">" with a space, and deeper levels as ">> ". */
	{ "Thunderbird, nested",
	  "Done.\n\nOn 27.11.26 17:30, Support wrote:\n>> " B "\n>>   Due: Monday\n"
	  ">> " E "\n>> Jane wrote this\n> and this\n",
	  "Done.\n\nOn 27.11.26 17:30, Support wrote:\n>> Jane wrote this\n"
	  "> and this\n" },
	{ "quote marks without spaces, and bars",
	  ">>>" B "\n>>> secret\n>>>" E "\n| " B "\n| secret\n| " E "\nend\n",
	  "end\n" },
	{ "HTML turned into text: no-break spaces, indentation",
	  "Ok\n\xc2\xa0\xc2\xa0" B "\xc2\xa0\n    Plan: GOLD\n  " E "  \nJane\n",
	  "Ok\nJane\n" },
	{ "CRLF", "Hi\r\n> " B "\r\n> Plan: GOLD\r\n> " E "\r\n> Jane\r\n",
	  "Hi\r\n> Jane\r\n" },
	{ "two blocks (the thread quoted twice)",
	  "A\n> " B "\n> x\n> " E "\n> B\n>> " B "\n>> y\n>> " E "\n>> C\n",
	  "A\n> B\n>> C\n" },
	{ "a begin without an end drops the rest", "Hi\n> " B "\n> Plan: GOLD\n",
	  "Hi\n" },
	{ "the marker's words inside a sentence are no marker",
	  "see \"" B "\" above\n", "see \"" B "\" above\n" },
	{ "an end without a begin is text", E "\nHi\n", E "\nHi\n" },
	{ "no final newline", "Hi\n> " B "\n> x\n> " E, "Hi\n" },
};

static void
test_drop (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const Row *r = &rows[i];
		g_autofree char *got = tg_staff_block_drop (r->text);

		if (strcmp (got, r->want) != 0)
			tg_test_fail_row ("row \"%s\": got \"%s\", want \"%s\"",
					  r->label, got, r->want);
	}
}

static void
test_wrap (void)
{
	g_autofree char *wrapped = tg_staff_block_wrap ("Plan: GOLD");
	g_autofree char *again = tg_staff_block_wrap ("Plan: GOLD\n");
	g_autofree char *dropped = tg_staff_block_drop (wrapped);

	g_assert_cmpstr (wrapped, ==, B "\nPlan: GOLD\n" E "\n");
	g_assert_cmpstr (again, ==, wrapped);
	g_assert_cmpstr (dropped, ==, "");
	g_assert_true (tg_staff_block_found (wrapped));
	g_assert_true (tg_staff_block_found ("<p>&gt; " B "</p>"));
	g_assert_false (tg_staff_block_found ("Plan: GOLD"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	g_test_add_func ("/staffblock/drop/table", test_drop);
	g_test_add_func ("/staffblock/wrap", test_wrap);
	return g_test_run ();
}
