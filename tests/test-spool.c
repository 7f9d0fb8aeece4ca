/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-spool: reading a descriptor within limits. Pipes fed from a thread
 * one byte at a time and in big chunks, with signals interrupting the
 * reads; the switch from memory to file; the size limit and the draining
 * that goes with it; read and write failures; tg_spool_read_at().
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tgtest.h"

/* pattern: @len bytes that differ from one offset to the next. */
static GBytes *
pattern (gsize len)
{
	guint8 *data = g_malloc (len + 1);

	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)((i * 7 + i / 251) & 0xff);
	return g_bytes_new_take (data, len);
}

typedef struct {
	int fd;
	GBytes *bytes;
	gsize chunk;	     /* bytes per write(2) */
	pthread_t interrupt; /* signalled between writes, if set */
	gboolean interrupt_set;
	gsize written; /* what the writer got rid of */
	int error;     /* errno of a failed write, else 0 */
} Writer;

static gpointer
writer_run (gpointer data)
{
	Writer *w = data;
	gsize len = 0;
	const guint8 *p = g_bytes_get_data (w->bytes, &len);

	while (w->written < len) {
		gsize n = MIN (w->chunk, len - w->written);
		ssize_t done = 0;

		/* Let the reader block on the empty pipe, then interrupt it. */
		if (w->interrupt_set) {
			g_usleep (1000);
			pthread_kill (w->interrupt, SIGUSR1);
		}
		done = write (w->fd, p + w->written, n);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0) {
			w->error = errno;
			break;
		}
		w->written += (gsize)done;
	}
	close (w->fd);
	return NULL;
}

/*
 * read_through_pipe: @bytes written into a pipe by a thread, @chunk bytes
 * at a time, read back with tg_spool_read_fd(). The writer's record is
 * left in @writer_out when it is not NULL.
 */
static TgSpool *
read_through_pipe (GBytes *bytes, gsize chunk, gsize max_size,
		   gsize memory_limit, gboolean interrupt, Writer *writer_out,
		   GError **error)
{
	int fds[2];
	Writer w = {0};
	GThread *thread = NULL;
	TgSpool *spool = NULL;
	char probe = 0;
	ssize_t nread = 0;

	g_assert_no_errno (pipe (fds));
	w.fd = fds[1];
	w.bytes = bytes;
	w.chunk = chunk;
	w.interrupt = pthread_self ();
	w.interrupt_set = interrupt;
	thread = g_thread_new ("writer", writer_run, &w);
	spool = tg_spool_read_fd (fds[0], max_size, memory_limit, NULL, error);
	/*
	 * Unless reading failed (then Postfix sees our exit and retries),
	 * the pipe has been read to its end, even for a mail too big: the
	 * writer has closed it, so a read that cannot block finds the end.
	 * The read end is closed before the join, so that a writer left
	 * blocked by a broken reader gets EPIPE instead of hanging the test.
	 */
	if (spool != NULL ||
	    g_error_matches (*error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TOO_BIG)) {
		g_assert_no_errno (fcntl (fds[0], F_SETFL, O_NONBLOCK));
		nread = read (fds[0], &probe, 1);
		if (nread != 0) {
			g_test_message ("pipe not drained: read gave %zd (%s)",
					nread, g_strerror (errno));
			g_test_fail ();
		}
	}
	g_assert_no_errno (close (fds[0]));
	g_thread_join (thread);
	if (writer_out != NULL)
		*writer_out = w;
	return spool;
}

/* assert_content: the spool holds exactly @want, read in @step pieces. */
static void
assert_content (const char *row, const TgSpool *spool, GBytes *want, gsize step)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (want, &len);
	g_autofree guint8 *buf = g_malloc (step);
	gsize offset = 0;

	if (tg_spool_get_size (spool) != len) {
		g_test_message ("%s: size: got %" G_GSIZE_FORMAT
				", want %" G_GSIZE_FORMAT,
				row, tg_spool_get_size (spool), len);
		g_test_fail ();
		return;
	}
	while (offset < len) {
		g_autoptr (GError) error = NULL;
		gssize n = tg_spool_read_at (spool, (goffset)offset, buf, step,
					     &error);

		g_assert_no_error (error);
		g_assert_cmpint (n, >, 0);
		if (memcmp (buf, data + offset, (gsize)n) != 0) {
			g_test_message ("%s: content differs near offset "
					"%" G_GSIZE_FORMAT,
					row, offset);
			g_test_fail ();
			return;
		}
		offset += (gsize)n;
	}
}

/* ---- memory or file ---- */

typedef struct {
	const char *label;
	gsize size;
	gsize memory_limit;
	gboolean want_file;
} PlaceRow;

