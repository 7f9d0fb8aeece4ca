/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-priority: the priority a sender asked for, from X-Priority,
 * Importance and Priority, and the names of the priorities.
 */
#include "priority.h"

#include "tgtest.h"

typedef struct {
	const char *label;
	const char *x_priority;
	const char *importance;
	const char *priority;
	TgPriority want;
} HeaderRow;

static const HeaderRow header_rows[] = {
	{"none", NULL, NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-1", "1", NULL, NULL, TG_PRIORITY_HIGH},
	{"x-1-highest", "1 (Highest)", NULL, NULL, TG_PRIORITY_HIGH},
	{"x-2-comment", "2 (High)", NULL, NULL, TG_PRIORITY_HIGH},
	{"x-3", "3 (Normal)", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-4", "4", NULL, NULL, TG_PRIORITY_LOW},
	{"x-5", "5 (Lowest)", NULL, NULL, TG_PRIORITY_LOW},
	{"x-blanks", " \t1  ", NULL, NULL, TG_PRIORITY_HIGH},
	{"x-0", "0", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-6", "6", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-10", "10", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-word", "High", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"x-empty", "", NULL, NULL, TG_PRIORITY_MEDIUM},
	{"importance-high", NULL, "high", NULL, TG_PRIORITY_HIGH},
	{"importance-upper", NULL, "HIGH", NULL, TG_PRIORITY_HIGH},
	{"importance-blanks", NULL, "  Low ", NULL, TG_PRIORITY_LOW},
	{"importance-normal", NULL, "normal", NULL, TG_PRIORITY_MEDIUM},
	{"importance-comment", NULL, "high (set by user)", NULL,
	 TG_PRIORITY_HIGH},
	{"importance-urgent", NULL, "urgent", NULL, TG_PRIORITY_MEDIUM},
	{"importance-prefix", NULL, "higher", NULL, TG_PRIORITY_MEDIUM},
	{"priority-urgent", NULL, NULL, "urgent", TG_PRIORITY_HIGH},
	{"priority-non-urgent", NULL, NULL, "Non-Urgent", TG_PRIORITY_LOW},
	{"priority-normal", NULL, NULL, "normal", TG_PRIORITY_MEDIUM},
	{"priority-high", NULL, NULL, "high", TG_PRIORITY_MEDIUM},
	{"x-before-importance", "5", "high", NULL, TG_PRIORITY_LOW},
	{"junk-x-then-importance", "junk", "high", NULL, TG_PRIORITY_HIGH},
	{"importance-before-priority", NULL, "low", "urgent", TG_PRIORITY_LOW},
	{"junk-then-priority", NULL, "bogus", "urgent", TG_PRIORITY_HIGH},
	{"x-normal-decides", "3", "high", "urgent", TG_PRIORITY_MEDIUM},
};

static void
test_from_headers (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (header_rows); i++) {
		const HeaderRow *row = &header_rows[i];
		TgPriority got = tg_priority_from_headers (
			row->x_priority, row->importance, row->priority);

		if (got != row->want) {
			g_test_message ("%s: got %s, want %s", row->label,
					tg_priority_to_string (got),
					tg_priority_to_string (row->want));
			g_test_fail ();
		}
	}
}

typedef struct {
	const char *text;
	gboolean want_ok;
	TgPriority want;
} ParseRow;

static const ParseRow parse_rows[] = {
	{"high", TRUE, TG_PRIORITY_HIGH},
	{"HIGH", TRUE, TG_PRIORITY_HIGH},
	{" Medium ", TRUE, TG_PRIORITY_MEDIUM},
	{"low", TRUE, TG_PRIORITY_LOW},
	{"lowest", FALSE, TG_PRIORITY_MEDIUM},
	{"hi", FALSE, TG_PRIORITY_MEDIUM},
	{"high!", FALSE, TG_PRIORITY_MEDIUM},
	{"high low", FALSE, TG_PRIORITY_MEDIUM},
	{"normal", FALSE, TG_PRIORITY_MEDIUM},
	{"", FALSE, TG_PRIORITY_MEDIUM},
};

static void
test_parse (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (parse_rows); i++) {
		const ParseRow *row = &parse_rows[i];
		/* An out-of-range marker shows whether the output was set. */
		TgPriority got = (TgPriority)0;
		gboolean ok = tg_priority_parse (row->text, &got);

		if (ok != row->want_ok) {
			g_test_message ("\"%s\": got %s, want %s", row->text,
					ok ? "TRUE" : "FALSE",
					row->want_ok ? "TRUE" : "FALSE");
			g_test_fail ();
		} else if (ok && got != row->want) {
			g_test_message ("\"%s\": got %d, want %d", row->text,
					got, row->want);
			g_test_fail ();
		} else if (!ok && got != (TgPriority)0) {
			g_test_message ("\"%s\": output changed on failure",
					row->text);
			g_test_fail ();
		}
	}
}

static void
test_names (void)
{
	static const struct {
		TgPriority priority;
		const char *want;
	} rows[] = {
		{TG_PRIORITY_HIGH, "High"},
		{TG_PRIORITY_MEDIUM, "Medium"},
		{TG_PRIORITY_LOW, "Low"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		TgPriority back = TG_PRIORITY_MEDIUM;

		g_assert_cmpstr (tg_priority_to_string (rows[i].priority), ==,
				 rows[i].want);
		/* Every name reads back as its priority. */
		g_assert_true (tg_priority_parse (rows[i].want, &back));
		g_assert_cmpint (back, ==, rows[i].priority);
	}
	/* The order of work: lower is worked first. */
	g_assert_cmpint (TG_PRIORITY_HIGH, <, TG_PRIORITY_MEDIUM);
	g_assert_cmpint (TG_PRIORITY_MEDIUM, <, TG_PRIORITY_LOW);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/priority/headers/table", test_from_headers);
	g_test_add_func ("/priority/parse/table", test_parse);
	g_test_add_func ("/priority/names/round-trip", test_names);
	return g_test_run ();
}
