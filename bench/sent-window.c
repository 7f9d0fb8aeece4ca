/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-sent-window: how long after sendmail has queued an answer the
 * sender has it written down somewhere that outlives the process. A
 * process killed inside that moment leaves an answer that sendmail took
 * and nobody knows of, and it is sent again: the one window of doubled
 * answers left (doc/RELIABILITY.md).
 *
 *   tg-sent-window [--sends N] [--load K] [--conninfo CI] FAKE_SENDMAIL
 *
 * Each send goes through the code deliver and sweep use: tg_mailer_send()
 * to the test suite's fake sendmail (tests/fake-sendmail), which notes
 * the moment the mail counts as queued (TG_SENDMAIL_STAMPS), then the
 * journal line (tg_journal_note()). With --conninfo (a migrated
 * database), the database's own record follows (tg_store_outbox_sent(),
 * a commit that waits for the disk), which was the only record before
 * the journal: the baseline, measured in the same run. --load K keeps K
 * busy processes running beside it, as on a loaded mail host.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "journal.h"
#include "mailer.h"
#include "message.h"
#include "store.h"

typedef struct {
	int sends;
	int load;
	char *conninfo;
} Options;

static gint64
now_ns (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The moment fake-sendmail queued its last mail (the stamps' last line). */
static gint64
last_stamp (const char *dir)
{
	g_autofree char *path = g_build_filename (dir, "stamps", NULL);
	g_autofree char *text = NULL;
	char *nl;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return -1;
	g_strchomp (text);
	nl = strrchr (text, '\n');
	return g_ascii_strtoll (strchr (nl ? nl + 1 : text, ' ') + 1, NULL, 10);
}

/* @n outbox rows to mark sent, written in one transaction. */
static GArray *
make_rows (TgStore *store, int n, GBytes *content)
{
	GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	const char *rcpts[] = { "jane@acme.example", NULL };
	g_autoptr (GError) error = NULL;

	if (!tg_store_begin (store, &error))
		g_error ("%s", error->message);
	for (int i = 0; i < n; i++) {
		g_autofree char *mid = g_strdup_printf ("w%d.%d@bench", i,
							(int) getpid ());
		TgOutgoing out = { .kind = TG_KIND_ACK, .message_id = mid,
				   .envelope_from = "support@desk.example",
				   .recipients = rcpts, .subject = "s",
				   .body_text = "b", .content = content };
		gint64 id = 0;

		if (!tg_store_add_outgoing (store, &out, 600, &id, NULL, &error))
			g_error ("%s", error->message);
		g_array_append_val (ids, id);
	}
	if (!tg_store_commit (store, &error))
		g_error ("%s", error->message);
	return ids;
}

static GArray *
start_load (int k)
{
	GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));

	for (int i = 0; i < k; i++) {
		pid_t pid = fork ();
		volatile unsigned long spin = 0;

		if (pid == 0)
			for (;;)
				spin++;
		g_array_append_val (pids, pid);
	}
	return pids;
}

static void
stop_load (GArray *pids)
{
	for (guint i = 0; i < pids->len; i++) {
		kill (g_array_index (pids, pid_t, i), SIGKILL);
		waitpid (g_array_index (pids, pid_t, i), NULL, 0);
	}
	g_array_unref (pids);
}

/* The fake sendmail's files, then the (empty) state folder and @dir. */
static void
remove_dir (const char *dir)
{
	g_autofree char *state = g_build_filename (dir, "state", NULL);
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
		g_autofree char *p = g_build_filename (dir, name, NULL);

		g_unlink (p);
	}
	g_rmdir (state);
	g_rmdir (dir);
}

static int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

	return x < y ? -1 : x > y;
}

static double
pct (GArray *v, double q)
{
	guint i = (guint) (q * (v->len - 1) + 0.5);

	return g_array_index (v, gint64, i) / 1000.0;
}

static void
report (const char *label, GArray *v)
{
	g_array_sort (v, cmp_gint64);
	printf ("%-22s %9.1f %9.1f %9.1f %9.1f\n", label, pct (v, 0.5),
		pct (v, 0.9), pct (v, 0.99), pct (v, 1.0));
}

