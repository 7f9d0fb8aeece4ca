/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fake-sendmail: a stand-in for /usr/sbin/sendmail that records what it
 * was given: $TG_SENDMAIL_DIR/NNNN.args (one argument per line) and
 * NNNN.eml (standard input). Like Postfix's postdrop, nothing counts as
 * queued until the end: the .eml appears by rename as the last step, so
 * a sendmail killed half-way leaves only .tmp files. If the file
 * $TG_SENDMAIL_DIR/fail exists, it reads its input, prints that file's
 * first line on stderr and exits 75, as a sendmail with a full queue
 * would. A compiled program, so that thousands of deliveries in the fault
 * tests do not pay for a shell each. With $TG_SENDMAIL_STAMPS set it also
 * notes when each mail was queued (stamp()); with a file "hold" it waits
 * after queueing (hold_if_asked()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void
die (const char *what)
{
	fprintf (stderr, "fake-sendmail: %s: %s\n", what, strerror (errno));
	exit (75);
}

static int
fail_if_asked (const char *dir)
{
	char path[4096], line[512] = "";
	char buf[65536];
	FILE *f;

	snprintf (path, sizeof path, "%s/fail", dir);
	if ((f = fopen (path, "r")) == NULL)
		return 0;
	if (fgets (line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose (f);
	while (read (0, buf, sizeof buf) > 0)
		;
	fputs (line, stderr);
	return 1;
}

/* The next sequence number, under a lock shared with other copies. */
static long
next_number (const char *dir)
{
	char path[4096], text[32] = "0";
	int fd, lock;
	long n;
	ssize_t r;

	snprintf (path, sizeof path, "%s/.lock", dir);
	if ((lock = open (path, O_CREAT | O_RDWR, 0644)) < 0 ||
	    flock (lock, LOCK_EX) < 0)
		die ("lock");
	snprintf (path, sizeof path, "%s/.seq", dir);
	if ((fd = open (path, O_CREAT | O_RDWR, 0644)) < 0)
		die ("seq");
	r = read (fd, text, sizeof text - 1);
	text[r > 0 ? r : 0] = '\0';
	n = atol (text) + 1;
	snprintf (text, sizeof text, "%ld\n", n);
	if (pwrite (fd, text, strlen (text), 0) < 0 || ftruncate (fd, strlen (text)) < 0)
		die ("seq");
	close (fd);
	close (lock);
	return n;
}

static void
write_file (const char *path, int argc, char **argv)
{
	FILE *f = fopen (path, "w");
	char buf[65536];
	ssize_t r;

	if (f == NULL)
		die (path);
	if (argv != NULL) {
		for (int i = 1; i < argc; i++)
			fprintf (f, "%s\n", argv[i]);
	} else {
		while ((r = read (0, buf, sizeof buf)) > 0)
			if (fwrite (buf, 1, (size_t) r, f) != (size_t) r)
				die (path);
		if (r < 0)
			die ("stdin");
	}
	if (fclose (f) != 0)
		die (path);
}

/*
 * If $TG_SENDMAIL_DIR/hold holds a number below @n: the mail is queued,
 * and sendmail does not exit yet. It writes held.N with its parent's pid
 * (the deliver or sweep that runs it) and waits for the file "release".
 * A test stops the database in that moment, so that the sender cannot
 * record an answer sendmail took.
 */
static void
hold_if_asked (const char *dir, long n)
{
	char path[4096], text[32] = "";
	FILE *f;

	snprintf (path, sizeof path, "%s/hold", dir);
	if ((f = fopen (path, "r")) == NULL)
		return;
	if (fgets (text, sizeof text, f) == NULL || n <= atol (text)) {
		fclose (f);
		return;
	}
	fclose (f);
	snprintf (path, sizeof path, "%s/held.%04ld", dir, n);
	if ((f = fopen (path, "w")) == NULL)
		die ("held");
	fprintf (f, "%ld\n", (long) getppid ());
	if (fclose (f) != 0)
		die ("held");
	snprintf (path, sizeof path, "%s/release", dir);
	while (access (path, F_OK) != 0)
		usleep (10000);
}

/* With $TG_SENDMAIL_STAMPS set: the moment the mail counts as queued
 * (CLOCK_MONOTONIC, nanoseconds), appended to $TG_SENDMAIL_DIR/stamps as
 * "NUMBER NANOSECONDS", for measuring how long after it the sender has
 * recorded the send. */
static void
stamp (const char *dir, long n)
{
	struct timespec ts;
	char path[4096], line[64];
	int fd, len;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	snprintf (path, sizeof path, "%s/stamps", dir);
	len = snprintf (line, sizeof line, "%04ld %lld\n", n,
			(long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || write (fd, line, (size_t) len) != len)
		die ("stamps");
	close (fd);
}

int
main (int argc, char **argv)
{
	const char *dir = getenv ("TG_SENDMAIL_DIR");
	char args[4096], eml[4096], tmp_args[4200], tmp_eml[4200];
	long n;

	if (dir == NULL) {
		fprintf (stderr, "fake-sendmail: TG_SENDMAIL_DIR is not set\n");
		return 75;
	}
	if (fail_if_asked (dir))
		return 75;
	n = next_number (dir);
	snprintf (args, sizeof args, "%s/%04ld.args", dir, n);
	snprintf (eml, sizeof eml, "%s/%04ld.eml", dir, n);
	snprintf (tmp_args, sizeof tmp_args, "%s.tmp", args);
	snprintf (tmp_eml, sizeof tmp_eml, "%s.tmp", eml);
	write_file (tmp_args, argc, argv);
	write_file (tmp_eml, 0, NULL);
	if (rename (tmp_args, args) < 0 || rename (tmp_eml, eml) < 0)
		die ("rename");
	if (getenv ("TG_SENDMAIL_STAMPS") != NULL)
		stamp (dir, n);
	hold_if_asked (dir, n);
	return 0;
}
