/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-message: the GMime front end. One case per .eml file in data/message
 * against its golden .expected file (--regenerate rewrites them), each
 * also read from a file spool and through a pipe one byte at a time;
 * limits on hostile input built in memory; the small helpers; and every
 * mail of the shared real-world corpus, from memory and from a file.
 */
#include "message.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tgtest.h"

static gboolean regenerate = FALSE;

/* ---- a stable text form of a TgMessage ---- */

/* append_escaped: @s with control characters as \xNN (@keep_newlines). */
static void
append_escaped (GString *out, const char *s, gboolean keep_newlines)
{
	for (const char *p = s; *p != '\0'; p++) {
		guchar c = (guchar)*p;

		if ((c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f)
			g_string_append_printf (out, "\\x%02x", c);
		else
			g_string_append_c (out, (char)c);
	}
}

static void
append_field (GString *out, const char *label, const char *value)
{
	if (value == NULL)
		return;
	g_string_append_printf (out, "%s: ", label);
	append_escaped (out, value, FALSE);
	g_string_append_c (out, '\n');
}

static void
append_date (GString *out, const char *label, GDateTime *date)
{
	g_autofree char *text = NULL;

	if (date == NULL)
		return;
	text = g_date_time_format (date, "%Y-%m-%dT%H:%M:%S%:z");
	append_field (out, label, text);
}

static void
append_address (GString *out, const char *label, const TgAddress *addr)
{
	if (addr == NULL)
		return;
	g_string_append_printf (out, "%s: ", label);
	append_escaped (out, addr->addr, FALSE);
	if (addr->name != NULL) {
		g_string_append (out, " \"");
		append_escaped (out, addr->name, FALSE);
		g_string_append_c (out, '"');
	}
	g_string_append_c (out, '\n');
}

static void
append_headers (GString *out, const TgMessage *msg)
{
	g_string_append_printf (out, "headers: %u\n", msg->headers->len);
	for (guint i = 0; i < msg->headers->len; i++) {
		const TgHeader *h = g_ptr_array_index (msg->headers, i);
		gsize len = strlen (h->value);
		g_autofree char *shown = g_strndup (h->value, 120);

		g_string_append (out, "header: ");
		append_escaped (out, h->name, FALSE);
		g_string_append (out, ": ");
		append_escaped (out, shown, FALSE);
		if (len > 120)
			g_string_append_printf (
				out, "... (%" G_GSIZE_FORMAT " bytes)", len);
		g_string_append_c (out, '\n');
	}
}

static void
append_parts (GString *out, const TgMessage *msg)
{
	for (guint i = 0; i < msg->attachments->len; i++) {
		const TgAttachment *a = g_ptr_array_index (msg->attachments, i);

		g_string_append_printf (
			out,
			"attachment: path=%s type=%s size=%" G_GUINT64_FORMAT,
			a->part_path, a->content_type, a->size);
		if (a->filename != NULL) {
			g_string_append (out, " filename=\"");
			append_escaped (out, a->filename, FALSE);
			g_string_append_c (out, '"');
		}
		g_string_append_c (out, '\n');
	}
	if (msg->dsn != NULL) {
		append_field (out, "dsn-action", msg->dsn->action);
		append_field (out, "dsn-status", msg->dsn->status);
		for (guint i = 0; i < msg->dsn->final_recipients->len; i++)
			append_field (out, "dsn-failed",
				      g_ptr_array_index (
					      msg->dsn->final_recipients, i));
		append_field (out, "dsn-original-message-id",
			      msg->dsn->original_message_id);
	}
}

/* dump_message: (transfer full): every field, one per line, body last. */
static char *
dump_message (const TgMessage *msg)
{
	GString *out = g_string_new (NULL);

	g_string_append_printf (out, "size: %" G_GSIZE_FORMAT "\n", msg->size);
	g_string_append_printf (out, "parse-warnings: %u\n",
				msg->parse_warnings);
	append_headers (out, msg);
	append_address (out, "from", msg->from);
	append_address (out, "reply-to", msg->reply_to);
	for (guint i = 0; i < msg->to->len; i++)
		append_address (out, "to", g_ptr_array_index (msg->to, i));
	for (guint i = 0; i < msg->cc->len; i++)
		append_address (out, "cc", g_ptr_array_index (msg->cc, i));
	append_field (out, "subject", msg->subject);
	append_date (out, "date", msg->date);
	append_field (out, "message-id", msg->message_id);
	append_field (out, "in-reply-to", msg->in_reply_to);
	for (guint i = 0; i < msg->references->len; i++)
		append_field (out, "reference",
			      g_ptr_array_index (msg->references, i));
	append_date (out, "received-at", msg->received_at);
	append_field (out, "received-id", msg->received_id);
	append_parts (out, msg);
	g_string_append_printf (out, "mdn: %s\n", msg->is_mdn ? "yes" : "no");
	append_field (out, "body-digest", msg->body_digest);
	g_string_append_printf (out, "body-from-html: %s\n",
				msg->body_from_html ? "yes" : "no");
	g_string_append (out, "body:\n");
	append_escaped (out, msg->body_text, TRUE);
	g_string_append (out, "\n-- end of body --\n");
	return g_string_free (out, FALSE);
}

/*
 * assert_same_text: fails naming @row and the first line that differs,
 * as "got X, want Y".
 */
static void
assert_same_text (const char *row, const char *got, const char *want)
{
	g_auto (GStrv) g = NULL;
	g_auto (GStrv) w = NULL;
	guint i = 0;

	if (g_strcmp0 (got, want) == 0)
		return;
	g = g_strsplit (got, "\n", -1);
	w = g_strsplit (want, "\n", -1);
	while (g[i] != NULL && w[i] != NULL && strcmp (g[i], w[i]) == 0)
		i++;
	g_test_message ("%s: line %u: got \"%s\", want \"%s\"", row, i + 1,
			g[i] != NULL ? g[i] : "(end)",
			w[i] != NULL ? w[i] : "(end)");
	g_test_fail ();
}

/* ---- parsing helpers ---- */

static TgMessage *
parse_spool (const TgSpool *spool)
{
	g_autoptr (GError) error = NULL;
	TgMessage *msg = tg_message_parse (spool, &error);

	g_assert_no_error (error);
	g_assert_nonnull (msg);
	return msg;
}

static TgMessage *
parse_text (const char *text, gsize len)
{
	g_autoptr (TgSpool) spool = tg_spool_new_from_data (text, len);

	return parse_spool (spool);
}

/* spool_from_file: the file read into a file spool (memory_limit 0). */
static TgSpool *
spool_from_file (const char *path)
{
	g_autoptr (GError) error = NULL;
	TgSpool *spool = NULL;
	int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

	g_assert_cmpint (fd, >=, 0);
	spool = tg_spool_read_fd (fd, 0, 0, NULL, &error);
	g_assert_no_error (error);
	g_assert_nonnull (spool);
	g_assert_no_errno (close (fd));
	return spool;
}

typedef struct {
	int fd;
	GBytes *bytes;
} Feeder;

/* feed_bytewise: a thread that writes one byte per write(2). */
static gpointer
feed_bytewise (gpointer data)
{
	Feeder *f = data;
	gsize len = 0;
	const guint8 *p = g_bytes_get_data (f->bytes, &len);

	for (gsize i = 0; i < len; i++) {
		ssize_t n;

		do
			n = write (f->fd, p + i, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			break;
	}
	close (f->fd);
	return NULL;
}

/* spool_bytewise: @bytes through a pipe one byte at a time. */
static TgSpool *
spool_bytewise (GBytes *bytes, gsize memory_limit)
{
	g_autoptr (GError) error = NULL;
	int fds[2];
	Feeder f;
	GThread *thread = NULL;
	TgSpool *spool = NULL;

	g_assert_no_errno (pipe (fds));
	f.fd = fds[1];
	f.bytes = bytes;
	thread = g_thread_new ("feeder", feed_bytewise, &f);
	spool = tg_spool_read_fd (fds[0], 0, memory_limit, NULL, &error);
	g_thread_join (thread);
	g_assert_no_errno (close (fds[0]));
	g_assert_no_error (error);
	return spool;
}

/* ---- fixtures against golden files ---- */

static void
test_fixture (gconstpointer data)
{
	const char *name = data;
	g_autoptr (GBytes) bytes = tg_test_read_fixture ("message", name);
	g_autofree char *stem = g_strndup (name, strlen (name) - 4);
	g_autofree char *expected_name = g_strconcat (stem, ".expected", NULL);
	g_autofree char *eml_path = g_test_build_filename (
		G_TEST_DIST, "data", "message", name, NULL);
	g_autofree char *expected_path = g_test_build_filename (
		G_TEST_DIST, "data", "message", expected_name, NULL);
	g_autoptr (TgSpool) mem = tg_spool_new_from_data (
		g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
	g_autoptr (TgSpool) file = spool_from_file (eml_path);
	g_autoptr (TgSpool) piped = spool_bytewise (bytes, 64);
	g_autoptr (TgMessage) msg = parse_spool (mem);
	g_autoptr (TgMessage) from_file = parse_spool (file);
	g_autoptr (TgMessage) from_pipe = parse_spool (piped);
	g_autofree char *got = dump_message (msg);
	g_autofree char *got_file = dump_message (from_file);
	g_autofree char *got_pipe = dump_message (from_pipe);
	g_autofree char *want = NULL;
	g_autoptr (GError) error = NULL;

	g_assert_cmpint (tg_spool_get_fd (file), !=, -1);
	g_assert_true (g_utf8_validate (msg->subject, -1, NULL));
	g_assert_true (g_utf8_validate (msg->body_text, -1, NULL));
	if (regenerate) {
		g_file_set_contents (expected_path, got, -1, &error);
		g_assert_no_error (error);
		g_test_message ("rewrote %s", expected_path);
	} else {
		g_file_get_contents (expected_path, &want, NULL, &error);
		g_assert_no_error (error);
		assert_same_text (name, got, want);
	}
	assert_same_text ("file spool vs memory", got_file, got);
	assert_same_text ("bytewise pipe vs memory", got_pipe, got);
}

/* ---- limits on hostile input ---- */

/* expect_size: "got X, want Y" for a count, naming the row. */
static void
expect_size (const char *label, const char *what, gsize got, gsize want)
{
	if (got == want)
		return;
	g_test_message ("%s: %s: got %" G_GSIZE_FORMAT
			", want %" G_GSIZE_FORMAT,
			label, what, got, want);
	g_test_fail ();
}

typedef struct {
	const char *label;
	char *(*build) (void);
	void (*check) (const char *label, const TgMessage *msg);
} LimitCase;

static char *
build_long_header (void)
{
	g_autofree char *long_value = g_strnfill (70000, 'a');

	return g_strdup_printf ("From: a@example.com\nX-Long: %s\n"
				"Subject: after the long one\n\nbody\n",
				long_value);
}

static void
check_long_header (const char *label, const TgMessage *msg)
{
	const char *value = tg_message_get_header (msg, "X-Long");

	g_assert_nonnull (value);
	expect_size (label, "value length", strlen (value),
		     TG_MESSAGE_MAX_HEADER_VALUE);
	g_assert_cmpstr (msg->subject, ==, "after the long one");
	g_assert_cmpuint (msg->parse_warnings, >=, 1);
}

/* A To: header of some 135 KB, as one corpus mail has. */
static char *
build_huge_to (void)
{
	GString *s = g_string_new ("From: a@example.com\nTo: ");

	for (int i = 0; i < 6000; i++)
		g_string_append_printf (s, "%s\"User %d\" <user%d@example.com>",
					i > 0 ? ",\n " : "", i, i);
	g_string_append (s, "\nSubject: many\n\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_huge_to (const char *label, const TgMessage *msg)
{
	const TgAddress *first = g_ptr_array_index (msg->to, 0);

	expect_size (label, "to", msg->to->len, TG_MESSAGE_MAX_ADDRESSES);
	g_assert_cmpstr (first->addr, ==, "user0@example.com");
	g_assert_cmpstr (first->name, ==, "User 0");
	g_assert_cmpuint (strlen (tg_message_get_header (msg, "To")), <=,
			  TG_MESSAGE_MAX_HEADER_VALUE);
	g_assert_cmpuint (msg->parse_warnings, >=, 2);
}

static char *
build_many_references (void)
{
	GString *s = g_string_new ("From: a@example.com\nReferences:");

	for (int i = 0; i < 300; i++)
		g_string_append_printf (s, " <ref%d@example.com>\n", i);
	g_string_append (s, "Subject: refs\n\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_many_references (const char *label, const TgMessage *msg)
{
	GPtrArray *refs = msg->references;

	expect_size (label, "references", refs->len, TG_MESSAGE_MAX_REFERENCES);
	/* The root and the newest survive. */
	g_assert_cmpstr (g_ptr_array_index (refs, 0), ==, "ref0@example.com");
	g_assert_cmpstr (g_ptr_array_index (refs, 1), ==, "ref101@example.com");
	g_assert_cmpstr (g_ptr_array_index (refs, refs->len - 1), ==,
			 "ref299@example.com");
}

static char *
build_many_attachments (void)
{
	GString *s =
		g_string_new ("From: a@example.com\nSubject: parts\n"
			      "Content-Type: multipart/mixed; boundary=B\n\n");

	for (int i = 0; i < 600; i++)
		g_string_append_printf (
			s, "--B\nContent-Type: image/gif\n\n%d\n", i);
	g_string_append (s, "--B--\n");
	return g_string_free (s, FALSE);
}

static void
check_many_attachments (const char *label, const TgMessage *msg)
{
	const TgAttachment *last = NULL;

	expect_size (label, "attachments", msg->attachments->len,
		     TG_MESSAGE_MAX_ATTACHMENTS);
	last = g_ptr_array_index (msg->attachments, msg->attachments->len - 1);
	g_assert_cmpstr (last->part_path, ==, "500");
	g_assert_cmpuint (msg->parse_warnings, >=, 1);
}

static char *
build_many_headers (void)
{
	GString *s = g_string_new (NULL);

	for (int i = 0; i < 1100; i++)
		g_string_append_printf (s, "X-Filler-%d: %d\n", i, i);
	g_string_append (s, "Subject: late subject\n\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_many_headers (const char *label, const TgMessage *msg)
{
	expect_size (label, "headers", msg->headers->len,
		     TG_MESSAGE_MAX_HEADERS);
	/* Past the cap: not copied, so not seen. */
	g_assert_cmpstr (msg->subject, ==, "");
	g_assert_cmpuint (msg->parse_warnings, >=, 1);
}

static char *
build_deep_nesting (void)
{
	GString *s =
		g_string_new ("From: a@example.com\nSubject: deep\n"
			      "Content-Type: multipart/mixed; boundary=b0\n\n");

	for (int i = 1; i < 3000; i++)
		g_string_append_printf (s,
					"--b%d\nContent-Type: multipart/mixed; "
					"boundary=b%d\n\n",
					i - 1, i);
	g_string_append (s, "--b2999\nContent-Type: text/plain\n\ndeep\n");
	for (int i = 2999; i >= 0; i--)
		g_string_append_printf (s, "--b%d--\n", i);
	return g_string_free (s, FALSE);
}

static void
check_deep_nesting (const char *label, const TgMessage *msg)
{
	g_assert_cmpstr (msg->subject, ==, "deep");
	g_assert_cmpstr (msg->body_text, ==, "");
	g_assert_cmpuint (msg->parse_warnings, >=, 1);
}

/* A long body of two-byte characters, cut on a character boundary. */
static char *
build_long_body (void)
{
	GString *s =
		g_string_new ("From: a@example.com\nSubject: long\n"
			      "Content-Type: text/plain; charset=utf-8\n\nx");

	for (int i = 0; i < TG_MESSAGE_MAX_TEXT; i++)
		g_string_append (s, "\xc3\xa4");
	return g_string_free (s, FALSE);
}

static void
check_long_body (const char *label, const TgMessage *msg)
{
	gsize len = strlen (msg->body_text);

	g_assert_true (g_utf8_validate (msg->body_text, -1, NULL));
	expect_size (label, "body length", len, TG_MESSAGE_MAX_TEXT - 1);
	g_assert_cmpuint (msg->parse_warnings, >=, 1);
}

/* Many parts, then the text: past the structure budget. */
static char *
build_structure_flood (void)
{
	GString *s = g_string_new ("From: a@example.com\nSubject: flood\n"
				   "Content-Type: multipart/mixed; "
				   "boundary=B\n\n");

	for (int i = 0; i < 30000; i++)
		g_string_append (s, "--B\nContent-Type: image/gif\n\nx\n");
	g_string_append (s, "--B\nContent-Type: text/plain\n\ntail text\n"
			    "--B--\n");
	return g_string_free (s, FALSE);
}

static void
check_structure_flood (const char *label, const TgMessage *msg)
{
	/* GMime never saw the text at the end. */
	g_assert_cmpstr (msg->subject, ==, "flood");
	g_assert_cmpstr (msg->body_text, ==, "");
	expect_size (label, "attachments", msg->attachments->len,
		     TG_MESSAGE_MAX_ATTACHMENTS);
	g_assert_cmpuint (msg->parse_warnings, >=, 2);
}

/* Just below the budget: everything is seen. */
static char *
build_structure_below (void)
{
	GString *s = g_string_new ("From: a@example.com\nSubject: many\n"
				   "Content-Type: multipart/mixed; "
				   "boundary=B\n\n");

	for (int i = 0; i < 9000; i++)
		g_string_append (s, "--B\nContent-Type: image/gif\n\nx\n");
	g_string_append (s, "--B\nContent-Type: text/plain\n\ntail text\n"
			    "--B--\n");
	return g_string_free (s, FALSE);
}

static void
check_structure_below (const char *label, const TgMessage *msg)
{
	g_assert_cmpstr (msg->subject, ==, "many");
	g_assert_cmpstr (msg->body_text, ==, "tail text");
}

/* A header past Postfix's header_size_limit, then more headers. */
static char *
build_overlong_header (void)
{
	g_autofree char *value = g_strnfill (300000, 'b');

	return g_strdup_printf ("From: a@example.com\nX-Long: %s\n"
				"Subject: after the overlong one\n\nbody\n",
				value);
}

static void
check_overlong_header (const char *label, const TgMessage *msg)
{
	expect_size (label, "value length",
		     strlen (tg_message_get_header (msg, "X-Long")),
		     TG_MESSAGE_MAX_HEADER_VALUE);
	g_assert_cmpstr (msg->subject, ==, "after the overlong one");
	g_assert_cmpstr (msg->body_text, ==, "body");
	g_assert_cmpuint (msg->parse_warnings, >=, 2);
	/* The digest is of the raw body: offsets past the cut map back. */
	g_assert_cmpstr (msg->body_digest, ==,
			 "9e2ec912af5dff2a72300863864fc4da"
			 "04e81999339d9fac5c7590ba8a3f4e11");
}

/* A subject of encoded words cycling through 22 charsets. */
static char *
build_charset_cycle (void)
{
	static const char *const charsets[] = {
		"iso-8859-1",  "iso-8859-2",   "iso-8859-3",   "iso-8859-4",
		"iso-8859-5",  "iso-8859-6",   "iso-8859-7",   "iso-8859-9",
		"iso-8859-10", "iso-8859-13",  "iso-8859-14",  "iso-8859-15",
		"koi8-r",      "koi8-u",       "windows-1250", "windows-1251",
		"windows-1252", "windows-1253", "big5",	       "shift_jis",
		"euc-jp",      "gb2312",
	};
	GString *s = g_string_new ("From: a@example.com\nSubject:");

	for (int i = 0; i < 20000; i++)
		g_string_append_printf (s, " =?%s?Q?w%d?=\n",
					charsets[i % G_N_ELEMENTS (charsets)],
					i);
	g_string_append (s, "To: b@example.com\n\nbody\n");
	return g_string_free (s, FALSE);
}

static void
check_charset_cycle (const char *label, const TgMessage *msg)
{
	g_assert_true (g_str_has_prefix (msg->subject, "w0w1w2"));
	g_assert_cmpuint (strlen (msg->subject), <=, TG_MESSAGE_MAX_DECODED);
	g_assert_cmpuint (msg->to->len, ==, 1);
	g_assert_cmpuint (msg->parse_warnings, >=, 2);
}

/* "x:x:x:..." made GMime's address parser recurse once per group until
 * the stack overflowed (SIGSEGV: Postfix retried the mail for days). */
static char *
build_nested_groups (void)
{
	g_autofree char *groups = NULL;
	GString *s = g_string_new (NULL);

	for (int i = 0; i < 50000; i++)
		g_string_append (s, "x:");
	groups = g_string_free (s, FALSE);
	return g_strdup_printf ("From: %s\nTo: %s\nSubject: groups\n\nbody\n",
				groups, groups);
}

static void
check_nested_groups (const char *label, const TgMessage *msg)
{
	g_autoptr (TgAddress) addr =
		tg_message_parse_address (tg_message_get_header (msg, "From"));

	g_assert_cmpstr (msg->subject, ==, "groups");
	g_assert_cmpuint (msg->parse_warnings, >=, 2);
	g_assert_null (addr);
}

static const LimitCase limit_cases[] = {
	{"long-header", build_long_header, check_long_header},
	{"huge-to", build_huge_to, check_huge_to},
	{"many-references", build_many_references, check_many_references},
	{"many-attachments", build_many_attachments, check_many_attachments},
	{"many-headers", build_many_headers, check_many_headers},
	{"deep-nesting", build_deep_nesting, check_deep_nesting},
	{"long-body", build_long_body, check_long_body},
	{"structure-flood", build_structure_flood, check_structure_flood},
	{"structure-below", build_structure_below, check_structure_below},
	{"overlong-header", build_overlong_header, check_overlong_header},
	{"charset-cycle", build_charset_cycle, check_charset_cycle},
	{"nested-groups", build_nested_groups, check_nested_groups},
};

static void
test_limit (gconstpointer data)
{
	const LimitCase *c = data;
	g_autofree char *text = c->build ();
	g_autoptr (TgMessage) msg = parse_text (text, strlen (text));
	g_autoptr (GError) error = NULL;
	g_autofree char *path = NULL;
	g_autoptr (TgSpool) file = NULL;
	g_autoptr (TgMessage) from_file = NULL;
	g_autofree char *dump_mem = NULL;
	g_autofree char *dump_file = NULL;
	int fd = g_file_open_tmp ("tg-message-XXXXXX", &path, &error);

	g_assert_no_error (error);
	g_assert_no_errno (close (fd));
	c->check (c->label, msg);
	/* From a file spool the result is the same. */
	g_file_set_contents (path, text, -1, &error);
	g_assert_no_error (error);
	file = spool_from_file (path);
	g_assert_no_errno (g_unlink (path));
	from_file = parse_spool (file);
	dump_mem = dump_message (msg);
	dump_file = dump_message (from_file);
	assert_same_text (c->label, dump_file, dump_mem);
}

/* ---- the small helpers ---- */

typedef struct {
	const char *label;
	const char *value;
	const char *want;
} DecodeRow;

static void
test_decode_header (void)
{
	static const DecodeRow rows[] = {
		{"plain", "Hello world", "Hello world"},
		{"q-word", "=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"},
		{"b-word", "=?UTF-8?B?w6TDtsO8?=", "äöü"},
		{"adjacent-words", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
		{"latin1-word", "=?iso-8859-1?q?K=F6ln?=", "Köln"},
		{"raw-latin1", "K\xf6ln", "Köln"},
		{"raw-utf8", "K\xc3\xb6ln", "Köln"},
		{"controls", "a\tb\rc\nd\x07", "a b c d "},
		{"encoded-control", "=?utf-8?q?x=0Ay?=", "x y"},
		{"unknown-charset", "=?x-nonsense?q?abc?=", "abc"},
		{"empty", "", ""},
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autofree char *got = tg_message_decode_header (rows[i].value);

		if (g_strcmp0 (got, rows[i].want) != 0) {
			g_test_message ("%s: got \"%s\", want \"%s\"",
					rows[i].label, got, rows[i].want);
			g_test_fail ();
		}
	}
}

typedef struct {
	const char *label;
	const char *value;
	const char *addr; /* NULL: no address expected */
	const char *name;
} AddressRow;

static void
test_parse_address (void)
{
	static const AddressRow rows[] = {
		{"name-addr", "Alice <Alice@Example.ORG>", "alice@example.org",
		 "Alice"},
		{"bare", "bob@example.com", "bob@example.com", NULL},
		{"quoted-name", "\"Doe, John\" <j@x.example>", "j@x.example",
		 "Doe, John"},
		{"encoded-name", "=?utf-8?q?J=C3=B6rg?= <j@x.example>",
		 "j@x.example", "Jörg"},
		{"first-of-list", "a@x.example, b@y.example", "a@x.example",
		 NULL},
		{"group", "Team: c@x.example, d@x.example;", "c@x.example",
		 NULL},
		{"empty-group", "undisclosed-recipients:;", NULL, NULL},
		{"no-domain", "MAILER-DAEMON", "mailer-daemon", NULL},
		{"empty", "", NULL, NULL},
		{"junk", "<<<>>>", NULL, NULL},
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (TgAddress) got =
			tg_message_parse_address (rows[i].value);
		const char *addr = got != NULL ? got->addr : NULL;
		const char *name = got != NULL ? got->name : NULL;

		if (g_strcmp0 (addr, rows[i].addr) != 0 ||
		    g_strcmp0 (name, rows[i].name) != 0) {
			g_test_message ("%s: got <%s> \"%s\", want <%s> \"%s\"",
					rows[i].label, addr, name, rows[i].addr,
					rows[i].name);
			g_test_fail ();
		}
	}
}

static void
test_get_header (void)
{
	static const char text[] = "Received: first\nreceived: second\n"
				   "X-Empty:\nSubject: s\n\nbody\n";
	g_autoptr (TgMessage) msg = parse_text (text, sizeof text - 1);

	g_assert_cmpstr (tg_message_get_header (msg, "RECEIVED"), ==, "first");
	g_assert_cmpstr (tg_message_get_header (msg, "x-empty"), ==, "");
	g_assert_null (tg_message_get_header (msg, "X-Missing"));
}

static void
test_free_null (void)
{
	tg_message_free (NULL);
	tg_address_free (NULL);
}

static void
test_empty_input (void)
{
	g_autoptr (TgMessage) msg = parse_text ("", 0);

	g_assert_cmpstr (msg->subject, ==, "");
	g_assert_cmpstr (msg->body_text, ==, "");
	g_assert_cmpuint (msg->size, ==, 0);
	/* SHA-256 of nothing. */
	g_assert_cmpstr (msg->body_digest, ==,
			 "e3b0c44298fc1c149afbf4c8996fb924"
			 "27ae41e4649b934ca495991b7852b855");
}

/*
 * Every charset converter path with nothing to convert: a part with an
 * empty body under each kind of label (none, UTF-8, ASCII, 8-bit
 * charsets, an unknown one, the wide and the stateful 7-bit ones), as
 * plain text, as HTML, under each transfer encoding, and empty encoded
 * words in the subject, a display name and a file name. GLib criticals
 * and warnings are fatal here (main), so a converter that trips over no
 * input fails the row.
 */
static const char *const empty_charsets[] = {
	NULL,	       "utf-8",	      "us-ascii",  "iso-8859-1", "windows-1252",
	"koi8-r",      "big5",	      "shift_jis", "gb2312",	 "x-unknown",
	"utf-16",      "utf-16le",    "utf-32",	   "ucs-2",	 "unicode-1-1",
	"iso-2022-jp", "iso-2022-kr", "utf-7",	   "hz-gb-2312",
};

static const char *const empty_encodings[] = {
	NULL, "7bit", "8bit", "base64", "quoted-printable", "x-uuencode",
};

static char *
empty_part_mail (const char *subtype, const char *charset, const char *encoding)
{
	g_autofree char *cs =
		charset != NULL ? g_strdup_printf ("; charset=%s", charset)
				: g_strdup ("");
	g_autofree char *cte =
		encoding != NULL
			? g_strdup_printf ("Content-Transfer-Encoding: %s\n",
					   encoding)
			: g_strdup ("");

	return g_strdup_printf (
		"From: =?%s?B?"
		"?= <a@example.com>\n"
		"Subject: =?%s?Q?"
		"?=\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/%s%s\n%s\n"
		"--b\nContent-Type: application/pdf\n"
		"Content-Disposition: attachment; filename*=%s''\n%s\n"
		"--b--\n",
		charset ? charset : "utf-8", charset ? charset : "utf-8",
		subtype, cs, cte, charset ? charset : "utf-8", cte);
}

static void
test_empty_converters (void)
{
	const char *const subtypes[] = {"plain", "html"};

	for (gsize s = 0; s < G_N_ELEMENTS (subtypes); s++)
		for (gsize c = 0; c < G_N_ELEMENTS (empty_charsets); c++)
			for (gsize e = 0; e < G_N_ELEMENTS (empty_encodings);
			     e++) {
				g_autofree char *text = empty_part_mail (
					subtypes[s], empty_charsets[c],
					empty_encodings[e]);
				g_autoptr (TgMessage) msg =
					parse_text (text, strlen (text));

				if (strcmp (msg->body_text, "") != 0 ||
				    strcmp (msg->subject, "") != 0)
					tg_test_fail_row (
						"text/%s, charset %s, %s: "
						"got subject \"%s\" body "
						"\"%s\", want both empty",
						subtypes[s],
						empty_charsets[c]
							? empty_charsets[c]
							: "(none)",
						empty_encodings[e]
							? empty_encodings[e]
							: "(none)",
						msg->subject, msg->body_text);
			}
}

/* The same labels on a mail that is only a header block, and on one
 * whose body is empty. */
static void
test_empty_bodies (void)
{
	for (gsize c = 0; c < G_N_ELEMENTS (empty_charsets); c++) {
		const char *cs = empty_charsets[c] ? empty_charsets[c] : "";
		g_autofree char *headers_only = g_strdup_printf (
			"Subject: x\nContent-Type: text/plain; charset=%s", cs);
		g_autofree char *empty_body = g_strdup_printf (
			"Subject: x\nContent-Type: text/plain; charset=%s\n\n",
			cs);
		g_autoptr (TgMessage) a =
			parse_text (headers_only, strlen (headers_only));
		g_autoptr (TgMessage) b =
			parse_text (empty_body, strlen (empty_body));

		if (*a->body_text != '\0' || *b->body_text != '\0')
			tg_test_fail_row ("charset \"%s\": got bodies \"%s\" "
					  "and \"%s\", want empty",
					  cs, a->body_text, b->body_text);
	}
}

/*
 * The one failure: the spool cannot be read. Its file descriptor is
 * made to point at a directory, so that pread(2) fails with EISDIR.
 */
static void
test_unreadable_spool (void)
{
	static const char text[] = "Subject: x\n\nbody\n";
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) spool = NULL;
	g_autoptr (TgMessage) msg = NULL;
	int fds[2];
	int dir = -1;

	g_assert_no_errno (pipe (fds));
	g_assert_cmpint (write (fds[1], text, sizeof text - 1), ==,
			 sizeof text - 1);
	g_assert_no_errno (close (fds[1]));
	spool = tg_spool_read_fd (fds[0], 0, 0, NULL, &error);
	g_assert_no_error (error);
	g_assert_no_errno (close (fds[0]));
	dir = g_open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	g_assert_cmpint (dir, >=, 0);
	g_assert_no_errno (dup2 (dir, tg_spool_get_fd (spool)));
	g_assert_no_errno (close (dir));
	msg = tg_message_parse (spool, &error);
	g_assert_error (error, TG_MESSAGE_ERROR, TG_MESSAGE_ERROR_TEMPORARY);
	g_assert_null (msg);
}

/* ---- the shared corpus ---- */

static void
check_valid (const char *row, const TgMessage *msg)
{
	if (!g_utf8_validate (msg->subject, -1, NULL) ||
	    !g_utf8_validate (msg->body_text, -1, NULL)) {
		g_test_message ("%s: subject or body is not valid UTF-8", row);
		g_test_fail ();
	}
	g_assert_nonnull (msg->body_digest);
	for (guint i = 0; i < msg->headers->len; i++) {
		const TgHeader *h = g_ptr_array_index (msg->headers, i);

		if (!g_utf8_validate (h->value, -1, NULL)) {
			g_test_message ("%s: header %s is not valid UTF-8", row,
					h->name);
			g_test_fail ();
		}
	}
}

static void
test_corpus_file (gconstpointer data)
{
	const char *path = data;
	g_autoptr (GError) error = NULL;
	g_autofree char *content = NULL;
	gsize len = 0;
	g_autoptr (TgSpool) mem = NULL;
	g_autoptr (TgSpool) file = NULL;
	g_autoptr (TgMessage) from_mem = NULL;
	g_autoptr (TgMessage) from_file = NULL;
	g_autofree char *dump_mem = NULL;
	g_autofree char *dump_file = NULL;

	g_file_get_contents (path, &content, &len, &error);
	g_assert_no_error (error);
	mem = tg_spool_new_from_data (content, len);
	file = spool_from_file (path);
	g_assert_cmpint (tg_spool_get_fd (file), !=, -1);
	from_mem = parse_spool (mem);
	from_file = parse_spool (file);
	check_valid (path, from_mem);
	g_assert_cmpstr (from_mem->subject, ==, from_file->subject);
	g_assert_cmpstr (from_mem->body_digest, ==, from_file->body_digest);
	g_assert_cmpuint (from_mem->attachments->len, ==,
			  from_file->attachments->len);
	dump_mem = dump_message (from_mem);
	dump_file = dump_message (from_file);
	assert_same_text (path, dump_file, dump_mem);
	g_test_message ("%s: %u warnings, %u attachments, body %zu bytes%s",
			path, from_mem->parse_warnings,
			from_mem->attachments->len,
			strlen (from_mem->body_text),
			from_mem->body_from_html ? " (from HTML)" : "");
}

static void
test_corpus_missing (void)
{
	g_test_skip ("shared corpus not found (set TG_CORPUS_DIR)");
}

/* test path component: the corpus file name with odd characters as '_'. */
static char *
test_name_for (const char *relative)
{
	char *name = g_strdup (relative);

	for (char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' &&
		    *p != '_' && *p != '/')
			*p = '_';
	return name;
}

/* add_corpus_tests: one case per file listed in the corpus INDEX.tsv. */
static void
add_corpus_tests (void)
{
	g_autofree char *dir = tg_test_corpus_dir ();
	g_autofree char *index_path = NULL;
	g_autofree char *index = NULL;
	g_auto (GStrv) lines = NULL;
	guint added = 0;

	if (dir == NULL) {
		g_test_add_func ("/message/corpus/missing",
				 test_corpus_missing);
		return;
	}
	index_path = g_build_filename (dir, "INDEX.tsv", NULL);
	if (!g_file_get_contents (index_path, &index, NULL, NULL)) {
		g_test_add_func ("/message/corpus/missing",
				 test_corpus_missing);
		return;
	}
	lines = g_strsplit (index, "\n", -1);
	/* Line 0 is the column header. */
	for (gsize i = 1; lines[i] != NULL; i++) {
		g_autofree char *relative =
			g_strndup (lines[i], strcspn (lines[i], "\t"));
		g_autofree char *name = NULL;
		g_autofree char *test_path = NULL;

		if (*relative == '\0')
			continue;
		name = test_name_for (relative);
		test_path = g_strconcat ("/message/corpus/", name, NULL);
		/* The path string lives as long as the test run. */
		g_test_add_data_func_full (
			test_path, g_build_filename (dir, relative, NULL),
			test_corpus_file, g_free);
		added++;
	}
	if (added == 0)
		g_test_add_func ("/message/corpus/missing",
				 test_corpus_missing);
}

static void
add_fixture_tests (void)
{
	g_autoptr (GPtrArray) names = tg_test_list_fixtures ("message", ".eml");

	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index (names, i);
		g_autofree char *stem = g_strndup (name, strlen (name) - 4);
		g_autofree char *path =
			g_strconcat ("/message/fixture/", stem, NULL);

		g_test_add_data_func_full (path, g_strdup (name), test_fixture,
					   g_free);
	}
}

/* strip_regenerate: removes our own flag before GTest sees argv. */
static void
strip_regenerate (int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp (argv[i], "--regenerate") == 0)
			regenerate = TRUE;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
}

int
main (int argc, char **argv)
{
	int status = 0;

	strip_regenerate (&argc, argv);
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	/* Parsing warns about nothing: a GLib warning is a bug here, like
	 * a critical (G_DEBUG=fatal-criticals). */
	g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
				G_LOG_LEVEL_WARNING);
	tg_message_init ();

	add_fixture_tests ();
	for (gsize i = 0; i < G_N_ELEMENTS (limit_cases); i++) {
		g_autofree char *path = g_strconcat (
			"/message/limits/", limit_cases[i].label, NULL);

		g_test_add_data_func (path, &limit_cases[i], test_limit);
	}
	g_test_add_func ("/message/api/decode-header", test_decode_header);
	g_test_add_func ("/message/api/parse-address", test_parse_address);
	g_test_add_func ("/message/api/get-header", test_get_header);
	g_test_add_func ("/message/api/free-null", test_free_null);
	g_test_add_func ("/message/parse/empty-input", test_empty_input);
	g_test_add_func ("/message/parse/empty-converters",
			 test_empty_converters);
	g_test_add_func ("/message/parse/empty-bodies", test_empty_bodies);
	g_test_add_func ("/message/parse/unreadable-spool",
			 test_unreadable_spool);
	add_corpus_tests ();

	status = g_test_run ();
	tg_message_shutdown ();
	return status;
}
