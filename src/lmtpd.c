/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lmtpd: a master process and [lmtpd] processes workers, as Postfix and
 * Dovecot run their services. The master opens the sockets (or takes
 * them from systemd), forks the workers and replaces any that exits; it
 * never reads mail. A worker accepts one connection at a time, so the
 * number of sessions served at once, and of database connections, is
 * the number of workers; further clients wait in the listen queue.
 *
 * Each recipient of a mail is taken in by intake, as deliver takes in
 * the mail Postfix pipes to it for that recipient, under the same time
 * limit. A worker whose mail failed after it reached the database ends
 * its session and exits: the answers it may have committed are claimed
 * in its name (owner.h), and Postfix's retry of that mail can take them
 * over at once only when that name is gone.
 */
#include "lmtpd.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <fcntl.h>
#include <unistd.h>

#include "endpoint.h"
#include "exitcode.h"
#include "intake.h"
#include "lmtp.h"
#include "reply.h"
#include "settings.h"
#include "store.h"

/* Recipients in one transaction (Postfix's lmtp sends up to
 * lmtp_destination_recipient_limit, 50 by default). */
#define MAX_RECIPIENTS 50
/* A worker that dies this soon after its start is restarted only after
 * a pause, doubled each time up to the last. */
#define QUICK_DEATH_US (2 * G_USEC_PER_SEC)
#define BACKOFF_FIRST_US (G_USEC_PER_SEC / 4)
#define BACKOFF_MAX_US (30 * G_USEC_PER_SEC)
#define LISTEN_BACKLOG 128
/* Addresses to listen on, from the configuration, --listen or systemd. */
#define MAX_LISTENERS 16
/* Pauses between attempts to connect to a database that is down. */
#define CONNECT_PAUSE_FIRST (G_USEC_PER_SEC / 4)
#define CONNECT_PAUSE_MAX (2 * G_USEC_PER_SEC)
/* systemd's socket activation: the first descriptor passed. */
#define SD_LISTEN_FDS_START 3

/* ---- a worker ------------------------------------------------------ */

typedef struct {
	TgSettings *config;
	TgReplies *replies;
	TgStore *store;
	TgMailer *mailer;	/* its SMTP connection kept ([mail] submit) */
	gint64 connect_at;	/* monotonic: no new connection before */
	gint64 connect_pause;	/* after a failed one, doubled each time */
	char hostname[256];
} Worker;

static volatile sig_atomic_t stop_requested;

/* The alarm's last word to the client, prepared beforehand. */
static char alarm_line[192];
static gsize alarm_len;
static int alarm_fd = -1;
static int alarm_code;

static void
on_stop (int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* Our time limit: the client hears 421 (Postfix keeps the mail and
 * retries); an open transaction dies with the process. */
static void
on_alarm (int sig)
{
	(void) sig;
	if (alarm_fd >= 0)
		tg_lmtp_write_now (alarm_fd, alarm_line, alarm_len);
	_exit (alarm_code);
}

static void
arm_time_limit (const Worker *w)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	alarm_code = tg_exit_code (TG_FAULT_TIME_LIMIT, TG_CALLER_DELIVER);
	alarm_len = (gsize) g_snprintf (alarm_line, sizeof alarm_line,
					/* english: a protocol reply */
					"421 %s %s time limit of %d seconds "
					"exceeded\r\n",
					tg_exit_status (TG_FAULT_TIME_LIMIT),
					w->hostname, w->config->time_limit);
	sigaction (SIGALRM, &sa, NULL);
	alarm (w->config->time_limit);
}

static gboolean
stopping (gpointer data)
{
	(void) data;
	return stop_requested != 0;
}

/*
 * A connection kept from the last mail, or a new one, its statements
 * prepared once for all the mails it will serve. After a failed attempt
 * the next waits a little, then longer, up to CONNECT_PAUSE_MAX: while
 * the database is down, mail is deferred at once instead of each waiting
 * for connect_timeout.
 */
