/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mailer: runs sendmail for one mail. The child's stdin and stderr are
 * served by one poll() loop, so that a sendmail that talks a lot cannot
 * deadlock us, and the whole exchange has a deadline. SIGPIPE must be
 * ignored by the program (main does), so a dead child is an EPIPE here.
 * Or it passes the mail to smtp.c, and turns its errors into ours.
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

#include "smtp.h"

G_DEFINE_QUARK (tg-mailer-error-quark, tg_mailer_error)

#define STDERR_KEEP 512

struct _TgMailer {
	char *sendmail; /* the program, when submitting through it */
	TgSmtp *smtp;   /* else the SMTP client and its connection */
};

typedef struct {
	int in_fd;  /* child's stdin, -1 once closed */
	int err_fd; /* child's stderr, -1 at EOF */
	const guint8 *data;
	gsize len, done;
	GString *errtext;
	gint64 deadline; /* monotonic, microseconds */
	gboolean broken; /* the child closed its stdin before the end */
} Exchange;

static void
close_pair (int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close (fds[i]);
}

/* Closes every descriptor from @first on, in the child before exec. */
static void
close_from (int first)
{
#ifdef SYS_close_range
	if (syscall (SYS_close_range, first, ~0U, 0) == 0)
		return;
#endif
	for (int fd = first; fd < 1024; fd++)
		close (fd);
}

/*
 * Starts sendmail with its standard input and error on pipes and its
 * output on /dev/null. With vfork() the child borrows our memory until it
 * execs, so no page tables are copied: a fork of deliver cost more than
 * all the rest of the hand-off. Between vfork and exec the child makes
 * system calls only. It asks to be killed when we die, so that if
 * deliver is killed (Postfix's time limit, a kill) sendmail dies with it
 * before it has queued the mail, and the outbox row we could not mark
 * sent is sent again, once, by sweep; an orphaned sendmail would finish
 * and sweep would send a second copy.
 */
static gboolean
spawn (char **argv, GPid *pid_out, int *in_out, int *err_out, GError **error)
{
	int in[2] = { -1, -1 }, err[2] = { -1, -1 };
	int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t parent = getpid ();
	pid_t pid = -1;

	if (devnull < 0 || pipe2 (in, O_CLOEXEC) < 0 ||
	    pipe2 (err, O_CLOEXEC) < 0 || (pid = vfork ()) < 0) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "%s", g_strerror (errno));
		close_pair (in);
		close_pair (err);
		if (devnull >= 0)
			close (devnull);
		return FALSE;
	}
	if (pid == 0) {
		prctl (PR_SET_PDEATHSIG, SIGKILL);
		if (getppid () != parent || dup2 (in[0], 0) < 0 ||
		    dup2 (devnull, 1) < 0 || dup2 (err[1], 2) < 0)
			_exit (127);
		close_from (3);
		execv (argv[0], argv);
		_exit (127);
	}
	close (in[0]);
	close (err[1]);
	close (devnull);
	*pid_out = pid;
	*in_out = in[1];
	*err_out = err[0];
	return TRUE;
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
	if (access (sendmail, X_OK) < 0) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "running %s: %s", sendmail, g_strerror (errno));
		return FALSE;
	}
	argv = build_argv (sendmail, envelope_from, recipients);
	if (!spawn (argv, &pid, &x.in_fd, &x.err_fd, error)) {
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
		return FALSE;
	}
	if (!ok || !check_status (status, errtext, error))
		return FALSE;
	if (x.broken) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "sendmail exited before reading the whole mail");
		return FALSE;
	}
	return TRUE;
}

TgMailer *
tg_mailer_new (const char *submit, const char *sendmail, GError **error)
{
	g_autoptr (GError) local = NULL;
	TgMailer *m;

	g_return_val_if_fail (submit != NULL && sendmail != NULL, NULL);
	m = g_new0 (TgMailer, 1);
	if (strcmp (submit, TG_MAILER_SENDMAIL) == 0) {
		m->sendmail = g_strdup (sendmail);
		return m;
	}
	m->smtp = tg_smtp_new (submit, NULL, &local);
	if (m->smtp == NULL) {
		g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED,
			     "%s", local->message);
		g_free (m);
		return NULL;
	}
	return m;
}

gboolean
tg_mailer_submit (TgMailer *m,
		  const char *envelope_from,
		  const char *const *recipients,
		  GBytes *content,
		  int timeout_seconds,
		  GError **error)
{
	g_autoptr (GError) local = NULL;
	gint64 deadline;

	g_return_val_if_fail (m != NULL, FALSE);
	if (m->sendmail != NULL)
		return tg_mailer_send (m->sendmail, envelope_from, recipients,
				       content, timeout_seconds, error);
	deadline = g_get_monotonic_time () +
		   (gint64) timeout_seconds * G_USEC_PER_SEC;
	if (tg_smtp_send (m->smtp, envelope_from, recipients, content,
			  deadline, &local))
		return TRUE;
	/* One domain for the callers: every failure is retried alike. */
	g_set_error (error, TG_MAILER_ERROR, TG_MAILER_ERROR_FAILED, "%s",
		     local->message);
	return FALSE;
}

void
tg_mailer_free (TgMailer *m)
{
	if (m == NULL)
		return;
	g_free (m->sendmail);
	tg_smtp_free (m->smtp);
	g_free (m);
}