int
main (int argc, char **argv)
{
	Options o = { .sends = 1000 };
	GOptionEntry entries[] = {
		{ "sends", 'n', 0, G_OPTION_ARG_INT, &o.sends, "Answers to send",
		  "N" },
		{ "load", 0, 0, G_OPTION_ARG_INT, &o.load,
		  "Busy processes beside it", "K" },
		{ "conninfo", 0, 0, G_OPTION_ARG_STRING, &o.conninfo,
		  "A migrated database, for the baseline", "CI" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GOptionContext) ctx = g_option_context_new ("FAKE_SENDMAIL");
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp ("tgwindow.XXXXXX", NULL);
	g_autofree char *state = g_build_filename (dir, "state", NULL);
	g_autoptr (GBytes) content = g_bytes_new_static ("Subject: a\n\nb\n", 14);
	g_autoptr (TgStore) store = NULL;
	g_autoptr (TgJournal) journal = NULL;
	g_autoptr (GArray) ids = NULL;
	g_autoptr (GArray) noted = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_autoptr (GArray) recorded = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_autoptr (GArray) returned = g_array_new (FALSE, FALSE, sizeof (gint64));
	const char *rcpts[] = { "jane@acme.example", NULL };
	GArray *load;

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2) {
		g_printerr ("tg-sent-window: %s\n",
			    error ? error->message : "FAKE_SENDMAIL missing");
		return 64;
	}
	g_mkdir (state, 0700);
	g_setenv ("TG_SENDMAIL_DIR", dir, TRUE);
	g_setenv ("TG_SENDMAIL_STAMPS", "1", TRUE);
	signal (SIGPIPE, SIG_IGN);
	if (o.conninfo != NULL) {
		tg_message_init ();
		store = tg_store_connect (o.conninfo, "tg-sent-window", 10, 0,
					  &error);
		if (store == NULL)
			g_error ("%s", error->message);
		ids = make_rows (store, o.sends, content);
	}
	journal = tg_journal_new (state, "00000000-0000-0000-0000-000000000000");
	if (!tg_journal_prepare (journal, &error))
		g_error ("%s", error->message);
	load = start_load (o.load);
	for (int i = 0; i < o.sends; i++) {
		g_autofree char *mid = g_strdup_printf ("w%d@bench", i);
		gint64 id = ids ? g_array_index (ids, gint64, i) : i + 1;
		gint64 t_noted, t_recorded, t_queued, t_ret;

		if (!tg_mailer_send (argv[1], "support@desk.example", rcpts,
				     content, 60, &error))
			g_error ("%s", error->message);
		t_ret = now_ns ();
		if (!tg_journal_note (journal, id, mid, &error))
			g_error ("%s", error->message);
		t_noted = now_ns ();
		if (store != NULL && !tg_store_outbox_sent (store, id, &error))
			g_error ("%s", error->message);
		t_recorded = now_ns ();
		tg_journal_recorded (journal);
		t_queued = last_stamp (dir);
		t_noted -= t_queued;
		t_ret -= t_queued;
		g_array_append_val (returned, t_ret);
		t_recorded -= t_queued;
		g_array_append_val (noted, t_noted);
		g_array_append_val (recorded, t_recorded);
	}
	stop_load (load);
	printf ("%d answers, %d busy processes beside; microseconds from "
		"sendmail queueing the mail\n",
		o.sends, o.load);
	printf ("%-22s %9s %9s %9s %9s\n", "until written down", "p50", "p90",
		"p99", "max");
	report ("mailer returned", returned);
	report ("journal (write)", noted);
	if (store != NULL) {
		double j50 = pct (noted, 0.5), j99 = pct (noted, 0.99);

		report ("database (commit)", recorded);
		printf ("journal / database    %9.3f %9s %9.3f\n",
			j50 / pct (recorded, 0.5), "",
			j99 / pct (recorded, 0.99));
	}
	tg_journal_free (g_steal_pointer (&journal));
	remove_dir (dir);
	if (store != NULL)
		tg_message_shutdown ();
	return 0;
}