static gboolean
ensure_store (Worker *w, GError **error)
{
	const TgSettings *c = w->config;
	g_autoptr (GError) local = NULL;
	gint64 now = g_get_monotonic_time ();

	if (w->store != NULL && tg_store_is_usable (w->store))
		return TRUE;
	g_clear_pointer (&w->store, tg_store_free);
	if (now < w->connect_at) {
		g_set_error_literal (error, TG_INTAKE_ERROR, TG_FAULT_DB_DOWN,
				     "database unavailable, will retry");
		return FALSE;
	}
	w->store = tg_store_connect (c->conninfo, "ticketgate-lmtpd",
				     c->connect_timeout, c->statement_timeout,
				     &local);
	if (w->store != NULL) {
		tg_store_prepare_statements (w->store);
		w->connect_pause = 0;
		return TRUE;
	}
	w->connect_pause = w->connect_pause == 0
		? CONNECT_PAUSE_FIRST
		: MIN (w->connect_pause * 2, CONNECT_PAUSE_MAX);
	w->connect_at = g_get_monotonic_time () + w->connect_pause;
	tg_intake_fail (local, error);
	return FALSE;
}

static void
failed (TgLmtpReply *reply, const char *rcpt, const GError *error)
{
	reply->code = tg_exit_code (error->code, TG_CALLER_LMTP);
	reply->text = g_strdup_printf ("%s <%s> %s",
				       tg_exit_status (error->code), rcpt,
				       error->message);
	g_warning ("lmtpd: <%s> not taken (%d %s): %s", rcpt, reply->code,
		   tg_exit_status (error->code), error->message);
}

/* One recipient of the mail, as deliver with RECIPIENT set to it. */
static gboolean
deliver_one (gpointer data, const TgLmtpMail *mail, guint index,
	     TgLmtpReply *reply)
{
	Worker *w = data;
	const char *rcpt = mail->recipients[index];
	g_autoptr (GError) error = NULL;
	g_autoptr (TgIntake) in = NULL;
	g_autofree char *outcome = NULL;
	gboolean keep = TRUE;
	TgEnvelope env = {
		.sender = mail->sender,
		.recipient = rcpt,
		.queue_id = mail->queue_id,
	};

	arm_time_limit (w);
	if (w->mailer == NULL)
		w->mailer = tg_mailer_new (w->config->submit,
					   w->config->sendmail, NULL);
	in = tg_intake_new (w->config, w->replies, g_get_monotonic_time ());
	tg_intake_use_mailer (in, w->mailer);
	if (tg_intake_read (in, mail->spool, &env, &error) &&
	    ensure_store (w, &error) &&
	    !tg_intake_store (in, w->store, &error)) {
		g_clear_pointer (&w->store, tg_store_free);
		keep = FALSE;
	}
	alarm (0);
	if (error != NULL) {
		failed (reply, rcpt, error);
		return keep;
	}
	outcome = tg_intake_outcome (in);
	reply->code = 250;
	reply->text = g_strdup_printf ("2.0.0 <%s> %s", rcpt, outcome);
	return TRUE;
}

static TgLmtpEnd
serve (Worker *w, int in_fd, int out_fd)
{
	const TgSettings *c = w->config;
	TgLmtpServer server = {
		.hostname = w->hostname,
		.max_size = c->max_message_size,
		.spool_memory = c->spool_memory,
		.spool_directory = *c->spool_directory ? c->spool_directory
						       : NULL,
		.max_recipients = MAX_RECIPIENTS,
		.timeout = c->lmtpd_timeout,
		.deliver = deliver_one,
		.stopping = stopping,
		.data = w,
	};
	TgLmtpEnd end;

	alarm_fd = out_fd;
	end = tg_lmtp_serve (&server, in_fd, out_fd);
	alarm_fd = -1;
	g_debug ("lmtpd: session ended: %s", tg_lmtp_end_name (end));
	return end;
}

static void
catch_stop (void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	/* No SA_RESTART: a wait in poll() or accept() returns at once. */
	sigaction (SIGTERM, &sa, NULL);
	sigaction (SIGINT, &sa, NULL);
	sigaction (SIGHUP, &sa, NULL);
}

