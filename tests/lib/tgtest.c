/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tgtest: helpers shared by the unit tests. Test code only.
 */
#include "tgtest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reply.h"
#include "spool.h"

void
tg_test_fail_row (const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;

	va_start (args, format);
	text = g_strdup_vprintf (format, args);
	va_end (args);
	g_test_message ("FAIL: %s", text);
	g_test_fail_printf ("%s", text);
}

TgMessage *
tg_test_parse_mail (GBytes *mail)
{
	gsize len = 0;
	const char *data = g_bytes_get_data (mail, &len);
	g_autoptr (TgSpool) spool = tg_spool_new_from_data (data, len);
	g_autoptr (GError) error = NULL;
	TgMessage *msg = tg_message_parse (spool, &error);

	g_assert_no_error (error);
	return msg;
}

TgReplies *
tg_test_load_replies (void)
{
	const char *top = g_getenv ("TG_TOP_SRCDIR");
	g_autofree char *dir = NULL;
	g_autoptr (GError) error = NULL;
	TgReplies *replies = NULL;

	if (top == NULL)
		g_error ("TG_TOP_SRCDIR is not set (run through make check)");
	dir = g_build_filename (top, "templates", NULL);
	replies = tg_replies_load (dir, &error);
	g_assert_no_error (error);
	return replies;
}

GBytes *
tg_test_read_fixture (const char *area, const char *name)
{
	g_autofree char *path =
		g_test_build_filename (G_TEST_DIST, "data", area, name, NULL);
	g_autoptr (GError) error = NULL;
	char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents (path, &data, &len, &error))
		g_error ("fixture %s: %s", path, error->message);
	return g_bytes_new_take (data, len);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
tg_test_list_fixtures (const char *area, const char *suffix)
{
	g_autofree char *path =
		g_test_build_filename (G_TEST_DIST, "data", area, NULL);
	g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	if (dir == NULL)
		return names;
	while ((name = g_dir_read_name (dir)) != NULL)
		if (g_str_has_suffix (name, suffix))
			g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	return names;
}

char *
tg_test_corpus_dir (void)
{
	const char *env = g_getenv ("TG_CORPUS_DIR");
	g_autofree char *guess = NULL;

	if (env != NULL && *env != '\0')
		return g_file_test (env, G_FILE_TEST_IS_DIR) ? g_strdup (env)
							     : NULL;
	guess = g_build_filename (g_getenv ("TG_TOP_SRCDIR") ?: ".", "..",
				  "shared", "corpus", NULL);
	if (g_file_test (guess, G_FILE_TEST_IS_DIR))
		return g_steal_pointer (&guess);
	return NULL;
}

/* ---- a private PostgreSQL ------------------------------------------ */

#include <stdlib.h>

#include "store.h"

static char *pg_dir = NULL;
static int pg_fresh_count = 0;
/* The write end of the watchdog's pipe; -1 without a watchdog. */
static int watchdog_fd = -1;

static gboolean
run_script (const char *const *argv, char **out)
{
	g_autoptr (GError) error = NULL;
	int status = 0;

	if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL,
			   NULL, out, NULL, &status, &error))
		g_error ("%s: %s", argv[0], error->message);
	return g_spawn_check_wait_status (status, NULL);
}

/*
 * A failed g_assert aborts the test, and atexit handlers do not run on
 * abort: without this, every failing test would leave its PostgreSQL
 * running. The watchdog is a child that waits on a pipe only the test
 * holds (close-on-exec, so nothing the test spawns keeps it open). The
 * test writes a byte when it stops the cluster itself; end of file
 * without that byte means the test died, and the watchdog stops the
 * cluster and removes it (unless TG_KEEP is set). Between fork and exec
 * the child only closes, reads and execs.
 */
