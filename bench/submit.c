/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-submit: what handing one answer off costs, each way [mail] submit
 * allows, measured in the same run: sendmail (a program that reads the
 * mail and exits, tg-null-sendmail: a fork, exec and pipe), SMTP over a
 * new connection per answer (a deliver that sends one answer), and SMTP
 * over a kept connection (every answer after a deliver's first, and a
 * sweep's batch). All go through tg_mailer_submit(), the code deliver
 * and sweep use. The server is tests/lib/smtp_sink.py --discard on a
 * unix socket, which records nothing.
 *
 *   tg-submit [--sends N] [--rounds R] [--size BYTES] NULL_SENDMAIL SINK_PY
 *
 * Rounds alternate the three ways, so that a noisy neighbour hits all of
 * them alike; the median of the rounds is reported, and each way's ratio
 * to sendmail taken per round.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "mailer.h"

enum { WAY_SENDMAIL, WAY_SMTP_NEW, WAY_SMTP_KEPT, WAYS };
static const char *const way_names[WAYS] = {
	"sendmail (exec)", "SMTP, a connection per answer",
	"SMTP, a kept connection"
};

static GBytes *
make_mail (gsize size)
{
	GString *m = g_string_new ("From: support@desk.example\n"
				   "To: jane@acme.example\n"
				   "Subject: [Support #1000] Re: bench\n"
				   "Message-ID: <bench@desk.example>\n\n");

	while (m->len < size)
		g_string_append (m, "A line of an answer, as a template "
				    "writes it, to fill the mail.\n");
	return g_string_free_to_bytes (m);
}

/* Microseconds per answer for @n sends one way. */
static double
run_way (int way, int n, const char *sendmail, const char *address,
	 GBytes *mail)
{
	const char *rcpts[] = { "jane@acme.example", NULL };
	g_autoptr (TgMailer) kept = NULL;
	gint64 start = g_get_monotonic_time ();

	if (way == WAY_SMTP_KEPT)
		kept = tg_mailer_new (address, sendmail, NULL);
	for (int i = 0; i < n; i++) {
		g_autoptr (TgMailer) fresh = NULL;
		g_autoptr (GError) error = NULL;
		TgMailer *m = kept;

		if (m == NULL)
			m = fresh = tg_mailer_new (way == WAY_SENDMAIL
							   ? TG_MAILER_SENDMAIL
							   : address,
						   sendmail, &error);
		if (m == NULL ||
		    !tg_mailer_submit (m, "support@desk.example", rcpts, mail,
				       30, &error)) {
			fprintf (stderr, "tg-submit: %s: %s\n", way_names[way],
				 error->message);
			exit (1);
		}
	}
	return (double) (g_get_monotonic_time () - start) / n;
}

static int
compare (const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
	qsort (v, n, sizeof *v, compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Starts the sink on a socket in @dir; returns its pid. */
static GPid
start_sink (const char *sink, const char *dir, char **address_out)
{
	g_autofree char *sock = g_build_filename (dir, "sock", NULL);
	g_autofree char *port = g_build_filename (dir, "port", NULL);
	g_autofree char *unix_arg = g_strconcat ("--unix=", sock, NULL);
	const char *argv[] = { "python3", sink, "--dir", dir, "--port-file",
			       port, unix_arg, "--discard", "--lifetime",
			       "3600", NULL };
	g_autoptr (GError) error = NULL;
	GPid pid = 0;

	if (!g_spawn_async (NULL, (char **) argv, NULL,
			    G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
			    NULL, NULL, &pid, &error)) {
		fprintf (stderr, "tg-submit: %s\n", error->message);
		exit (1);
	}
	for (int i = 0; i < 1000 && !g_file_test (port, G_FILE_TEST_EXISTS);
	     i++)
		g_usleep (10000);
	*address_out = g_strconcat ("unix:", sock, NULL);
	return pid;
}

int
main (int argc, char **argv)
{
	int sends = 200, rounds = 7, size = 2048;
	GOptionEntry entries[] = {
		{ "sends", 0, 0, G_OPTION_ARG_INT, &sends, "answers per way and round", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "rounds", "R" },
		{ "size", 0, 0, G_OPTION_ARG_INT, &size, "bytes per answer", "BYTES" },
		{ NULL },
	};
	g_autoptr (GOptionContext) ctx =
		g_option_context_new ("NULL_SENDMAIL SMTP_SINK_PY");
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *address = NULL;
	g_autoptr (GBytes) mail = NULL;
	double us[WAYS][64], ratio[WAYS][64];
	GPid sink;

	signal (SIGPIPE, SIG_IGN);
	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 3 ||
	    rounds < 1 || rounds > 64 || sends < 1) {
		fprintf (stderr, "usage: tg-submit [--sends N] [--rounds R] "
				 "[--size BYTES] NULL_SENDMAIL SMTP_SINK_PY\n");
		return 2;
	}
	dir = g_dir_make_tmp ("tgsubmit.XXXXXX", NULL);
	sink = start_sink (argv[2], dir, &address);
	mail = make_mail ((gsize) size);
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < WAYS; k++) {
			int way = (k + r) % WAYS;

			us[way][r] = run_way (way, sends, argv[1], address,
					      mail);
		}
	for (int r = 0; r < rounds; r++)
		for (int w = 0; w < WAYS; w++)
			ratio[w][r] = us[w][r] / us[WAY_SENDMAIL][r];
	printf ("%d answers of %d bytes per way and round, %d rounds, "
		"medians:\n", sends, size, rounds);
	for (int w = 0; w < WAYS; w++)
		printf ("  %-32s %8.1f us per answer  %5.2f x sendmail\n",
			way_names[w], median (us[w], rounds),
			median (ratio[w], rounds));
	kill (sink, SIGTERM);
	waitpid (sink, NULL, 0);
	{
		g_autofree char *sock = g_build_filename (dir, "sock", NULL);
		g_autofree char *port = g_build_filename (dir, "port", NULL);

		g_unlink (sock);
		g_unlink (port);
		g_rmdir (dir);
	}
	return 0;
}