/* Accepts and serves sessions until told to stop. */
static int
worker_loop (Worker *w, const int *listeners, guint n)
{
	struct pollfd p[MAX_LISTENERS];

	for (guint i = 0; i < n; i++)
		p[i] = (struct pollfd) { .fd = listeners[i], .events = POLLIN };
	while (!stop_requested) {
		if (poll (p, n, 1000) <= 0)
			continue;
		for (guint i = 0; i < n && !stop_requested; i++) {
			int fd;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4 (listeners[i], NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue; /* another worker was faster */
			if (serve (w, fd, fd) == TG_LMTP_END_DELIVER) {
				close (fd);
				g_clear_pointer (&w->mailer, tg_mailer_free);
				return EX_OK;
			}
			close (fd);
		}
	}
	g_clear_pointer (&w->mailer, tg_mailer_free);
	g_clear_pointer (&w->store, tg_store_free);
	return EX_OK;
}

/* ---- privileges ---------------------------------------------------- */

/* Started as root, the workers run as [lmtpd] user ("root" keeps root,
 * with a warning: the database and the journal then belong to root). */
static gboolean
drop_privileges (const TgSettings *c, GError **error)
{
	struct passwd *pw;

	if (geteuid () != 0)
		return TRUE;
	if (strcmp (c->lmtpd_user, "root") == 0) {
		g_warning ("lmtpd: running as root ([lmtpd] user = root)");
		return TRUE;
	}
	pw = getpwnam (c->lmtpd_user);
	if (pw == NULL) {
		g_set_error (error, TG_SETTINGS_ERROR,
			     TG_SETTINGS_ERROR_INVALID,
			     "%s: [lmtpd] user: no such user \"%s\"",
			     c->path, c->lmtpd_user);
		return FALSE;
	}
	if (initgroups (pw->pw_name, pw->pw_gid) != 0 ||
	    setgid (pw->pw_gid) != 0 || setuid (pw->pw_uid) != 0) {
		g_set_error (error, TG_SETTINGS_ERROR,
			     TG_SETTINGS_ERROR_INVALID,
			     "[lmtpd] user: cannot become \"%s\": %s",
			     c->lmtpd_user, g_strerror (errno));
		return FALSE;
	}
	return TRUE;
}

/* ---- the master ---------------------------------------------------- */

typedef struct {
	GPid pid;	   /* 0: the slot is free */
	gint64 started;	   /* monotonic */
} Slot;

typedef struct {
	const char *config_path;
	Worker w;	   /* what a new worker starts with */
	int *listeners;
	guint n_listeners;
	GArray *unix_paths; /* char *: socket files to remove at the end */
	Slot *slots;
	guint n_slots;
	GArray *old;	   /* GPid: workers of an older configuration */
	gint64 backoff, next_start;
} Master;

static GPid
spawn (Master *m)
{
	GPid pid = fork ();
	g_autoptr (GError) error = NULL;
	sigset_t none;

	if (pid != 0)
		return pid;
	sigemptyset (&none);
	sigprocmask (SIG_SETMASK, &none, NULL);
	catch_stop ();
	if (!drop_privileges (m->w.config, &error)) {
		g_warning ("lmtpd: %s", error->message);
		_exit (EX_CONFIG);
	}
	_exit (worker_loop (&m->w, m->listeners, m->n_listeners));
}

/* Fills free slots, pausing after workers that die at once. */
static void
fill_slots (Master *m)
{
	gint64 now = g_get_monotonic_time ();

	if (now < m->next_start)
		return;
	for (guint i = 0; i < m->n_slots; i++) {
		if (m->slots[i].pid != 0)
			continue;
		m->slots[i].pid = spawn (m);
		m->slots[i].started = now;
		if (m->slots[i].pid < 0) {
			g_warning ("lmtpd: fork: %s", g_strerror (errno));
			m->slots[i].pid = 0;
		}
	}
}

static void
reaped (Master *m, GPid pid, int status)
{
	gint64 now = g_get_monotonic_time ();

	for (guint i = 0; i < m->old->len; i++)
		if (g_array_index (m->old, GPid, i) == pid) {
			g_array_remove_index_fast (m->old, i);
			return;
		}
	for (guint i = 0; i < m->n_slots; i++) {
		if (m->slots[i].pid != pid)
			continue;
		m->slots[i].pid = 0;
		if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
			g_warning ("lmtpd: worker %d ended (status %d)",
				   (int) pid, status);
		/* A worker that ended its own session on purpose (a
		 * failed store) exits 0 and is replaced at once. */
		if (WIFEXITED (status) && WEXITSTATUS (status) == 0) {
			m->backoff = 0;
		} else if (now - m->slots[i].started < QUICK_DEATH_US) {
			m->backoff = m->backoff == 0
				? BACKOFF_FIRST_US
				: MIN (m->backoff * 2, BACKOFF_MAX_US);
			m->next_start = now + m->backoff;
		} else {
			m->backoff = 0;
		}
	}
}

static void
reap (Master *m)
{
	int status;
	GPid pid;

	while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
		reaped (m, pid, status);
}

static gboolean
load (const char *path, TgSettings **config, TgReplies **replies,
      GError **error)
{
	g_autoptr (TgSettings) c = tg_settings_load (path, error);

	if (c == NULL || !tg_settings_check (c, error))
		return FALSE;
	*replies = tg_replies_load (c->templates_directory, error);
	if (*replies == NULL)
		return FALSE;
	*config = g_steal_pointer (&c);
	return TRUE;
}

/* SIGHUP: a configuration that loads replaces the workers; each old one
 * finishes its session first. One that does not load changes nothing. */
static void
reload (Master *m)
{
	g_autoptr (GError) error = NULL;
	TgSettings *config = NULL;
	TgReplies *replies = NULL;

	if (!load (m->config_path, &config, &replies, &error)) {
		g_warning ("lmtpd: configuration not reloaded: %s",
			   error->message);
		return;
	}
	tg_settings_free (m->w.config);
	tg_replies_free (m->w.replies);
	m->w.config = config;
	m->w.replies = replies;
	for (guint i = 0; i < m->n_slots; i++)
		if (m->slots[i].pid != 0) {
			kill (m->slots[i].pid, SIGTERM);
			g_array_append_val (m->old, m->slots[i].pid);
			m->slots[i].pid = 0;
		}
	if ((guint) config->lmtpd_processes != m->n_slots) {
		m->n_slots = (guint) config->lmtpd_processes;
		m->slots = g_renew (Slot, m->slots, m->n_slots);
		memset (m->slots, 0, m->n_slots * sizeof *m->slots);
	}
	m->backoff = 0;
	m->next_start = 0;
	g_message ("lmtpd: configuration reloaded");
}

/* SIGTERM: every worker finishes its session in flight, then all end. */
static void
shut_down (Master *m)
{
	int status;

	for (guint i = 0; i < m->n_slots; i++)
		if (m->slots[i].pid != 0)
			kill (m->slots[i].pid, SIGTERM);
	for (guint i = 0; i < m->old->len; i++)
		kill (g_array_index (m->old, GPid, i), SIGTERM);
	while (waitpid (-1, &status, 0) > 0 || errno == EINTR)
		;
	for (guint i = 0; i < m->unix_paths->len; i++)
		unlink (g_array_index (m->unix_paths, char *, i));
}

static int
master_loop (Master *m)
{
	sigset_t set;

	sigemptyset (&set);
	sigaddset (&set, SIGCHLD);
	sigaddset (&set, SIGTERM);
	sigaddset (&set, SIGINT);
	sigaddset (&set, SIGHUP);
	sigprocmask (SIG_BLOCK, &set, NULL);
	g_message ("lmtpd: started, %u processes", m->n_slots);
	for (;;) {
		struct timespec tick = { .tv_sec = 0, .tv_nsec = 250000000 };
		int sig;

		fill_slots (m);
		sig = sigtimedwait (&set, NULL, &tick);
		if (sig == SIGCHLD)
			reap (m);
		else if (sig == SIGHUP)
			reload (m);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	shut_down (m);
	g_message ("lmtpd: stopped");
	return EX_OK;
}

/* ---- sockets ------------------------------------------------------- */

/* Descriptors systemd passed (LISTEN_FDS), if they are ours. */
static guint
inherited_listeners (int **out)
{
	const char *pid = g_getenv ("LISTEN_PID");
	const char *fds = g_getenv ("LISTEN_FDS");
	guint64 n = 0;

	if (pid == NULL || fds == NULL ||
	    g_ascii_strtoull (pid, NULL, 10) != (guint64) getpid () ||
	    !g_ascii_string_to_unsigned (fds, 10, 1, MAX_LISTENERS, &n,
					 NULL))
		return 0;
	*out = g_new (int, n);
	for (guint i = 0; i < n; i++) {
		(*out)[i] = SD_LISTEN_FDS_START + (int) i;
		fcntl ((*out)[i], F_SETFD, FD_CLOEXEC);
	}
	return (guint) n;
}

/*
 * The addresses of a --listen or [lmtpd] listen list, at most
 * MAX_LISTENERS; NULL with a G_OPTION_ERROR saying why.
 */
static GArray *
listen_list (const char *text, GError **error)
{
	g_autoptr (GArray) all = g_array_new (FALSE, TRUE, sizeof (TgEndpoint));
	g_autofree char *why = NULL;

	g_array_set_clear_func (all, (GDestroyNotify) tg_endpoint_clear);
	if (!tg_endpoint_parse_list (text, &all, &why)) {
		g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			     "%s", why);
		return NULL;
	}
	if (all->len > MAX_LISTENERS) {
		g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			     "more than %d addresses to listen on",
			     MAX_LISTENERS);
		return NULL;
	}
	return g_steal_pointer (&all);
}

