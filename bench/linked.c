/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-linked: linked against the very libraries ticketgate is (GMime,
 * GIO, GObject, GLib, libpq), for the benchmark's start-up figures.
 *
 *   tg-linked                  returns from main at once: its run time is
 *                              the dynamic loader's share of ticketgate's
 *   tg-linked --spawn PROG     hands 2 KB to PROG the way src/mailer.c
 *                              does (g_spawn_async_with_pipes, stdin and
 *                              stderr pipes), then waits for it
 *   tg-linked --posix-spawn PROG  the same with G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
 *                              with which GLib may use posix_spawn(3)
 *                              instead of fork(2)
 *
 * The calls to GMime and libpq are never made; they only keep the linker
 * (with --as-needed) from dropping a library.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>
#include <libpq-fe.h>

static int
spawn (const char *prog, GSpawnFlags extra)
{
	char *argv[] = { (char *) prog, "-i", "-f", "support@desk.example", "--",
			 "customer@example.net", NULL };
	char mail[2048], buf[256];
	GError *error = NULL;
	GPid pid;
	int in, err, status;

	memset (mail, 'x', sizeof mail);
	if (!g_spawn_async_with_pipes (NULL, argv, NULL,
				       G_SPAWN_DO_NOT_REAP_CHILD |
					       G_SPAWN_STDOUT_TO_DEV_NULL | extra,
				       NULL, NULL, &pid, &in, NULL, &err,
				       &error)) {
		g_printerr ("tg-linked: %s\n", error->message);
		return 1;
	}
	if (write (in, mail, sizeof mail) != sizeof mail)
		return 1;
	close (in);
	while (read (err, buf, sizeof buf) > 0)
		;
	close (err);
	if (waitpid (pid, &status, 0) != pid)
		return 1;
	return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

int
main (int argc, char **argv)
{
	if (argc == 3 && strcmp (argv[1], "--spawn") == 0)
		return spawn (argv[2], 0);
	if (argc == 3 && strcmp (argv[1], "--posix-spawn") == 0)
		return spawn (argv[2], G_SPAWN_LEAVE_DESCRIPTORS_OPEN);
	if (argc > 1000) {
		g_mime_init ();
		return PQlibVersion ();
	}
	return 0;
}
