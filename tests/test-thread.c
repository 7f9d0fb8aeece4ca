/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-thread: the subject tag, reply prefixes and the order of
 * Message-IDs tried for threading. Pure functions, so
 * every row is exact.
 */
#include "thread.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

/* ---------------------------------------------------------------------- */
/* Tags                                                                    */

typedef struct {
	const char *label;
	const char *tag;
	gint64 number;
	const char *want;
} FormatRow;

static const FormatRow format_rows[] = {
	{"small", "Support", 1, "[Support #1]"},
	{"typical", "Support", 1234, "[Support #1234]"},
	{"eighteen-digits", "HD", G_GINT64_CONSTANT (999999999999999999),
	 "[HD #999999999999999999]"},
	{"dotted-tag", "Help-Desk_2.0", 7, "[Help-Desk_2.0 #7]"},
};

static void
test_format_tag (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (format_rows); i++) {
		const FormatRow *row = &format_rows[i];
		g_autofree char *got =
			tg_thread_format_tag (row->tag, row->number);

		if (strcmp (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got, row->want);
	}
}

typedef struct {
	const char *label;
	const char *subject;
	const char *tag;
	gboolean found;
	gint64 want;
} FindRow;

static const FindRow find_rows[] = {
	{"plain", "[Support #1234] Printer", "Support", TRUE, 1234},
	{"after-prefix", "Re: [Support #12] x", "Support", TRUE, 12},
	{"at-end", "Printer broken [Support #5]", "Support", TRUE, 5},
	{"whole-subject", "[Support #5]", "Support", TRUE, 5},
	{"lower-case-tag", "[support #7]", "Support", TRUE, 7},
	{"upper-case-tag", "[SUPPORT #7]", "Support", TRUE, 7},
	{"config-tag-lower", "[Support #7]", "support", TRUE, 7},
	{"no-blank", "[Support#8]", "Support", TRUE, 8},
	{"blanks-everywhere", "[ Support # 9 ]", "Support", TRUE, 9},
	{"tabs", "[\tSupport\t#\t10\t]", "Support", TRUE, 10},
	{"two-blanks", "[Support  #11]", "Support", TRUE, 11},
	{"leading-zeros", "[Support #0042]", "Support", TRUE, 42},
	{"first-of-several", "[Support #1] [Support #2]", "Support", TRUE, 1},
	{"first-ours-after-other", "[Other #12] [Support #3]", "Support", TRUE,
	 3},
	{"bracket-before-tag", "[[Support #4]]", "Support", TRUE, 4},
	{"broken-then-good", "[Support #] [Support #6]", "Support", TRUE, 6},
	{"eighteen-digits", "[Support #123456789012345678]", "Support", TRUE,
	 G_GINT64_CONSTANT (123456789012345678)},
	{"eighteen-nines", "[Support #999999999999999999]", "Support", TRUE,
	 G_GINT64_CONSTANT (999999999999999999)},
	{"nineteen-digits", "[Support #1234567890123456789]", "Support", FALSE,
	 0},
	{"twenty-digits", "[Support #12345678901234567890]", "Support", FALSE,
	 0},
	{"other-tag", "[Other #12]", "Support", FALSE, 0},
	{"longer-tag", "[Supporter #12]", "Support", FALSE, 0},
	{"shorter-tag", "[Suppor #12]", "Support", FALSE, 0},
	{"tag-with-suffix", "[Support-EU #12]", "Support", FALSE, 0},
	{"unclosed", "[Support #12", "Support", FALSE, 0},
	{"unclosed-then-text", "[Support #12 printer", "Support", FALSE, 0},
	{"no-hash", "[Support 12]", "Support", FALSE, 0},
	{"no-number", "[Support #]", "Support", FALSE, 0},
	{"letters", "[Support #12a]", "Support", FALSE, 0},
	{"negative", "[Support #-12]", "Support", FALSE, 0},
	{"parentheses", "(Support #12)", "Support", FALSE, 0},
	{"no-brackets", "Support #12", "Support", FALSE, 0},
	{"empty", "", "Support", FALSE, 0},
	{"null-subject", NULL, "Support", FALSE, 0},
	{"empty-tag", "[ #12]", "", FALSE, 0},
};