static gboolean
open_listeners (Master *m, const char *const *listen, GError **error)
{
	g_autoptr (GArray) all = NULL;

	m->n_listeners = inherited_listeners (&m->listeners);
	if (m->n_listeners == 0) {
		g_autofree char *joined =
			listen != NULL ? g_strjoinv (",", (char **) listen)
				       : g_strdup (m->w.config->lmtpd_listen);

		all = listen_list (joined, error);
		if (all == NULL) {
			g_prefix_error (error, "%s: ", listen != NULL
						       ? "--listen"
						       : "[lmtpd] listen");
			return FALSE;
		}
		m->listeners = g_new (int, all->len);
	}
	for (guint i = 0; all != NULL && i < all->len; i++) {
		const TgEndpoint *e = &g_array_index (all, TgEndpoint, i);
		int fd = tg_endpoint_listen (e, LISTEN_BACKLOG, error);

		if (fd < 0)
			return FALSE;
		m->listeners[m->n_listeners++] = fd;
		if (e->kind == TG_ENDPOINT_UNIX) {
			char *path = g_strdup (e->path);

			g_array_append_val (m->unix_paths, path);
		}
	}
	/* Every worker polls them; the one whose accept() wins serves. */
	for (guint i = 0; i < m->n_listeners; i++)
		fcntl (m->listeners[i], F_SETFL,
		       fcntl (m->listeners[i], F_GETFL) | O_NONBLOCK);
	return TRUE;
}

