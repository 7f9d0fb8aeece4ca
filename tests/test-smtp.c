/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-smtp: the SMTP client against tests/lib/smtp_sink.py, a real
 * server on a socket: the addresses it accepts, the data on the wire
 * (dots doubled, CRLF), the envelope, multi-line replies and HELO, a
 * refused recipient and a refused end of data, a stalled server, one
 * connection for two mails, a new one when the idle one was closed, and
 * no second try once the final dot was sent.
 */
#include "smtp.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tgtest.h"

typedef struct {
	char *dir;     /* the sink's folder: mails, log, switches */
	char *address; /* the client's view of it */
	GPid pid;
} Fixture;

static char *
file_text (const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename (dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return NULL;
	return text;
}

static gboolean
has_file (const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename (dir, name, NULL);

	return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
set_switch (Fixture *f, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename (f->dir, name, NULL);

	g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* Starts the sink, on a unix socket when @data is non-NULL, and waits
 * until it accepts. */
static void
setup (Fixture *f, gconstpointer data)
{
	g_autofree char *sink =
		g_test_build_filename (G_TEST_DIST, "lib", "smtp_sink.py", NULL);
	g_autofree char *port_file = NULL;
	g_autofree char *sock = NULL;
	g_autofree char *port = NULL;
	g_autoptr (GError) error = NULL;
	const char *argv[10] = { "python3", sink, "--dir", NULL, "--port-file",
				 NULL, "--lifetime", "120", NULL, NULL };

	f->dir = g_dir_make_tmp ("tgsmtp.XXXXXX", &error);
	g_assert_no_error (error);
	port_file = g_build_filename (f->dir, "port", NULL);
	sock = g_build_filename (f->dir, "sock", NULL);
	argv[3] = f->dir;
	argv[5] = port_file;
	if (data != NULL) {
		argv[8] = g_strconcat ("--unix=", sock, NULL);
	}
	g_spawn_async (NULL, (char **) argv, NULL,
		       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
		       NULL, &f->pid, &error);
	g_free ((char *) argv[8]);
	g_assert_no_error (error);
	for (int i = 0; i < 1000 && port == NULL; i++) {
		port = file_text (f->dir, "port");
		if (port == NULL)
			g_usleep (10000);
	}
	g_assert_nonnull (port);
	g_strstrip (port);
	f->address = data != NULL
			     ? g_strconcat ("unix:", sock, NULL)
			     : g_strconcat ("inet:127.0.0.1:", port, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
	g_autoptr (GDir) dir = NULL;
	const char *name;

	kill (f->pid, SIGTERM);
	waitpid (f->pid, NULL, 0);
	g_spawn_close_pid (f->pid);
	dir = g_dir_open (f->dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *path = g_build_filename (f->dir, name, NULL);

		g_unlink (path);
	}
	g_rmdir (f->dir);
	g_free (f->dir);
	g_free (f->address);
}

static gint64
in_seconds (int s)
{
	return g_get_monotonic_time () + (gint64) s * G_USEC_PER_SEC;
}

/* How many lines of the sink's log contain @what. */
static int
log_count (Fixture *f, const char *what)
{
	g_autofree char *log = file_text (f->dir, "log");
	int n = 0;

	for (const char *p = log; p != NULL && (p = strstr (p, what)) != NULL;
	     p++)
		n++;
	return n;
}

static gboolean
send_text (TgSmtp *smtp, const char *from, const char *const *rcpts,
	   const char *text, gint64 deadline, GError **error)
{
	g_autoptr (GBytes) content = g_bytes_new (text, strlen (text));

	return tg_smtp_send (smtp, from, rcpts, content, deadline, error);
}

static const char *const one_rcpt[] = { "jane@acme.example", NULL };

typedef struct {
	const char *label;
	const char *address;
	gboolean valid;
} AddressRow;

static const AddressRow address_rows[] = {
	{ "IPv4", "inet:127.0.0.1:25", TRUE },
	{ "IPv6", "inet:[::1]:10025", TRUE },
	{ "unix", "unix:/var/spool/postfix/public/submit", TRUE },
	{ "no port", "inet:127.0.0.1", FALSE },
	{ "port 0", "inet:127.0.0.1:0", FALSE },
	{ "port too big", "inet:127.0.0.1:65536", FALSE },
	{ "port not a number", "inet:127.0.0.1:smtp", FALSE },
	{ "a name", "inet:localhost:25", FALSE },
	{ "IPv6 without brackets", "inet:::1:25", FALSE },
	{ "IPv6 unclosed", "inet:[::1:25", FALSE },
	{ "relative unix path", "unix:postfix/submit", FALSE },
	{ "no kind", "127.0.0.1:25", FALSE },
	{ "empty", "", FALSE },
};

static void
test_address (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (address_rows); i++) {
		const AddressRow *r = &address_rows[i];
		g_autofree char *why = NULL;
		gboolean got = tg_smtp_check_address (r->address, &why);

		if (got != r->valid)
			tg_test_fail_row ("%s: got %d, want %d (%s)", r->label,
					  got, r->valid, why ? why : "");
		if (!got && (why == NULL || *why == '\0'))
			tg_test_fail_row ("%s: no reason given", r->label);
	}
}

static void
test_new_invalid (void)
{
	g_autoptr (GError) error = NULL;
	TgSmtp *smtp = tg_smtp_new ("inet:nowhere", NULL, &error);

	g_assert_null (smtp);
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_INVALID);
}

/* Bare LF becomes CRLF, lines starting with '.' get a second one, the
 * envelope and SIZE= are as given, and the mail reads back unchanged. */
static void
test_data (Fixture *f, gconstpointer data)
{
	static const char text[] = "Subject: dots\n\n.\n..two\n.three\nend.\n";
	static const char wire[] =
		"Subject: dots\r\n\r\n..\r\n...two\r\n..three\r\nend.\r\n";
	const char *const rcpts[] = { "jane@acme.example", "carl@acme.example",
				      NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, "desk.test", &error);
	g_autofree char *raw = NULL;
	g_autofree char *eml = NULL;
	g_autofree char *args = NULL;
	g_autofree char *mail_from = NULL;

	g_assert_no_error (error);
	g_assert_true (send_text (smtp, "support@desk.example", rcpts, text,
				  in_seconds (10), &error));
	g_assert_no_error (error);
	raw = file_text (f->dir, "0001.raw");
	eml = file_text (f->dir, "0001.eml");
	args = file_text (f->dir, "0001.args");
	g_assert_cmpstr (raw, ==, wire);
	g_assert_cmpstr (eml, ==, text);
	g_assert_cmpstr (args, ==,
			 "-i\n-f\nsupport@desk.example\n--\n"
			 "jane@acme.example\ncarl@acme.example\n");
	mail_from = g_strdup_printf ("MAIL FROM:<support@desk.example> "
				     "SIZE=%zu\n",
				     strlen (text) + 6);
	g_assert_cmpint (log_count (f, mail_from), ==, 1);
	g_assert_cmpint (log_count (f, "EHLO desk.test"), ==, 1);
}

/* CRLF content is sent as it is; a mail without a final line end gets
 * one; 8-bit content is announced when the server takes it; the null
 * sender is <>. */
static void
test_crlf (Fixture *f, gconstpointer data)
{
	static const char text[] = "Subject: x\r\n\r\nJ\xc3\xa4nis\r\nlast";
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);
	g_autofree char *raw = NULL;
	g_autofree char *mail_from = g_strdup_printf (
		"MAIL FROM:<> SIZE=%zu BODY=8BITMIME\n", strlen (text) + 2);

	g_assert_no_error (error);
	g_assert_true (send_text (smtp, "", one_rcpt, text, in_seconds (10),
				  &error));
	g_assert_no_error (error);
	raw = file_text (f->dir, "0001.raw");
	g_assert_cmpstr (raw, ==,
			 "Subject: x\r\n\r\nJ\xc3\xa4nis\r\nlast\r\n");
	g_assert_cmpint (log_count (f, mail_from), ==, 1);
}

/* A greeting of several lines, and a server without EHLO: HELO. */
static void
test_multiline (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, "desk.test", &error);

	set_switch (f, "greeting", "220-sink.test first\n220-second\n220 "
				   "third\n");
	set_switch (f, "no-ehlo", "");
	g_assert_true (send_text (smtp, "support@desk.example", one_rcpt,
				  "Subject: x\n\nhi\n", in_seconds (10),
				  &error));
	g_assert_no_error (error);
	g_assert_cmpint (log_count (f, "HELO desk.test"), ==, 1);
	/* no SIZE= without EHLO */
	g_assert_cmpint (log_count (f, "MAIL FROM:<support@desk.example>\n"),
			 ==, 1);
}