static const PlaceRow place_rows[] = {
	{"empty", 0, 1000, FALSE},
	{"one-byte", 1, 1000, FALSE},
	{"below-limit", 999, 1000, FALSE},
	{"at-limit", 1000, 1000, FALSE},
	{"above-limit", 1001, 1000, TRUE},
	{"many-chunks", 300000, 100000, TRUE},
	{"limit-zero", 10, 0, TRUE},
	{"limit-zero-empty", 0, 0, FALSE},
};

static void
test_place (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (place_rows); i++) {
		const PlaceRow *row = &place_rows[i];
		g_autoptr (GBytes) want = pattern (row->size);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgSpool) spool = read_through_pipe (
			want, 4096, 0, row->memory_limit, FALSE, NULL, &error);
		gboolean is_file = FALSE;

		g_assert_no_error (error);
		g_assert_nonnull (spool);
		is_file = tg_spool_get_fd (spool) != -1;
		if (is_file != row->want_file ||
		    (tg_spool_get_bytes (spool) == NULL) != row->want_file) {
			g_test_message ("%s: in a file: got %d, want %d",
					row->label, is_file, row->want_file);
			g_test_fail ();
		}
		if (!is_file)
			g_assert_true (g_bytes_equal (
				tg_spool_get_bytes (spool), want));
		assert_content (row->label, spool, want, 1000);
	}
}

/* ---- feeding ---- */

typedef struct {
	const char *label;
	gsize size;
	gsize chunk;
	gsize memory_limit;
	gboolean interrupt;
} FeedRow;

static const FeedRow feed_rows[] = {
	{"bytewise-memory", 3000, 1, 4096, FALSE},
	{"bytewise-file", 5000, 1, 1000, FALSE},
	{"big-chunks-file", 2 * 1024 * 1024, 256 * 1024, 64 * 1024, FALSE},
	{"odd-chunks-file", 1000003, 65537, 100000, FALSE},
	/* Reads interrupted by a signal handler without SA_RESTART. */
	{"interrupted", 100000, 997, 50000, TRUE},
};

static void
on_sigusr1 (int sig)
{
}

static void
test_feed (void)
{
	struct sigaction sa = {0};
	struct sigaction old = {0};

	sa.sa_handler = on_sigusr1;
	sa.sa_flags = 0; /* no SA_RESTART: read(2) fails with EINTR */
	sigemptyset (&sa.sa_mask);
	g_assert_no_errno (sigaction (SIGUSR1, &sa, &old));
	for (gsize i = 0; i < G_N_ELEMENTS (feed_rows); i++) {
		const FeedRow *row = &feed_rows[i];
		g_autoptr (GBytes) want = pattern (row->size);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgSpool) spool = read_through_pipe (
			want, row->chunk, 0, row->memory_limit, row->interrupt,
			NULL, &error);

		g_assert_no_error (error);
		g_assert_nonnull (spool);
		assert_content (row->label, spool, want, 65536);
	}
	g_assert_no_errno (sigaction (SIGUSR1, &old, NULL));
}

/* ---- the size limit ---- */

typedef struct {
	const char *label;
	gsize size;
	gsize max_size;
	gsize memory_limit;
	gboolean want_too_big;
} LimitRow;

static const LimitRow limit_rows[] = {
	{"at-max", 5000, 5000, 1000, FALSE},
	{"max-plus-one", 5001, 5000, 1000, TRUE},
	{"far-over-in-memory", 500000, 1000, 1000000, TRUE},
	{"far-over-in-file", 3 * 1024 * 1024, 100000, 1000, TRUE},
	{"no-limit", 300000, 0, 1000, FALSE},
};

static void
test_limit (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (limit_rows); i++) {
		const LimitRow *row = &limit_rows[i];
		g_autoptr (GBytes) want = pattern (row->size);
		g_autoptr (GError) error = NULL;
		g_autofree char *limit_text = NULL;
		Writer w = {0};
		g_autoptr (TgSpool) spool = read_through_pipe (
			want, 8192, row->max_size, row->memory_limit, FALSE, &w,
			&error);

		/* The writer saw no broken pipe: everything was taken. */
		if (w.error != 0 || w.written != row->size) {
			g_test_message ("%s: writer wrote %" G_GSIZE_FORMAT
					" of %" G_GSIZE_FORMAT " (%s)",
					row->label, w.written, row->size,
					g_strerror (w.error));
			g_test_fail ();
		}
		if (!row->want_too_big) {
			g_assert_no_error (error);
			assert_content (row->label, spool, want, 4096);
			continue;
		}
		g_assert_error (error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TOO_BIG);
		g_assert_null (spool);
		limit_text =
			g_strdup_printf ("%" G_GSIZE_FORMAT, row->max_size);
		if (strstr (error->message, limit_text) == NULL) {
			g_test_message ("%s: message \"%s\" does not give the "
					"limit %s",
					row->label, error->message, limit_text);
			g_test_fail ();
		}
	}
}

