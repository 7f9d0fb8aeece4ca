/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * spool: reads one incoming mail from a descriptor within a size limit.
 * Up to memory_limit bytes stay in memory; beyond that the content moves
 * to an unlinked temporary file, so memory never grows with the mail.
 * Pure GLib and POSIX: it knows nothing about mail and never exits.
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* One read(2) at a time; large enough for pipes, small for the stack. */
#define SPOOL_CHUNK (64 * 1024)

struct _TgSpool {
	GByteArray *mem; /* the content while in memory, else NULL */
	GBytes *bytes;	 /* a view of mem handed to callers, else NULL */
	int fd;		 /* the unlinked temporary file, else -1 */
	gsize size;
	gsize memory_limit; /* tg_spool_new(): while it is filled */
	char *tmpdir;
};

/* clang-format would put spaces into the quark name. */
/* clang-format off */
G_DEFINE_QUARK (tg-spool-error-quark, tg_spool_error)
/* clang-format on */

static TgSpool *
spool_new (void)
{
	TgSpool *spool = g_new0 (TgSpool, 1);

	spool->mem = g_byte_array_new ();
	spool->fd = -1;
	return spool;
}

/* freeze_memory: makes the GBytes view once reading is over. */
static void
freeze_memory (TgSpool *spool)
{
	if (spool->mem == NULL)
		return;
	spool->bytes =
		g_bytes_new_with_free_func (spool->mem->data, spool->mem->len,
					    (GDestroyNotify)g_byte_array_unref,
					    g_byte_array_ref (spool->mem));
}

