/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-journal: the sent journal of a mail host. A process's file comes
 * with its first line, is emptied once the database has every line and
 * removed at the end, or kept when a line waits for the database. The
 * reader lists one database's files with their whole lines, tells a gone
 * writer's file (removable) from a running one's, and skips broken lines.
 */
#include "journal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "owner.h"
#include "tgtest.h"

#define DB "11111111-2222-3333-4444-555555555555"
#define OTHER_DB "99999999-2222-3333-4444-555555555555"

typedef struct {
	char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp ("tgjournal.XXXXXX", NULL);
	g_assert_nonnull (f->dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
	g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *path = g_build_filename (f->dir, name, NULL);

		g_unlink (path);
	}
	g_rmdir (f->dir);
	g_free (f->dir);
}

static char *
contents (const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return NULL;
	return text;
}

static guint
count_files (Fixture *f)
{
	g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
	guint n = 0;

	while (g_dir_read_name (dir) != NULL)
		n++;
	return n;
}

/* Written, recorded, emptied, removed: the common case leaves nothing. */
static void
test_recorded (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	TgJournal *j = tg_journal_new (f->dir, DB);
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autofree char *want = NULL;
	g_auto (GStrv) words = NULL;

	g_assert_null (tg_journal_path (j));
	g_assert_cmpuint (count_files (f), ==, 0);
	g_assert_true (tg_journal_note (j, 42, "a1@desk.example", &error));
	g_assert_no_error (error);
	path = g_strdup (tg_journal_path (j));
	want = g_strconcat (f->dir, "/sent." DB ".", tg_owner_self (), NULL);
	g_assert_cmpstr (path, ==, want);
	text = contents (path);
	g_assert_true (g_str_has_suffix (text, "\n"));
	words = g_strsplit (g_strchomp (text), " ", 0);
	g_assert_cmpuint (g_strv_length (words), ==, 6);
	g_assert_cmpstr (words[0], ==, "sent");
	g_assert_cmpstr (words[1], ==, DB);
	g_assert_cmpstr (words[2], ==, "42");
	g_assert_cmpstr (words[3], ==, "a1@desk.example");
	g_assert_cmpint (g_ascii_strtoll (words[4], NULL, 10), >,
			 g_get_real_time () - 60 * G_USEC_PER_SEC);
	g_assert_cmpstr (words[5], ==, tg_owner_self ());
	tg_journal_recorded (j);
	g_clear_pointer (&text, g_free);
	text = contents (path);
	g_assert_cmpstr (text, ==, "");
	tg_journal_free (j);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A line the database did not take stays, after earlier recorded ones. */
static void
test_kept (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	TgJournal *j = tg_journal_new (f->dir, DB);
	g_autoptr (GPtrArray) files = NULL;
	TgJournalFile *file;

	g_assert_true (tg_journal_note (j, 1, "k1@desk.example", &error));
	tg_journal_recorded (j);
	g_assert_true (tg_journal_note (j, 2, "k2@desk.example", &error));
	g_assert_true (tg_journal_keep (j, &error));
	g_assert_true (tg_journal_note (j, 3, "k3@desk.example", &error));
	tg_journal_recorded (j); /* not emptied: line 2 waits */
	g_assert_no_error (error);
	tg_journal_free (j);
	files = tg_journal_read (f->dir, DB, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (files->len, ==, 1);
	file = files->pdata[0];
	g_assert_cmpstr (file->owner, ==, tg_owner_self ());
	g_assert_false (file->owner_gone); /* this process: running */
	g_assert_cmpuint (file->lines->len, ==, 2);
	g_assert_cmpint (g_array_index (file->lines, TgJournalLine, 0).outbox_id,
			 ==, 2);
	g_assert_cmpstr (g_array_index (file->lines, TgJournalLine, 1).message_id,
			 ==, "k3@desk.example");
	g_assert_cmpuint (file->bad_lines, ==, 0);
	/* Its writer runs: it stays. */
	g_assert_true (tg_journal_remove (file, &error));
	g_assert_true (g_file_test (file->path, G_FILE_TEST_EXISTS));
	/* Another database's reader sees nothing. */
	g_clear_pointer (&files, g_ptr_array_unref);
	files = tg_journal_read (f->dir, OTHER_DB, &error);
	g_assert_cmpuint (files->len, ==, 0);
}

/* Noted and then neither recorded nor kept (the caller died half-way in
 * its own logic): the line is kept, to be safe. */
static void
test_pending_at_end (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	TgJournal *j = tg_journal_new (f->dir, DB);
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;

	g_assert_true (tg_journal_note (j, 7, "p@desk.example", &error));
	path = g_strdup (tg_journal_path (j));
	tg_journal_free (j);
	text = contents (path);
	g_assert_nonnull (text);
	g_assert_nonnull (strstr (text, " 7 p@desk.example "));
}

/* The name of a process that ran on this host and has exited. */
static char *
gone_owner (void)
{
	pid_t pid = fork ();
	char *owner;

	g_assert_cmpint (pid, >=, 0);
	if (pid == 0) {
		pause ();
		_exit (0);
	}
	owner = tg_owner_of_pid (pid);
	kill (pid, SIGKILL);
	waitpid (pid, NULL, 0);
	g_assert_nonnull (owner);
	return owner;
}

static char *
write_file (Fixture *f, const char *db, const char *owner, const char *text)
{
	g_autofree char *name = g_strconcat ("sent.", db, ".", owner, NULL);
	char *path = g_build_filename (f->dir, name, NULL);

	g_assert_true (g_file_set_contents (path, text, -1, NULL));
	return path;
}

/* A dead writer's file: whole lines read, broken ones counted, removed. */
static void
test_read_gone (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *owner = gone_owner ();
	g_autofree char *text = g_strdup_printf (
		"sent " DB " 5 m5@desk.example 1795000000000001 %s\n"
		"sent " OTHER_DB " 6 m6@desk.example 1795000000000002 %s\n"
		"sent " DB " x m7@desk.example 1795000000000003 %s\n"
		"sent " DB " 8 m8@desk.example 1795000000000004\n"
		"\n"
		"sent " DB " 9 m9@desk.example 1795000000000005 %s\n"
		"sent " DB " 10 m10@desk.example 17950",
		owner, owner, owner, owner);
	g_autofree char *path = write_file (f, DB, owner, text);
	g_autofree char *other = write_file (f, OTHER_DB, owner, "");
	g_autoptr (GPtrArray) files = tg_journal_read (f->dir, DB, &error);
	TgJournalFile *file;

	g_assert_no_error (error);
	g_assert_cmpuint (files->len, ==, 1);
	file = files->pdata[0];
	g_assert_cmpstr (file->path, ==, path);
	g_assert_true (file->owner_gone);
	g_assert_cmpuint (file->lines->len, ==, 2);
	g_assert_cmpint (g_array_index (file->lines, TgJournalLine, 0).outbox_id,
			 ==, 5);
	g_assert_cmpint (g_array_index (file->lines, TgJournalLine, 0).sent_at,
			 ==, G_GINT64_CONSTANT (1795000000000001));
	g_assert_cmpint (g_array_index (file->lines, TgJournalLine, 1).outbox_id,
			 ==, 9);
	/* other database, bad id, missing word, blank, the cut last line */
	g_assert_cmpuint (file->bad_lines, ==, 5);
	g_assert_true (tg_journal_remove (file, &error));
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
	/* Removed twice (two folders at once): fine. */
	g_assert_true (tg_journal_remove (file, &error));
	g_assert_no_error (error);
	g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
}

/* A file left by this host before it rebooted is gone too; one of
 * another host is never removed. */
static void
test_read_earlier_boot (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) p = g_strsplit (tg_owner_self (), ":", 0);
	g_autofree char *before = g_strjoin (":", p[0], "0-0-0-0-0", p[2], p[3],
					     p[4], NULL);
	g_autofree char *elsewhere = g_strjoin (":", "mx2.example", p[1], p[2],
						"4194305", p[4], NULL);
	g_autofree char *a = write_file (f, DB, before, "");
	g_autofree char *b = write_file (f, DB, elsewhere, "");
	g_autoptr (GPtrArray) files = tg_journal_read (f->dir, DB, &error);

	g_assert_no_error (error);
	g_assert_cmpuint (files->len, ==, 2);
	for (guint i = 0; i < files->len; i++) {
		TgJournalFile *file = files->pdata[i];

		g_assert_true (tg_journal_remove (file, &error));
		g_assert_cmpint (file->owner_gone, ==,
				 strcmp (file->owner, before) == 0);
	}
	g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
	g_assert_true (g_file_test (b, G_FILE_TEST_EXISTS));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
	g_autoptr (TgJournal) nowhere = tg_journal_new (missing, DB);
	g_autoptr (TgJournal) j = tg_journal_new (f->dir, DB);
	g_autoptr (GPtrArray) files = NULL;

	g_assert_false (tg_journal_note (nowhere, 1, "a@b", &error));
	g_assert_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, missing));
	g_clear_error (&error);
	g_assert_false (tg_journal_keep (nowhere, &error));
	g_clear_error (&error);
	/* A Message-ID that would break the line is refused, unwritten. */
	g_assert_false (tg_journal_note (j, 1, "a b@desk.example", &error));
	g_clear_error (&error);
	g_assert_false (tg_journal_note (j, 1, "a\nb", &error));
	g_clear_error (&error);
	g_assert_false (tg_journal_note (j, 1, NULL, &error));
	g_clear_error (&error);
	g_assert_null (tg_journal_path (j));
	/* No folder yet: nothing to fold. */
	files = tg_journal_read (missing, DB, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (files->len, ==, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	g_test_add ("/journal/write/recorded", Fixture, NULL, setup,
		    test_recorded, teardown);
	g_test_add ("/journal/write/kept", Fixture, NULL, setup, test_kept,
		    teardown);
	g_test_add ("/journal/write/pending-at-end", Fixture, NULL, setup,
		    test_pending_at_end, teardown);
	g_test_add ("/journal/read/gone-writer", Fixture, NULL, setup,
		    test_read_gone, teardown);
	g_test_add ("/journal/read/earlier-boot", Fixture, NULL, setup,
		    test_read_earlier_boot, teardown);
	g_test_add ("/journal/errors", Fixture, NULL, setup, test_errors,
		    teardown);
	return g_test_run ();
}
