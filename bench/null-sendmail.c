/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tg-null-sendmail: the benchmark's stand-in for /usr/sbin/sendmail.
 * Ignores its arguments, reads standard input to the end (as sendmail
 * must, or the writer sees a broken pipe) and exits 0. Linked against
 * the C library only, so that handing off an answer costs what a
 * fork, exec and pipe cost, not what a real MTA does.
 */
#include <errno.h>
#include <unistd.h>

int
main (void)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0)
		if (n < 0 && errno != EINTR)
			return 75;
	return 0;
}
