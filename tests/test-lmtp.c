/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-lmtp: one LMTP session against what a hostile or broken client
 * sends. The client's bytes are written from a thread into one end of a
 * socket pair (then its writing half is shut), the session is served on
 * the other, and what the server said is read afterwards. A stub stands
 * in for intake and records each mail it is handed.
 */
#include "lmtp.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tgtest.h"

typedef struct {
	GPtrArray *mails;  /* char *: "sender|rcpt|queue_id|content" */
	gboolean refuse;   /* deliver asks to end the session */
	gboolean stopping;
} Stub;

static gboolean
stub_deliver (gpointer data, const TgLmtpMail *mail, guint index,
	      TgLmtpReply *reply)
{
	Stub *stub = data;
	gsize size = tg_spool_get_size (mail->spool);
	g_autofree char *content = g_malloc0 (size + 1);

	g_assert_cmpint (tg_spool_read_at (mail->spool, 0, content, size,
					   NULL),
			 ==, (gssize) size);
	g_ptr_array_add (stub->mails,
			 g_strdup_printf ("%s|%s|%s|%s", mail->sender,
					  mail->recipients[index],
					  mail->queue_id ? mail->queue_id : "",
					  content));
	reply->code = 250;
	reply->text = g_strdup_printf ("2.0.0 <%s> ok",
				       mail->recipients[index]);
	return !stub->refuse;
}

static gboolean
stub_stopping (gpointer data)
{
	return ((Stub *) data)->stopping;
}

typedef struct {
	int fd;
	GBytes *input;
} Client;

static gpointer
client_write (gpointer data)
{
	Client *c = data;
	gsize len;
	const char *p = g_bytes_get_data (c->input, &len);

	while (len > 0) {
		ssize_t n = write (c->fd, p, len);

		if (n <= 0)
			break; /* the server hung up */
		p += n;
		len -= (gsize) n;
	}
	shutdown (c->fd, SHUT_WR);
	return NULL;
}

typedef struct {
	TgLmtpEnd end;
	char *replies;
} Result;

/* Serves one session on @input (@len bytes, or strlen) and returns what
 * the server wrote. */
static Result
session (Stub *stub, gsize max_size, int timeout, const char *input,
	 gsize len)
{
	int fds[2];
	Client c;
	GThread *writer;
	GString *out = g_string_new (NULL);
	char buf[4096];
	ssize_t n;
	Result r;
	TgLmtpServer srv = {
		.hostname = "desk.example",
		.max_size = max_size,
		.spool_memory = 4096,
		.max_recipients = 3,
		.timeout = timeout,
		.deliver = stub_deliver,
		.stopping = stub_stopping,
		.data = stub,
	};

	g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	c.fd = fds[0];
	c.input = g_bytes_new (input, len ? len : strlen (input));
	writer = g_thread_new ("client", client_write, &c);
	r.end = tg_lmtp_serve (&srv, fds[1], fds[1]);
	shutdown (fds[1], SHUT_WR);
	while ((n = read (fds[0], buf, sizeof buf)) > 0)
		g_string_append_len (out, buf, n);
	g_thread_join (writer);
	g_bytes_unref (c.input);
	close (fds[0]);
	close (fds[1]);
	r.replies = g_string_free (out, FALSE);
	return r;
}

static Stub *
stub_new (void)
{
	Stub *s = g_new0 (Stub, 1);

	s->mails = g_ptr_array_new_with_free_func (g_free);
	return s;
}

static void
stub_free (Stub *s)
{
	g_ptr_array_unref (s->mails);
	g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stub, stub_free)

static void
assert_has (const char *replies, const char *want)
{
	if (strstr (replies, want) == NULL)
		g_error ("no \"%s\" in:\n%s", want, replies);
}

/* Dot-stuffing undone, CRLF made LF, a lone CR kept, the bytes of each
 * recipient's mail the same; a reply per recipient. */