/* A server closing at EHLO (421) is not talked to any further. */
static void
test_ehlo_421 (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, "desk.test", &error);

	set_switch (f, "ehlo-reply", "421 4.3.2 shutting down\n");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (10),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message,
				  "EHLO refused: 421 4.3.2 shutting down"));
	g_assert_cmpint (log_count (f, "HELO"), ==, 0);
	g_assert_false (tg_smtp_is_connected (smtp));
}

/* One recipient refused: the whole mail is, and nothing is recorded. */
static void
test_refused_rcpt (Fixture *f, gconstpointer data)
{
	const char *const rcpts[] = { "jane@acme.example", "gone@acme.example",
				      NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	set_switch (f, "refuse-rcpt", "gone@acme.example\n");
	g_assert_false (send_text (smtp, "support@desk.example", rcpts,
				   "Subject: x\n\nhi\n", in_seconds (10),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, "RCPT TO refused: 550 5.1.1"));
	g_assert_false (has_file (f->dir, "0001.eml"));
	g_assert_cmpint (log_count (f, "DATA"), ==, 0);
	g_assert_false (tg_smtp_is_connected (smtp));
}

/* 4xx to the end of the data: not taken, a temporary error. */
static void
test_data_4xx (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	set_switch (f, "fail-data", "451 4.3.0 queue file write error\n");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (10),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message,
				  "end of the data refused: 451 4.3.0 queue"));
	g_clear_error (&error);
	set_switch (f, "fail-data", "554 5.7.1 no thanks\n");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (10),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_REFUSED);
	g_assert_false (has_file (f->dir, "0001.eml"));
}

