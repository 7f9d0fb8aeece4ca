/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mailer: runs sendmail for one mail. The child's stdin and stderr are
 * served by one poll() loop, so that a sendmail that talks a lot cannot
 * deadlock us, and the whole exchange has a deadline. SIGPIPE must be
 * ignored by the program (main does), so a dead child is an EPIPE here.
 */
#include "mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

G_DEFINE_QUARK (tg-mailer-error-quark, tg_mailer_error)

#define STDERR_KEEP 512

typedef struct {
	int in_fd;  /* child's stdin, -1 once closed */
	int err_fd; /* child's stderr, -1 at EOF */
	const guint8 *data;
	gsize len, done;
	GString *errtext;
	gint64 deadline; /* monotonic, microseconds */
	gboolean broken; /* the child closed its stdin before the end */
} Exchange;

/*
 * In the child, before exec: if we die (Postfix's time limit, a kill),
 * sendmail dies with us before it has queued the mail, and the outbox row
 * we could not mark sent is sent again, once, by sweep. Without this, an
 * orphaned sendmail would finish and sweep would send a second copy.
 */
static void
die_with_parent (gpointer data)
{
	pid_t parent = GPOINTER_TO_INT (data);

	prctl (PR_SET_PDEATHSIG, SIGKILL);
	if (getppid () != parent)
		_exit (127);
}

static char **
build_argv (const char *sendmail, const char *from,
	    const char *const *recipients)
{
	GPtrArray *argv = g_ptr_array_new ();

	g_ptr_array_add (argv, g_strdup (sendmail));
	g_ptr_array_add (argv, g_strdup ("-i"));
	g_ptr_array_add (argv, g_strdup ("-f"));
	g_ptr_array_add (argv, g_strdup (from));
	g_ptr_array_add (argv, g_strdup ("--"));
	for (int i = 0; recipients[i] != NULL; i++)
		g_ptr_array_add (argv, g_strdup (recipients[i]));
	g_ptr_array_add (argv, NULL);
	return (char **) g_ptr_array_free (argv, FALSE);
}

static void
close_fd (int *fd)
{
	if (*fd >= 0)
		close (*fd);
	*fd = -1;
}

/* One round of poll: writes what the child takes, reads what it says. */
static gboolean
exchange_step (Exchange *x, GError **error)
{
	struct pollfd fds[2] = { { x->in_fd, POLLOUT, 0 },
				 { x->err_fd, POLLIN, 0 } };
	gint64 left = x->deadline - g_get_monotonic_time ();
	int n;

	if (left <= 0) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "sendmail timed out");
		return FALSE;
	}
	n = poll (fds, 2, (int) MIN (left / 1000 + 1, 1000));
	if (n < 0 && errno != EINTR) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "poll: %s", g_strerror (errno));
		return FALSE;
	}
	if (n <= 0)
		return TRUE;
	if (fds[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
		ssize_t w = write (x->in_fd, x->data + x->done,
				   MIN (x->len - x->done, 65536));

		if (w < 0 && errno == EPIPE) {
			/* its exit status and stderr will tell why */
			x->broken = TRUE;
			close_fd (&x->in_fd);
			return TRUE;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			g_set_error (error, TG_MAILER_ERROR,
				     TG_MAILER_ERROR_FAILED,
				     "writing to sendmail: %s",
				     g_strerror (errno));
			return FALSE;
		}
		if (w > 0)
			x->done += w;
		if (x->done == x->len)
			close_fd (&x->in_fd);
	}
	if (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) {
		char buf[1024];
		ssize_t r = read (x->err_fd, buf, sizeof buf);

		if (r > 0 && x->errtext->len < STDERR_KEEP)
			g_string_append_len (x->errtext, buf, r);
		else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			close_fd (&x->err_fd);
	}
	return TRUE;
}

/* Waits for @pid until the deadline; kills it past that. The wait is
 * on a pidfd, so that the exit is seen at once: every moment between
 * sendmail queueing the mail and us recording it as sent is a moment in
 * which a crash would make sweep send it a second time. */