static void
test_transaction (void)
{
	g_autoptr (Stub) stub = stub_new ();
	Result r = session (stub, 0, 5,
			   "LHLO mx\r\nXFORWARD IDENT=ABC\r\n"
			   "MAIL FROM:<a@x.example> BODY=8BITMIME\r\n"
			   "RCPT TO:<s@desk.example>\r\nRCPT TO:<t@desk.example>\r\n"
			   "DATA\r\nSubject: hi\r\n\r\n..one\r\n.\rtwo\r\n"
			   "cr\r\r\n.\r\nQUIT\r\n", 0);

	g_assert_cmpint (r.end, ==, TG_LMTP_END_QUIT);
	g_assert_cmpuint (stub->mails->len, ==, 2);
	g_assert_cmpstr (stub->mails->pdata[0], ==,
			 "a@x.example|s@desk.example|ABC|"
			 "Subject: hi\n\n.one\n\rtwo\ncr\r\n");
	g_assert_cmpstr (stub->mails->pdata[1], ==,
			 "a@x.example|t@desk.example|ABC|"
			 "Subject: hi\n\n.one\n\rtwo\ncr\r\n");
	assert_has (r.replies, "250 2.0.0 <s@desk.example> ok\r\n"
			       "250 2.0.0 <t@desk.example> ok\r\n221 ");
	assert_has (r.replies, "250 SIZE\r\n");
	g_free (r.replies);
}

/* A data line longer than the input buffer arrives whole. */
static void
test_long_line (void)
{
	g_autoptr (Stub) stub = stub_new ();
	g_autoptr (GString) in = g_string_new (
		"LHLO mx\r\nMAIL FROM:<>\r\nRCPT TO:<s@desk.example>\r\nDATA\r\n");
	g_autofree char *want = NULL;
	g_autofree char *line = NULL;
	Result r;

	for (int i = 0; i < 200000; i++)
		g_string_append_c (in, (char) ('a' + i % 26));
	g_string_append (in, "\r\n.\r\nQUIT\r\n");
	r = session (stub, 0, 5, in->str, in->len);
	g_assert_cmpuint (stub->mails->len, ==, 1);
	line = g_strndup (strstr (in->str, "DATA\r\n") + 6, 200000);
	want = g_strconcat (line, "\n", NULL);
	g_assert_cmpstr (strstr (stub->mails->pdata[0], "||") + 2, ==, want);
	g_free (r.replies);
}

/* The size: refused at MAIL FROM when declared, after the data if not;
 * a SIZE that overflows is a syntax error. */
static void
test_size (void)
{
	g_autoptr (Stub) stub = stub_new ();
	g_autoptr (GString) in = g_string_new (
		"LHLO mx\r\nMAIL FROM:<a@x> SIZE=101\r\n"
		"MAIL FROM:<a@x> SIZE=99999999999999999999999\r\n"
		"MAIL FROM:<a@x> SIZE=100\r\nRCPT TO:<s@d>\r\nDATA\r\n");
	Result r;

	for (int i = 0; i < 30; i++)
		g_string_append (in, "0123456789\r\n");
	g_string_append (in, ".\r\nQUIT\r\n");
	r = session (stub, 100, 5, in->str, in->len);
	assert_has (r.replies, "250 SIZE 100\r\n");
	assert_has (r.replies, "552 5.3.4 message larger than 100 bytes\r\n"
			       "501 5.5.4 bad SIZE\r\n250 2.1.0");
	assert_has (r.replies, "552 5.3.4 <s@d> message larger than 100");
	g_assert_cmpuint (stub->mails->len, ==, 0);
	g_free (r.replies);
}

/* Recipients beyond the limit, bad lines, NUL bytes, and the session
 * ends after ten errors. */