/* A server that stops answering after the data: the deadline ends it. */
static void
test_timeout (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);
	gint64 start = g_get_monotonic_time ();
	gint64 took;

	set_switch (f, "stall", "data-end");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (1),
				   &error));
	took = g_get_monotonic_time () - start;
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message,
				  "timed out after the end of the data"));
	g_assert_cmpint (took, >=, G_USEC_PER_SEC - 20000);
	g_assert_cmpint (took, <, 3 * G_USEC_PER_SEC);
	g_clear_error (&error);
	/* and one that does not even greet */
	set_switch (f, "stall", "greeting");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (1),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message,
				  "timed out waiting for the greeting"));
}

/* Two mails, one connection, RSET between them. */
static void
test_reuse (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	for (int i = 0; i < 2; i++) {
		g_assert_true (send_text (smtp, "support@desk.example",
					  one_rcpt, "Subject: x\n\nhi\n",
					  in_seconds (10), &error));
		g_assert_no_error (error);
		g_assert_true (tg_smtp_is_connected (smtp));
	}
	g_assert_cmpint (log_count (f, " connect"), ==, 1);
	g_assert_cmpint (log_count (f, " RSET"), ==, 1);
	g_assert_cmpint (log_count (f, " MAIL FROM"), ==, 2);
	g_clear_pointer (&smtp, tg_smtp_free);
	g_assert_cmpint (log_count (f, " QUIT"), ==, 1);
	g_assert_true (has_file (f->dir, "0002.eml"));
}

