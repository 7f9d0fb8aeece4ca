/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-pipeline: the fuzzer's path (fuzz/pipeline.c) on every file of its
 * seed corpus and of fuzz/regress, where each finding of the fuzzer is
 * kept, built with the ordinary compiler and run by "make check". GLib
 * warnings and criticals are fatal. The seeds written for the fixtures
 * also pin the action they lead to, so that the fuzzer keeps reaching
 * every branch of the decision and every kind of answer.
 */
#include <string.h>

#include "fuzz/pipeline.h"
#include "message.h"
#include "tgtest.h"

static TgPipeline *pipeline;

typedef struct {
	const char *seed;
	const char *action;
	gint64 ticket;
	guint answers;
} SeedRow;

/* What the fixture seeds come to. */
static const SeedRow seed_rows[] = {
	{"corpus/staff-reply.eml", "staff-reply", 1001, 1},
	{"corpus/staff-comment.eml", "comment", 1002, 1},
	{"corpus/staff-forged.eml", "staff-held", 0, 1},
	{"corpus/follow-up.eml", "follow-up", 1001, 1},
	{"corpus/new-gold.eml", "new-ticket", 1003, 2},
	{"corpus/staff-refused.eml", "staff-refused", 1001, 1},
	{"corpus/staff-no-ticket.eml", "staff-no-ticket", 0, 1},
	{"corpus/bounce.eml", "machine", 1001, 1},
	{"corpus/hostile-headers.eml", "new-ticket", 1003, 2},
	{"regress/iso-2022-jp-empty-body.eml", "new-ticket", 1003, 2},
};

static char *
fuzz_dir (const char *sub)
{
	const char *top = g_getenv ("TG_TOP_SRCDIR");

	if (top == NULL)
		g_error ("TG_TOP_SRCDIR is not set (run through make check)");
	return g_build_filename (top, "tests", "fuzz", sub, NULL);
}

static void
run_file (const char *path, TgPipelineResult *result)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	g_assert_true (g_file_get_contents (path, &data, &len, &error));
	g_assert_no_error (error);
	tg_pipeline_run (pipeline, (const guint8 *)data, len, result);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
test_file (gconstpointer data)
{
	TgPipelineResult result;

	run_file (data, &result);
	g_test_message ("%s: %s, ticket %" G_GINT64_FORMAT ", %u answers",
			(const char *)data, result.action, result.ticket_number,
			result.answers);
}

static void
test_seed_actions (void)
{
	g_autofree char *dir = fuzz_dir (".");

	for (gsize i = 0; i < G_N_ELEMENTS (seed_rows); i++) {
		const SeedRow *row = &seed_rows[i];
		g_autofree char *path = g_build_filename (dir, row->seed, NULL);
		TgPipelineResult got;

		run_file (path, &got);
		if (strcmp (got.action, row->action) != 0 ||
		    got.ticket_number != row->ticket ||
		    got.answers != row->answers)
			tg_test_fail_row ("%s: got %s, ticket %" G_GINT64_FORMAT
					  ", %u answers; want %s, ticket "
					  "%" G_GINT64_FORMAT ", %u answers",
					  row->seed, got.action,
					  got.ticket_number, got.answers,
					  row->action, row->ticket,
					  row->answers);
	}
}

/* One case per file of fuzz/@sub but its README. */
static void
add_folder (const char *sub)
{
	g_autofree char *dir = fuzz_dir (sub);
	g_autoptr (GError) error = NULL;
	g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const char *name = NULL;

	g_assert_no_error (error);
	while ((name = g_dir_read_name (d)) != NULL)
		if (*name != '.' && strcmp (name, "README") != 0)
			g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *test = g_strdup_printf (
			"/pipeline/%s/%s", sub, (char *)names->pdata[i]);

		g_test_add_data_func_full (
			test, g_build_filename (dir, names->pdata[i], NULL),
			test_file, g_free);
	}
}

int
main (int argc, char **argv)
{
	g_autofree char *templates = NULL;
	g_autoptr (GError) error = NULL;
	int status = 0;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	tg_pipeline_fatal_logs ();
	tg_message_init ();
	templates = g_build_filename (g_getenv ("TG_TOP_SRCDIR"), "templates",
				      NULL);
	pipeline = tg_pipeline_new (templates, &error);
	g_assert_no_error (error);

	g_test_add_func ("/pipeline/seeds/actions", test_seed_actions);
	add_folder ("corpus");
	add_folder ("regress");

	status = g_test_run ();
	tg_pipeline_free (pipeline);
	tg_message_shutdown ();
	return status;
}