/* ---- failures ---- */

static void
test_read_error (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) spool = NULL;
	int dir = g_open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	g_assert_cmpint (dir, >=, 0);
	/* read(2) on a directory fails with EISDIR. */
	spool = tg_spool_read_fd (dir, 0, 1000, NULL, &error);
	g_assert_error (error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY);
	g_assert_null (spool);
	g_assert_no_errno (close (dir));
}

static void
test_bad_tmpdir (void)
{
	g_autoptr (GBytes) want = pattern (5000);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) spool = NULL;
	int fds[2];
	Writer w = {0};
	GThread *thread = NULL;

	g_assert_no_errno (pipe (fds));
	w.fd = fds[1];
	w.bytes = want;
	w.chunk = 1000;
	thread = g_thread_new ("writer", writer_run, &w);
	spool = tg_spool_read_fd (fds[0], 0, 100, "/nonexistent/ticketgate",
				  &error);
	/* The reader gave up at once: let the writer see EPIPE, not hang. */
	g_assert_no_errno (close (fds[0]));
	g_thread_join (thread);
	g_assert_error (error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY);
	g_assert_null (spool);
}

/*
 * A write to the temporary file fails (here: EFBIG past RLIMIT_FSIZE,
 * as ENOSPC would on a full disk). Runs in a subprocess, since the
 * limit applies to the whole process.
 */
static void
test_write_error (void)
{
	if (g_test_subprocess ()) {
		struct rlimit lim = {4096, 4096};
		g_autoptr (GBytes) want = pattern (100000);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgSpool) spool = NULL;
		signal (SIGXFSZ, SIG_IGN);
		g_assert_no_errno (setrlimit (RLIMIT_FSIZE, &lim));
		spool = read_through_pipe (want, 10000, 0, 1000, FALSE, NULL,
					   &error);
		g_assert_error (error, TG_SPOOL_ERROR,
				TG_SPOOL_ERROR_TEMPORARY);
		g_assert_nonnull (strstr (error->message, "write"));
		g_assert_null (spool);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed ();
}

/* ---- the temporary file ---- */

static void
test_tmpdir_unlinked (void)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp ("tg-spool-XXXXXX", &error);
	g_autoptr (GBytes) want = pattern (10000);
	g_autoptr (TgSpool) spool = NULL;
	g_autoptr (GDir) listing = NULL;
	int fds[2];
	Writer w = {0};
	GThread *thread = NULL;

	g_assert_no_error (error);
	g_assert_no_errno (pipe (fds));
	w.fd = fds[1];
	w.bytes = want;
	w.chunk = 1000;
	thread = g_thread_new ("writer", writer_run, &w);
	spool = tg_spool_read_fd (fds[0], 0, 100, dir, &error);
	g_thread_join (thread);
	g_assert_no_errno (close (fds[0]));
	g_assert_no_error (error);
	g_assert_cmpint (tg_spool_get_fd (spool), !=, -1);
	/* The file is in use but has no name left behind. */
	listing = g_dir_open (dir, 0, &error);
	g_assert_no_error (error);
	g_assert_null (g_dir_read_name (listing));
	assert_content ("tmpdir", spool, want, 777);
	g_assert_no_errno (g_rmdir (dir));
}

/* ---- read_at ---- */

typedef struct {
	const char *label;
	goffset offset;
	gsize len;
	gssize want; /* bytes copied */
} ReadAtRow;

static void
check_read_at (const char *kind, const TgSpool *spool, GBytes *content)
{
	const gsize size = g_bytes_get_size (content);
	const guint8 *data = g_bytes_get_data (content, NULL);
	const ReadAtRow rows[] = {
		{"start", 0, 10, 10},
		{"one", 1, 1, 1},
		{"middle", 1234, 100, 100},
		{"last-byte", (goffset)size - 1, 10, 1},
		{"tail", (goffset)size - 5, 100, 5},
		{"at-end", (goffset)size, 10, 0},
		{"past-end", (goffset)size + 100, 10, 0},
		{"zero-length", 5, 0, 0},
		{"whole", 0, size + 1, (gssize)size},
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (GError) error = NULL;
		g_autofree guint8 *buf = g_malloc0 (rows[i].len + 1);
		gssize n = tg_spool_read_at (spool, rows[i].offset, buf,
					     rows[i].len, &error);

		g_assert_no_error (error);
		if (n != rows[i].want) {
			g_test_message ("%s %s: got %" G_GSSIZE_FORMAT
					" bytes, want %" G_GSSIZE_FORMAT,
					kind, rows[i].label, n, rows[i].want);
			g_test_fail ();
			continue;
		}
		if (n > 0 &&
		    memcmp (buf, data + rows[i].offset, (gsize)n) != 0) {
			g_test_message ("%s %s: content differs", kind,
					rows[i].label);
			g_test_fail ();
		}
	}
}