/* The server closed the idle connection: the next mail goes over a new
 * one, without an error. */
static void
test_reconnect (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	set_switch (f, "close-idle", "");
	for (int i = 0; i < 2; i++) {
		g_assert_true (send_text (smtp, "support@desk.example",
					  one_rcpt, "Subject: x\n\nhi\n",
					  in_seconds (10), &error));
		g_assert_no_error (error);
	}
	g_assert_cmpint (log_count (f, " connect"), ==, 2);
	g_assert_true (has_file (f->dir, "0002.eml"));
	g_assert_false (has_file (f->dir, "0003.eml"));
}

/* The connection lost after the final dot: a failure, and no second
 * copy from the client (the server may have taken the first). */
static void
test_drop_after_data (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	set_switch (f, "drop-data", "");
	g_assert_false (send_text (smtp, "support@desk.example", one_rcpt,
				   "Subject: x\n\nhi\n", in_seconds (10),
				   &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message, "connection lost"));
	g_assert_cmpint (log_count (f, " connect"), ==, 1);
	g_assert_true (has_file (f->dir, "0001.eml"));
	g_assert_false (has_file (f->dir, "0002.eml"));
}

/* Nobody listening: a temporary error, at once. */
static void
test_no_server (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp =
		tg_smtp_new ("unix:/nonexistent/tg-smtp.sock", NULL, &error);
	g_autoptr (GBytes) content = g_bytes_new_static ("x\n", 2);

	g_assert_no_error (error);
	g_assert_false (tg_smtp_send (smtp, "a@b.example", one_rcpt, content,
				      in_seconds (10), &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_TEMPORARY);
	g_assert_nonnull (strstr (error->message, "connecting"));
}

/* An address that would change the command line is never sent. */
static void
test_unsendable (Fixture *f, gconstpointer data)
{
	const char *const rcpts[] = { "jane@acme.example>\r\nRSET", NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSmtp) smtp = tg_smtp_new (f->address, NULL, &error);

	g_assert_false (send_text (smtp, "support@desk.example", rcpts,
				   "x\n", in_seconds (10), &error));
	g_assert_error (error, TG_SMTP_ERROR, TG_SMTP_ERROR_REFUSED);
	g_assert_cmpint (log_count (f, " connect"), ==, 0);
}

int
main (int argc, char **argv)
{
	g_autofree char *python = NULL;

	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	signal (SIGPIPE, SIG_IGN);
	python = g_find_program_in_path ("python3");
	if (python == NULL)
		return 77;
	g_test_add_func ("/smtp/address/check", test_address);
	g_test_add_func ("/smtp/address/new-invalid", test_new_invalid);
	g_test_add_func ("/smtp/connect/no-server", test_no_server);
#define ADD(path, fn, unix)                                                   \
	g_test_add (path, Fixture, unix, setup, fn, teardown)
	ADD ("/smtp/send/data", test_data, NULL);
	ADD ("/smtp/send/data-unix", test_data, "unix");
	ADD ("/smtp/send/crlf-8bit-null-sender", test_crlf, NULL);
	ADD ("/smtp/reply/multiline-helo", test_multiline, NULL);
	ADD ("/smtp/reply/ehlo-421", test_ehlo_421, NULL);
	ADD ("/smtp/send/refused-rcpt", test_refused_rcpt, NULL);
	ADD ("/smtp/send/data-4xx-5xx", test_data_4xx, NULL);
	ADD ("/smtp/send/timeout", test_timeout, NULL);
	ADD ("/smtp/send/unsendable", test_unsendable, NULL);
	ADD ("/smtp/connection/reuse", test_reuse, NULL);
	ADD ("/smtp/connection/reconnect", test_reconnect, NULL);
	ADD ("/smtp/connection/drop-after-data", test_drop_after_data, NULL);
#undef ADD
	return g_test_run ();
}