static gboolean
reap (GPid pid, gint64 deadline, int *status_out)
{
	int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
	gboolean exited = FALSE;

	for (;;) {
		pid_t r = waitpid (pid, status_out, WNOHANG);
		gint64 left;

		if (r == pid) {
			exited = TRUE;
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		left = deadline - g_get_monotonic_time ();
		if (left <= 0) {
			kill (pid, SIGKILL);
			waitpid (pid, status_out, 0);
			break;
		}
		if (pidfd >= 0) {
			struct pollfd p = { pidfd, POLLIN, 0 };

			poll (&p, 1, (int) MIN (left / 1000 + 1, 1000));
		} else {
			g_usleep (1000); /* kernels before 5.3 have no pidfd */
		}
	}
	if (pidfd >= 0)
		close (pidfd);
	return exited;
}

static char *
first_line (GString *text)
{
	g_autofree char *copy = g_strndup (text->str, text->len);
	char *nl = strchr (copy, '\n');

	if (nl != NULL)
		*nl = '\0';
	return g_strdup (g_strstrip (copy));
}

static gboolean
check_status (int status, GString *errtext, GError **error)
{
	g_autofree char *line = first_line (errtext);
	const char *sep = *line ? ": " : "";

	if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
		return TRUE;
	if (WIFEXITED (status))
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "sendmail exited with %d%s%s",
			     WEXITSTATUS (status), sep, line);
	else
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "sendmail killed by signal %d%s%s",
			     WTERMSIG (status), sep, line);
	return FALSE;
}

gboolean
tg_mailer_send (const char *sendmail,
		const char *envelope_from,
		const char *const *recipients,
		GBytes *content,
		int timeout_seconds,
		GError **error)
{
	g_auto (GStrv) argv = NULL;
	g_autoptr (GString) errtext = g_string_new (NULL);
	Exchange x = { -1, -1, NULL, 0, 0, errtext, 0, FALSE };
	GPid pid = 0;
	int status = 0;
	gboolean ok;

	g_return_val_if_fail (sendmail != NULL && envelope_from != NULL, FALSE);
	g_return_val_if_fail (recipients != NULL && recipients[0] != NULL,
			      FALSE);
	g_return_val_if_fail (content != NULL, FALSE);
	argv = build_argv (sendmail, envelope_from, recipients);
	if (!g_spawn_async_with_pipes (NULL, argv, NULL,
				       G_SPAWN_DO_NOT_REAP_CHILD |
					       G_SPAWN_STDOUT_TO_DEV_NULL,
				       die_with_parent,
				       GINT_TO_POINTER (getpid ()), &pid,
				       &x.in_fd, NULL, &x.err_fd, error)) {
		g_prefix_error (error, "running %s: ", sendmail);
		return FALSE;
	}
	fcntl (x.in_fd, F_SETFL, fcntl (x.in_fd, F_GETFL) | O_NONBLOCK);
	x.data = g_bytes_get_data (content, &x.len);
	x.deadline = g_get_monotonic_time () +
		     (gint64) timeout_seconds * G_USEC_PER_SEC;
	if (x.len == 0)
		close_fd (&x.in_fd);
	ok = TRUE;
	while (ok && (x.in_fd >= 0 || x.err_fd >= 0))
		ok = exchange_step (&x, error);
	close_fd (&x.in_fd);
	close_fd (&x.err_fd);
	if (!reap (pid, ok ? x.deadline : 0, &status)) {
		if (ok)
			g_set_error (error, TG_MAILER_ERROR,
				     TG_MAILER_ERROR_FAILED,
				     "sendmail timed out");
		g_spawn_close_pid (pid);
		return FALSE;
	}
	g_spawn_close_pid (pid);
	if (!ok || !check_status (status, errtext, error))
		return FALSE;
	if (x.broken) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "sendmail exited before reading the whole mail");
		return FALSE;
	}
	return TRUE;
}
