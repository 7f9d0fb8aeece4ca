/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-command: the command block at the top of staff replies. */
#include "tgtest.h"

#include <string.h>

#include "command.h"

typedef struct {
	const char *label;
	const char *text;
	gboolean ok;
	const char *status;
	int priority; /* 0: none */
	const char *assign;
	gboolean internal;
	guint n_lines;
	const char *rest; /* the text left for the customer */
	TgCommandError code; /* refused: why ... */
	const char *bad_line;  /* ... and which line */
} Row;

static const Row rows[] = {
	{ "no commands", "Hello,\nwe fixed it.\n", TRUE, NULL, 0, NULL, FALSE,
	  0, "Hello,\nwe fixed it.\n", 0, NULL },
	{ "status", "#status resolved\nHello,\n", TRUE, "resolved", 0, NULL,
	  FALSE, 1, "Hello,\n", 0, NULL },
	{ "leading blank lines, CRLF", "\r\n\r\n#status pending\r\n\r\nHi\r\n",
	  TRUE, "pending", 0, NULL, FALSE, 1, "Hi\r\n", 0, NULL },
	{ "all four", "#status closed\n#priority HIGH\n#assign Bob@Desk.example\n"
		      "#internal\nnote\n",
	  TRUE, "closed", TG_PRIORITY_HIGH, "bob@desk.example", TRUE, 4,
	  "note\n", 0, NULL },
	{ "blank line inside the block", "#priority low\n\n#status open\n\nx",
	  TRUE, "open", TG_PRIORITY_LOW, NULL, FALSE, 2, "x", 0, NULL },
	{ "later # is text", "Hi\n#status closed\n", TRUE, NULL, 0, NULL, FALSE,
	  0, "Hi\n#status closed\n", 0, NULL },
	{ "heading with a space is text", "# Summary\n#status x\n", TRUE, NULL,
	  0, NULL, FALSE, 0, "# Summary\n#status x\n", 0, NULL },
	{ "number is text", "#1 thing\n", TRUE, NULL, 0, NULL, FALSE, 0,
	  "#1 thing\n", 0, NULL },
	{ "only commands", "#status resolved\n", TRUE, "resolved", 0, NULL,
	  FALSE, 1, "", 0, NULL },
	{ "unknown command", "#frobnicate\nHi\n", FALSE, NULL, 0, NULL, FALSE, 0,
	  NULL, TG_COMMAND_ERROR_INVALID, "#frobnicate" },
	{ "bad status", "#status done\nHi\n", FALSE, NULL, 0, NULL, FALSE, 0,
	  NULL, TG_COMMAND_ERROR_STATUS, "#status done" },
	{ "bad priority", "#priority urgent\n", FALSE, NULL, 0, NULL, FALSE, 0,
	  NULL, TG_COMMAND_ERROR_PRIORITY, "#priority urgent" },
	{ "assign without address", "#assign bob\n", FALSE, NULL, 0, NULL,
	  FALSE, 0, NULL, TG_COMMAND_ERROR_ADDRESS, "#assign bob" },
	{ "status without value", "#status\n", FALSE, NULL, 0, NULL, FALSE, 0,
	  NULL, TG_COMMAND_ERROR_INVALID, "#status" },
	{ "extra words", "#internal please\n", FALSE, NULL, 0, NULL, FALSE, 0,
	  NULL, TG_COMMAND_ERROR_INVALID, "#internal please" },
	{ "one bad line spoils the block",
	  "#status resolved\n \t#prio high  \r\nHi", FALSE, NULL, 0, NULL,
	  FALSE, 0, NULL, TG_COMMAND_ERROR_INVALID, "#prio high" },
	{ "code at the top is refused", "#include <stdio.h>\n", FALSE, NULL, 0,
	  NULL, FALSE, 0, NULL, TG_COMMAND_ERROR_INVALID,
	  "#include <stdio.h>" },
};

static void
test_rows (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		const Row *r = &rows[i];
		g_autoptr (GError) error = NULL;
		g_autoptr (TgCommands) c = tg_commands_parse (r->text, &error);

		g_autofree char *bad = tg_commands_bad_line (r->text);

		g_test_message ("row \"%s\"", r->label);
		g_assert_cmpstr (bad, ==, r->bad_line);
		if (!r->ok) {
			g_assert_null (c);
			g_assert_error (error, TG_COMMAND_ERROR, (int) r->code);
			g_assert_nonnull (strchr (error->message, '#'));
			continue;
		}
		g_assert_no_error (error);
		g_assert_cmpint (c->has_status, ==, r->status != NULL);
		if (r->status != NULL)
			g_assert_cmpstr (tg_status_name (c->status), ==,
					 r->status);
		g_assert_cmpint (c->has_priority ? (int) c->priority : 0, ==,
				 r->priority);
		g_assert_cmpstr (c->assign, ==, r->assign);
		g_assert_cmpint (c->internal, ==, r->internal);
		g_assert_cmpuint (c->lines->len, ==, r->n_lines);
		g_assert_cmpint (tg_commands_is_empty (c), ==, r->n_lines == 0);
		g_assert_cmpstr (c->text, ==, r->rest);
	}
}

static void
test_error_names_line (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgCommands) c =
		tg_commands_parse ("#status resolved\n#stauts open\n", &error);

	g_assert_null (c);
	g_assert_nonnull (strstr (error->message, "\"#stauts open\""));
	g_assert_nonnull (strstr (error->message, "#status"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	g_test_add_func ("/command/parse/table", test_rows);
	g_test_add_func ("/command/parse/error-names-line", test_error_names_line);
	return g_test_run ();
}