static void
test_abuse (void)
{
	g_autoptr (Stub) stub = stub_new ();
	g_autoptr (GString) in = g_string_new (
		"LHLO mx\r\nMAIL FROM:<a@x>\r\nRCPT TO:<1@d>\r\nRCPT TO:<2@d>\r\n"
		"RCPT TO:<3@d>\r\nRCPT TO:<4@d>\r\nRCPT TO:<>\r\nRCPT TO:x\r\n"
		"MAIL FROM:<b@x>\r\nMAIL FROM:<b@x> FOO=1\r\n");
	Result r;

	for (int i = 0; i < 5000; i++)
		g_string_append_c (in, 'A');
	g_string_append (in, "\r\n");
	g_string_append_len (in, "NO\0OP\r\n", 7);
	for (int i = 0; i < 12; i++)
		g_string_append (in, "BOGUS\r\n");
	r = session (stub, 0, 5, in->str, in->len);
	assert_has (r.replies, "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
			       "452 4.5.3 too many recipients\r\n"
			       "501 5.5.4 syntax: RCPT TO:<address>\r\n"
			       "501 5.5.4 syntax: RCPT TO:<address>\r\n"
			       "503 5.5.1 nested MAIL command\r\n");
	assert_has (r.replies, "500 5.5.2 line too long\r\n");
	assert_has (r.replies, "500 5.5.2 NUL in command\r\n");
	assert_has (r.replies, "421 4.7.0 desk.example too many errors\r\n");
	g_assert_cmpint (r.end, ==, TG_LMTP_END_ERRORS);
	g_assert_cmpuint (stub->mails->len, ==, 0);
	g_free (r.replies);
}

/* A client gone in the middle of the data: nothing is delivered. */
static void
test_eof_in_data (void)
{
	g_autoptr (Stub) stub = stub_new ();
	Result r = session (stub, 0, 5,
			   "LHLO mx\r\nMAIL FROM:<a@x>\r\nRCPT TO:<s@d>\r\n"
			   "DATA\r\nSubject: cut\r\n\r\nhalf a line",
			   0);

	g_assert_cmpint (r.end, ==, TG_LMTP_END_CLOSED);
	g_assert_cmpuint (stub->mails->len, ==, 0);
	g_free (r.replies);
}

/* deliver asks to end: its replies, then 421, then nothing more. */
static void
test_deliver_ends (void)
{
	g_autoptr (Stub) stub = stub_new ();
	Result r;

	stub->refuse = TRUE;
	r = session (stub, 0, 5,
		     "LHLO mx\r\nMAIL FROM:<a@x>\r\nRCPT TO:<s@d>\r\nDATA\r\n"
		     "x\r\n.\r\nNOOP\r\n",
		     0);
	g_assert_cmpint (r.end, ==, TG_LMTP_END_DELIVER);
	assert_has (r.replies, "250 2.0.0 <s@d> ok\r\n"
			       "421 4.3.0 desk.example closing connection\r\n");
	g_assert_null (strstr (r.replies, "250 2.0.0 Ok"));
	g_free (r.replies);
}

/* A server that stops closes an idle session, not one mid-transaction. */
static void
test_stopping (void)
{
	g_autoptr (Stub) stub = stub_new ();
	Result r;

	stub->stopping = TRUE;
	r = session (stub, 0, 5, "LHLO mx\r\n", 0);
	g_assert_cmpint (r.end, ==, TG_LMTP_END_STOPPING);
	assert_has (r.replies, "421 4.3.2 desk.example shutting down\r\n");
	g_free (r.replies);
}

/* A silent client: 421 once the timeout has passed. */
static void
test_timeout (void)
{
	g_autoptr (Stub) stub = stub_new ();
	int fds[2];
	TgLmtpServer srv = {
		.hostname = "desk.example",
		.max_recipients = 3,
		.timeout = 1,
		.deliver = stub_deliver,
		.data = stub,
	};
	char buf[512] = { 0 };

	g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	g_assert_cmpint (tg_lmtp_serve (&srv, fds[1], fds[1]), ==,
			 TG_LMTP_END_TIMEOUT);
	g_assert_cmpint (read (fds[0], buf, sizeof buf - 1), >, 0);
	assert_has (buf, "421 4.4.2 desk.example timeout exceeded");
	close (fds[0]);
	close (fds[1]);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/lmtp/transaction", test_transaction);
	g_test_add_func ("/lmtp/long-line", test_long_line);
	g_test_add_func ("/lmtp/size", test_size);
	g_test_add_func ("/lmtp/abuse", test_abuse);
	g_test_add_func ("/lmtp/eof-in-data", test_eof_in_data);
	g_test_add_func ("/lmtp/deliver-ends", test_deliver_ends);
	g_test_add_func ("/lmtp/stopping", test_stopping);
	g_test_add_func ("/lmtp/timeout", test_timeout);
	return g_test_run ();
}