/* ---- the command --------------------------------------------------- */

typedef struct {
	gboolean stdio;
	char **listen;
} Options;

/* --listen is the command line's, so a value that is no address is a
 * usage error, said before anything is loaded. */
static gboolean
check_listen (const char *const *listen, GError **error)
{
	g_autofree char *joined = NULL;
	g_autoptr (GArray) all = NULL;

	if (listen == NULL)
		return TRUE;
	joined = g_strjoinv (",", (char **) listen);
	all = listen_list (joined, error);
	if (all == NULL)
		g_prefix_error (error, "--listen: ");
	return all != NULL;
}

static gboolean
parse_options (int argc, char **argv, Options *o, GError **error)
{
	GOptionEntry entries[] = {
		{ "stdio", 0, 0, G_OPTION_ARG_NONE, &o->stdio,
		  "Serve one session on standard input and output (inetd, "
		  "systemd Accept=yes, tests)", NULL },
		{ "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &o->listen,
		  "Listen on ADDR (unix:/PATH or inet:ADDRESS:PORT) instead "
		  "of [lmtpd] listen; repeatable", "ADDR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GOptionContext) ctx =
		g_option_context_new ("- serve LMTP for Postfix's lmtp(8)");

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, error))
		return FALSE;
	if (argc > 1) {
		g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			     "unexpected argument \"%s\"", argv[1]);
		return FALSE;
	}
	return check_listen ((const char *const *) o->listen, error);
}