static gboolean
write_all (int fd, const guint8 *buf, gsize len, GError **error)
{
	while (len > 0) {
		ssize_t n = write (fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error (error, TG_SPOOL_ERROR,
				     TG_SPOOL_ERROR_TEMPORARY,
				     "write(spool file) failed: %s",
				     g_strerror (saved));
			return FALSE;
		}
		if (n == 0) {
			/* write(2) of a non-zero length never returns 0
			 * for a regular file; do not loop forever if it
			 * does. */
			g_set_error (error, TG_SPOOL_ERROR,
				     TG_SPOOL_ERROR_TEMPORARY,
				     "write(spool file) failed: wrote nothing");
			return FALSE;
		}
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/*
 * open_unlinked: a new temporary file in @tmpdir, already unlinked, so
 * that it disappears with the process whatever happens to us.
 */
static int
open_unlinked (const char *tmpdir, GError **error)
{
	g_autofree char *path =
		g_build_filename (tmpdir != NULL ? tmpdir : g_get_tmp_dir (),
				  "ticketgate-spool-XXXXXX", NULL);
	int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
	int saved = 0;

	if (fd < 0) {
		saved = errno;
		g_set_error (error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY,
			     "mkstemp(%s) failed: %s", path,
			     g_strerror (saved));
		return -1;
	}
	if (g_unlink (path) != 0) {
		saved = errno;
		g_set_error (error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY,
			     "unlink(%s) failed: %s", path, g_strerror (saved));
		(void)close (fd);
		return -1;
	}
	return fd;
}

/* move_to_file: the memory content goes to a new temporary file. */
static gboolean
move_to_file (TgSpool *spool, const char *tmpdir, GError **error)
{
	int fd = open_unlinked (tmpdir, error);

	if (fd < 0)
		return FALSE;
	spool->fd = fd;
	if (!write_all (fd, spool->mem->data, spool->mem->len, error))
		return FALSE;
	g_clear_pointer (&spool->mem, g_byte_array_unref);
	return TRUE;
}

/* store_chunk: appends @len bytes, switching to the file when needed. */
static gboolean
store_chunk (TgSpool *spool, const guint8 *buf, gsize len, gsize memory_limit,
	     const char *tmpdir, GError **error)
{
	if (spool->mem != NULL && spool->size + len > memory_limit &&
	    !move_to_file (spool, tmpdir, error))
		return FALSE;
	if (spool->mem != NULL)
		g_byte_array_append (spool->mem, buf, (guint)len);
	else if (!write_all (spool->fd, buf, len, error))
		return FALSE;
	spool->size += len;
	return TRUE;
}

/* read_some: read(2) that retries EINTR; -1 sets @error. */
static gssize
read_some (int fd, guint8 *buf, gsize len, GError **error)
{
	for (;;) {
		ssize_t n = read (fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR) {
			int saved = errno;

			g_set_error (
				error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY,
				"read(input) failed: %s", g_strerror (saved));
			return -1;
		}
	}
}

/*
 * drain: reads @fd to its end and throws the bytes away, so that the
 * writer (Postfix pipe(8)) finishes writing before we refuse the mail.
 */
static gboolean
drain (int fd, guint8 *buf, GError **error)
{
	gssize n = 0;

	while ((n = read_some (fd, buf, SPOOL_CHUNK, error)) > 0)
		;
	return n == 0;
}

TgSpool *
tg_spool_read_fd (int fd, gsize max_size, gsize memory_limit,
		  const char *tmpdir, GError **error)
{
	g_autoptr (TgSpool) spool = NULL;
	g_autofree guint8 *buf = NULL;
	gssize n = 0;

	g_return_val_if_fail (fd >= 0, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	/* GByteArray lengths are guint. */
	memory_limit = MIN (memory_limit, (gsize)G_MAXUINT - SPOOL_CHUNK);
	spool = spool_new ();
	buf = g_malloc (SPOOL_CHUNK);
	while ((n = read_some (fd, buf, SPOOL_CHUNK, error)) > 0) {
		if (max_size > 0 && spool->size + (gsize)n > max_size) {
			/* Let go of what we hold before draining. */
			g_clear_pointer (&spool, tg_spool_free);
			if (!drain (fd, buf, error))
				return NULL;
			g_set_error (
				error, TG_SPOOL_ERROR, TG_SPOOL_ERROR_TOO_BIG,
				"message larger than %" G_GSIZE_FORMAT " bytes",
				max_size);
			return NULL;
		}
		if (!store_chunk (spool, buf, (gsize)n, memory_limit, tmpdir,
				  error))
			return NULL;
	}
	if (n < 0)
		return NULL;
	freeze_memory (spool);
	return g_steal_pointer (&spool);
}

TgSpool *
tg_spool_new_from_data (const void *data, gsize len)
{
	TgSpool *spool = NULL;

	g_return_val_if_fail (data != NULL || len == 0, NULL);
	g_return_val_if_fail (len <= G_MAXUINT, NULL);

	spool = spool_new ();
	if (len > 0)
		g_byte_array_append (spool->mem, data, (guint)len);
	spool->size = len;
	freeze_memory (spool);
	return spool;
}

TgSpool *
tg_spool_new (gsize memory_limit, const char *tmpdir)
{
	TgSpool *spool = spool_new ();

	/* GByteArray lengths are guint. */
	spool->memory_limit = MIN (memory_limit, (gsize)G_MAXUINT);
	spool->tmpdir = g_strdup (tmpdir);
	return spool;
}

gboolean
tg_spool_append (TgSpool *spool, const void *data, gsize len, GError **error)
{
	g_return_val_if_fail (spool != NULL && spool->bytes == NULL, FALSE);
	g_return_val_if_fail (data != NULL || len == 0, FALSE);

	return store_chunk (spool, data, len, spool->memory_limit,
			    spool->tmpdir, error);
}

void
tg_spool_finish (TgSpool *spool)
{
	g_return_if_fail (spool != NULL && spool->bytes == NULL);

	freeze_memory (spool);
}

void
tg_spool_free (TgSpool *spool)
{
	if (spool == NULL)
		return;
	g_free (spool->tmpdir);
	g_clear_pointer (&spool->bytes, g_bytes_unref);
	g_clear_pointer (&spool->mem, g_byte_array_unref);
	/* An unlinked file: close(2) errors lose nothing worth a report. */
	if (spool->fd >= 0)
		(void)close (spool->fd);
	g_free (spool);
}

gsize
tg_spool_get_size (const TgSpool *spool)
{
	g_return_val_if_fail (spool != NULL, 0);

	return spool->size;
}

GBytes *
tg_spool_get_bytes (const TgSpool *spool)
{
	g_return_val_if_fail (spool != NULL, NULL);

	return spool->bytes;
}

int
tg_spool_get_fd (const TgSpool *spool)
{
	g_return_val_if_fail (spool != NULL, -1);

	return spool->fd;
}

gssize
tg_spool_read_at (const TgSpool *spool, goffset offset, void *buf, gsize len,
		  GError **error)
{
	gsize avail = 0;

	g_return_val_if_fail (spool != NULL, -1);
	g_return_val_if_fail (offset >= 0, -1);
	g_return_val_if_fail (buf != NULL || len == 0, -1);

	if ((guint64)offset >= spool->size)
		return 0;
	avail = spool->size - (gsize)offset;
	len = MIN (len, avail);
	len = MIN (len, (gsize)G_MAXSSIZE);
	if (spool->fd < 0) {
		memcpy (buf, spool->mem->data + offset, len);
		return (gssize)len;
	}
	for (;;) {
		ssize_t n = pread (spool->fd, buf, len, (off_t)offset);

		if (n >= 0)
			return n;
		if (errno != EINTR) {
			int saved = errno;

			g_set_error (error, TG_SPOOL_ERROR,
				     TG_SPOOL_ERROR_TEMPORARY,
				     "pread(spool file) failed: %s",
				     g_strerror (saved));
			return -1;
		}
	}
}