static void
start_watchdog (const char *script)
{
	g_autofree char *cmd = g_strdup_printf (
		"exec </dev/null >/dev/null 2>&1; '%s' stop '%s'; %s", script, pg_dir,
		g_getenv ("TG_KEEP") != NULL ? "true" : "rm -rf \"$0\"");
	char *const argv[] = { "/bin/sh", "-c", cmd, pg_dir, NULL };
	int fds[2];
	pid_t pid;

	if (pipe2 (fds, O_CLOEXEC) < 0)
		g_error ("pipe2: %s", g_strerror (errno));
	fflush (NULL);
	pid = fork ();
	if (pid < 0)
		g_error ("fork: %s", g_strerror (errno));
	if (pid == 0) {
		char byte;

		close (fds[1]);
		/* Interrupting make must not kill the clean-up. */
		signal (SIGINT, SIG_IGN);
		signal (SIGTERM, SIG_IGN);
		if (read (fds[0], &byte, 1) != 0)
			_exit (0);
		execv (argv[0], argv);
		_exit (127);
	}
	close (fds[0]);
	watchdog_fd = fds[1];
}

static void
stop_watchdog (void)
{
	if (watchdog_fd < 0)
		return;
	if (write (watchdog_fd, "q", 1) != 1)
		g_warning ("watchdog: %s", g_strerror (errno));
	close (watchdog_fd);
	watchdog_fd = -1;
}

void
tg_test_db_stop (void)
{
	g_autofree char *script = NULL;

	if (pg_dir == NULL)
		return;
	stop_watchdog ();
	script = g_build_filename (g_getenv ("TG_TOP_SRCDIR"), "tests", "lib",
				   "pg-cluster", NULL);
	{
		const char *argv[] = { script, "stop", pg_dir, NULL };

		run_script (argv, NULL);
	}
	if (g_getenv ("TG_KEEP") == NULL) {
		g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", pg_dir);
		const char *argv[] = { "/bin/sh", "-c", rm, NULL };

		run_script (argv, NULL);
	}
	g_clear_pointer (&pg_dir, g_free);
}

static char *
conninfo_for (const char *db)
{
	return g_strdup_printf ("host=%s user=postgres dbname=%s", pg_dir, db);
}

static void
create_template (void)
{
	g_autofree char *schema = g_build_filename (g_getenv ("TG_TOP_SRCDIR"),
						    "schema", NULL);
	g_autofree char *cmd = g_strdup_printf (
		"createdb -h '%s' -U postgres tg_template", pg_dir);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	g_autofree char *conninfo = conninfo_for ("tg_template");
	g_autoptr (GError) error = NULL;
	g_autoptr (TgStore) store = NULL;

	if (!run_script (argv, NULL))
		g_error ("createdb tg_template failed");
	store = tg_store_connect (conninfo, "tgtest", 5, 0, &error);
	if (store == NULL || !tg_store_migrate (store, schema, NULL, &error))
		g_error ("migrating the template: %s", error->message);
}

const char *
tg_test_db_start (void)
{
	g_autofree char *script = NULL;
	g_autofree char *out = NULL;
	char tmpl[] = "/tmp/tgpg.XXXXXX";

	if (pg_dir != NULL)
		return pg_dir;
	if (g_getenv ("TG_TOP_SRCDIR") == NULL)
		g_error ("TG_TOP_SRCDIR is not set: run through make check");
	script = g_build_filename (g_getenv ("TG_TOP_SRCDIR"), "tests", "lib",
				   "pg-cluster", NULL);
	if (g_mkdtemp (tmpl) == NULL)
		g_error ("mkdtemp: %s", g_strerror (errno));
	pg_dir = g_strdup (tmpl);
	{
		const char *argv[] = { script, "start", pg_dir, NULL };

		if (!run_script (argv, &out)) {
			g_clear_pointer (&pg_dir, g_free);
			printf ("1..0 # SKIP no PostgreSQL server\n");
			exit (77);
		}
	}
	atexit (tg_test_db_stop);
	start_watchdog (script);
	create_template ();
	return pg_dir;
}

char *
tg_test_db_fresh (void)
{
	g_autofree char *name = g_strdup_printf ("t%d", ++pg_fresh_count);
	g_autofree char *cmd = g_strdup_printf (
		"createdb -h '%s' -U postgres -T tg_template %s", pg_dir, name);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	g_assert_nonnull (pg_dir);
	if (!run_script (argv, NULL))
		g_error ("createdb %s failed", name);
	return conninfo_for (name);
}