/* One session on standard input and output; a configuration that does
 * not load is said to the client, which keeps the mail. */
static int
run_stdio (const char *path)
{
	g_autoptr (GError) error = NULL;
	Worker w = { 0 };
	int code = EX_OK;

	gethostname (w.hostname, sizeof w.hostname - 1);
	if (!load (path, &w.config, &w.replies, &error) ||
	    !drop_privileges (w.config, &error)) {
		g_autofree char *line = g_strdup_printf (
			"421 %s %s\r\n", tg_exit_status (TG_FAULT_CONFIG),
			error->message);

		g_warning ("lmtpd: %s", error->message);
		tg_lmtp_write_now (STDOUT_FILENO, line, strlen (line));
		/* Run by a supervisor, as sweep is by cron. */
		code = tg_exit_code (TG_FAULT_CONFIG, TG_CALLER_SWEEP);
	} else {
		catch_stop ();
		serve (&w, STDIN_FILENO, STDOUT_FILENO);
	}
	tg_store_free (w.store);
	tg_mailer_free (w.mailer);
	tg_replies_free (w.replies);
	tg_settings_free (w.config);
	return code;
}

static void
master_clear (Master *m)
{
	tg_store_free (m->w.store);
	tg_replies_free (m->w.replies);
	tg_settings_free (m->w.config);
	for (guint i = 0; i < m->n_listeners; i++)
		close (m->listeners[i]);
	g_free (m->listeners);
	for (guint i = 0; i < m->unix_paths->len; i++)
		g_free (g_array_index (m->unix_paths, char *, i));
	g_array_unref (m->unix_paths);
	g_array_unref (m->old);
	g_free (m->slots);
}

static int
run_daemon (const char *path, const Options *o)
{
	g_autoptr (GError) error = NULL;
	Master m = {
		.config_path = path,
		.unix_paths = g_array_new (FALSE, TRUE, sizeof (char *)),
		.old = g_array_new (FALSE, TRUE, sizeof (GPid)),
	};
	int code;

	gethostname (m.w.hostname, sizeof m.w.hostname - 1);
	if (!load (path, &m.w.config, &m.w.replies, &error) ||
	    !open_listeners (&m, (const char *const *) o->listen, &error)) {
		g_printerr ("ticketgate lmtpd: %s\n", error->message);
		g_warning ("lmtpd: %s", error->message);
		master_clear (&m);
		return error->domain == TG_ENDPOINT_ERROR
			? EX_OSERR
			: tg_exit_code (TG_FAULT_CONFIG, TG_CALLER_SWEEP);
	}
	m.n_slots = (guint) m.w.config->lmtpd_processes;
	m.slots = g_new0 (Slot, m.n_slots);
	code = master_loop (&m);
	master_clear (&m);
	return code;
}

int
tg_lmtpd_main (const char *config_path, int argc, char **argv)
{
	Options o = { 0 };
	g_autoptr (GError) error = NULL;
	g_autofree char *path = tg_settings_default_path (config_path);
	int code;

	if (!parse_options (argc, argv, &o, &error)) {
		g_printerr ("ticketgate lmtpd: %s\n", error->message);
		g_strfreev (o.listen);
		return EX_USAGE;
	}
	code = o.stdio ? run_stdio (path) : run_daemon (path, &o);
	g_strfreev (o.listen);
	return code;
}