static void
test_find_tag (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (find_rows); i++) {
		const FindRow *row = &find_rows[i];
		gint64 got = -1;
		gboolean found =
			tg_thread_find_tag (row->subject, row->tag, &got);

		if (found != row->found)
			tg_test_fail_row ("%s: found: got %d, want %d", row->label,
				  found, row->found);
		else if (found && got != row->want)
			tg_test_fail_row ("%s: got %" G_GINT64_FORMAT
				  ", want %" G_GINT64_FORMAT,
				  row->label, got, row->want);
		else if (!found && got != -1)
			tg_test_fail_row ("%s: number changed to %" G_GINT64_FORMAT
				  " although none was found",
				  row->label, got);
	}
}

typedef struct {
	const char *label;
	const char *subject;
	gint64 number;
	const char *want;
} AddRow;

static const AddRow add_rows[] = {
	{"plain", "Printer", 5, "[Support #5] Printer"},
	{"present", "Re: [Support #5] Printer", 5, "Re: [Support #5] Printer"},
	{"present-other-case", "Re: [support # 5] Printer", 5,
	 "Re: [support # 5] Printer"},
	{"other-number", "[Support #4] Printer", 5,
	 "[Support #5] [Support #4] Printer"},
	{"other-tag", "[Other #5] Printer", 5,
	 "[Support #5] [Other #5] Printer"},
	{"empty", "", 5, "[Support #5]"},
	{"null", NULL, 5, "[Support #5]"},
};

static void
test_add_tag (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (add_rows); i++) {
		const AddRow *row = &add_rows[i];
		g_autofree char *got = tg_thread_add_tag (
			row->subject, "Support", row->number);
		g_autofree char *again =
			tg_thread_add_tag (got, "Support", row->number);
		gint64 found = 0;

		if (strcmp (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got, row->want);
		/* Idempotent, and the first tag is the ticket's. */
		if (strcmp (again, got) != 0)
			tg_test_fail_row ("%s: twice: got \"%s\", want \"%s\"",
				  row->label, again, got);
		if (!tg_thread_find_tag (got, "Support", &found) ||
		    found != row->number)
			tg_test_fail_row ("%s: find after add: got %" G_GINT64_FORMAT
				  ", want %" G_GINT64_FORMAT,
				  row->label, found, row->number);
	}
}

/* ---------------------------------------------------------------------- */
/* Subjects                                                                */

typedef struct {
	const char *label;
	const char *subject;
	const char *want;
} CleanRow;

static const CleanRow clean_rows[] = {
	{"none", "Printer broken", "Printer broken"},
	{"re", "Re: Printer", "Printer"},
	{"re-upper", "RE: Printer", "Printer"},
	{"re-lower", "re: Printer", "Printer"},
	{"re-no-blank", "Re:Printer", "Printer"},
	{"re-blank-before-colon", "Re : Printer", "Printer"},
	{"aw", "AW: Drucker", "Drucker"},
	{"sv", "SV: Skrivare", "Skrivare"},
	{"fwd", "Fwd: Printer", "Printer"},
	{"fw", "FW: Printer", "Printer"},
	{"wg", "WG: Drucker", "Drucker"},
	{"antw", "Antw: Printer", "Printer"},
	{"tr", "TR: Imprimante", "Imprimante"},
	{"rif", "R: RIF: Stampante", "Stampante"},
	{"re-count-brackets", "Re[2]: Printer", "Printer"},
	{"re-count-parens", "Re(3): Printer", "Printer"},
	{"re-count-big", "RE[12]: Printer", "Printer"},
	{"chain", "Re: Re: Fwd: Printer", "Printer"},
	{"chain-mixed", "AW: WG: RE: SV: Printer", "Printer"},
	{"our-tag", "[Support #12] Printer", "Printer"},
	{"re-our-tag", "Re: [Support #12] Printer", "Printer"},
	{"our-tag-then-re", "[Support #12] Re: Printer", "Printer"},
	{"tag-other-case", "RE: [support#12] Printer", "Printer"},
	{"two-tags", "Re: [Support #12] Re: [Support #13] Printer", "Printer"},
	{"other-tag-kept", "Re: [Other #12] Printer", "[Other #12] Printer"},
	{"tag-in-middle-kept", "Printer [Support #12]",
	 "Printer [Support #12]"},
	{"fullwidth-colon", "Re\xef\xbc\x9a Printer", "Printer"},
	{"fullwidth-colon-aw", "AW\xef\xbc\x9a\xef\xbc\x9a x",
	 "\xef\xbc\x9a x"},
	{"reply-word-kept", "Reply needed", "Reply needed"},
	{"research", "Research: results", "Research: results"},
	{"reference", "Reference: 12", "Reference: 12"},
	{"prefix-without-colon", "Re Printer", "Re Printer"},
	{"unclosed-count", "Re[2: Printer", "Re[2: Printer"},
	{"count-with-letters", "Re[x]: Printer", "Re[x]: Printer"},
	{"leading-blanks", "   Re:   Printer  ", "Printer"},
	{"inner-re-kept", "Printer Re: toner", "Printer Re: toner"},
	{"empty", "", ""},
	{"blank", "   ", ""},
	{"only-re", "Re:", ""},
	{"only-prefixes-and-tag", "Re: Fwd: [Support #1] ", ""},
	{"null", NULL, ""},
	{"utf8-kept", "Re: Žydrūnas rašo", "Žydrūnas rašo"},
};