static void
test_read_at (void)
{
	g_autoptr (GBytes) content = pattern (5000);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSpool) mem = tg_spool_new_from_data (
		g_bytes_get_data (content, NULL), g_bytes_get_size (content));
	g_autoptr (TgSpool) file =
		read_through_pipe (content, 999, 0, 0, FALSE, NULL, &error);

	g_assert_no_error (error);
	g_assert_cmpint (tg_spool_get_fd (mem), ==, -1);
	g_assert_cmpint (tg_spool_get_fd (file), !=, -1);
	check_read_at ("memory", mem, content);
	check_read_at ("file", file, content);
}

static void
test_new_from_data (void)
{
	static const char text[] = "Subject: x\n\nbody\n";
	g_autoptr (TgSpool) spool =
		tg_spool_new_from_data (text, sizeof text - 1);
	g_autoptr (TgSpool) empty = tg_spool_new_from_data (NULL, 0);
	gsize len = 0;
	const char *data = g_bytes_get_data (tg_spool_get_bytes (spool), &len);

	g_assert_cmpuint (tg_spool_get_size (spool), ==, sizeof text - 1);
	g_assert_cmpint (tg_spool_get_fd (spool), ==, -1);
	g_assert_cmpmem (data, len, text, sizeof text - 1);
	/* A copy, not the caller's buffer. */
	g_assert_true (data != text);
	g_assert_cmpuint (tg_spool_get_size (empty), ==, 0);
	g_assert_nonnull (tg_spool_get_bytes (empty));
	tg_spool_free (NULL);
}

/* Filled piece by piece: in memory up to the limit, then in a file,
 * the same bytes either way. */
static void
test_append (void)
{
	static const struct {
		const char *label;
		gsize memory_limit;
		gsize piece;
		gboolean in_file;
	} rows[] = {
		{"all in memory", 10000, 1000, FALSE},
		{"exactly the limit", 5000, 1000, FALSE},
		{"over the limit", 4999, 1000, TRUE},
		{"one big piece", 0, 5000, TRUE},
		{"odd pieces", 1024, 333, TRUE},
	};
	g_autoptr (GBytes) content = pattern (5000);
	const guint8 *data = g_bytes_get_data (content, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr (TgSpool) spool =
			tg_spool_new (rows[i].memory_limit, NULL);
		g_autoptr (GError) error = NULL;

		for (gsize off = 0; off < 5000; off += rows[i].piece)
			g_assert_true (tg_spool_append (
				spool, data + off,
				MIN (rows[i].piece, 5000 - off), &error));
		g_assert_no_error (error);
		tg_spool_finish (spool);
		if ((tg_spool_get_fd (spool) >= 0) != rows[i].in_file) {
			g_test_message (
				"%s: got in_file %d, want %d", rows[i].label,
				tg_spool_get_fd (spool) >= 0, rows[i].in_file);
			g_test_fail ();
		}
		g_assert_cmpuint (tg_spool_get_size (spool), ==, 5000);
		g_assert_true ((tg_spool_get_bytes (spool) == NULL) ==
			       rows[i].in_file);
		check_read_at (rows[i].label, spool, content);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	/* A reader that gives up must not kill the test with SIGPIPE. */
	signal (SIGPIPE, SIG_IGN);

	g_test_add_func ("/spool/read/place", test_place);
	g_test_add_func ("/spool/read/feed", test_feed);
	g_test_add_func ("/spool/read/limit", test_limit);
	g_test_add_func ("/spool/read/read-error", test_read_error);
	g_test_add_func ("/spool/read/bad-tmpdir", test_bad_tmpdir);
	g_test_add_func ("/spool/read/write-error", test_write_error);
	g_test_add_func ("/spool/read/tmpdir-unlinked", test_tmpdir_unlinked);
	g_test_add_func ("/spool/read-at/offsets", test_read_at);
	g_test_add_func ("/spool/new/from-data", test_new_from_data);
	g_test_add_func ("/spool/new/append", test_append);
	return g_test_run ();
}