static void
test_clean_subject (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (clean_rows); i++) {
		const CleanRow *row = &clean_rows[i];
		g_autofree char *got =
			tg_thread_clean_subject (row->subject, "Support");

		if (strcmp (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got, row->want);
	}
}

static void
test_clean_subject_no_tag (void)
{
	g_autofree char *a =
		tg_thread_clean_subject ("Re: [Support #1] x", NULL);
	g_autofree char *b = tg_thread_clean_subject ("Re: [Support #1] x", "");

	g_assert_cmpstr (a, ==, "[Support #1] x");
	g_assert_cmpstr (b, ==, "[Support #1] x");
}

/* ---------------------------------------------------------------------- */
/* Candidate Message-IDs                                                   */

typedef struct {
	const char *label;
	const char *in_reply_to;
	const char *refs; /* blank-separated, "-" for NULL */
	guint max;
	const char *want; /* blank-separated */
} CandidateRow;

static const CandidateRow candidate_rows[] = {
	{"nothing", NULL, "-", 10, ""},
	{"irt-only", "c@x", "-", 10, "c@x"},
	{"refs-only", NULL, "a@x b@x", 10, "a@x b@x"},
	{"refs-then-irt", "c@x", "a@x b@x", 10, "a@x b@x c@x"},
	{"irt-last-once", "b@x", "a@x b@x", 10, "a@x b@x"},
	{"irt-in-middle-moves-last", "a@x", "a@x b@x", 10, "b@x a@x"},
	{"max-keeps-latest", "z@x", "a@x b@x c@x d@x", 2, "c@x d@x z@x"},
	{"max-zero", "z@x", "a@x b@x", 0, "z@x"},
	{"max-equal", NULL, "a@x b@x", 2, "a@x b@x"},
	{"duplicate-refs-once", NULL, "a@x b@x a@x", 10, "b@x a@x"},
	{"duplicate-refs-and-irt", "a@x", "a@x b@x a@x", 10, "b@x a@x"},
	{"empty-irt", "", "a@x", 10, "a@x"},
	{"empty-refs-empty", NULL, "", 10, ""},
};

static GPtrArray *
split_ids (const char *text)
{
	GPtrArray *ids = NULL;
	g_auto (GStrv) words = NULL;

	if (strcmp (text, "-") == 0)
		return NULL;
	ids = g_ptr_array_new_with_free_func (g_free);
	words = g_strsplit (text, " ", -1);
	for (char **w = words; *w != NULL; w++)
		if (**w != '\0')
			g_ptr_array_add (ids, g_strdup (*w));
	return ids;
}

static char *
join_ids (const GPtrArray *ids)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf (out, "%s%s", i ? " " : "",
					(char *)ids->pdata[i]);
	return g_string_free (out, FALSE);
}

static void
test_candidate_ids (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (candidate_rows); i++) {
		const CandidateRow *row = &candidate_rows[i];
		g_autoptr (GPtrArray) refs = split_ids (row->refs);
		g_autoptr (GPtrArray) got = tg_thread_candidate_ids (
			row->in_reply_to, refs, row->max);
		g_autofree char *text = join_ids (got);

		if (strcmp (text, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  text, row->want);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/thread/tag/format", test_format_tag);
	g_test_add_func ("/thread/tag/find", test_find_tag);
	g_test_add_func ("/thread/tag/add", test_add_tag);
	g_test_add_func ("/thread/subject/clean", test_clean_subject);
	g_test_add_func ("/thread/subject/clean-without-tag",
			 test_clean_subject_no_tag);
	g_test_add_func ("/thread/candidates/order", test_candidate_ids);
	return g_test_run ();
}
