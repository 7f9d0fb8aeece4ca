/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * spool: holds one incoming mail, read from a file descriptor within a
 * size limit, in memory up to a bound and in an unlinked temporary file
 * beyond it, so that memory never grows with the size of the mail.
 * Pure GLib and POSIX; knows nothing about mail.
 */
#pragma once

#include <glib.h>

#define TG_SPOOL_ERROR (tg_spool_error_quark ())
GQuark tg_spool_error_quark (void);

typedef enum {
	TG_SPOOL_ERROR_TOO_BIG,	  /* over the size limit: a policy refusal */
	TG_SPOOL_ERROR_TEMPORARY, /* read or write failed (disk full, ...) */
} TgSpoolError;

typedef struct _TgSpool TgSpool;

/*
 * tg_spool_read_fd: reads @fd to its end.
 * @max_size: the largest mail accepted, in bytes (0: no limit)
 * @memory_limit: bytes kept in memory before switching to a file
 * @tmpdir: (nullable): folder for the temporary file (NULL: g_get_tmp_dir())
 *
 * On TG_SPOOL_ERROR_TOO_BIG the rest of @fd has been read and discarded,
 * so that the writer (Postfix) does not see a broken pipe.
 * Returns: (transfer full): the spool, or NULL with TG_SPOOL_ERROR.
 */
TgSpool *tg_spool_read_fd (int fd, gsize max_size, gsize memory_limit,
			   const char *tmpdir,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tg_spool_new_from_data: (transfer full): a spool holding a copy of @data. */
TgSpool *tg_spool_new_from_data (const void *data,
				 gsize len) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_spool_new: (transfer full): an empty spool to fill with
 * tg_spool_append(), kept in memory up to @memory_limit bytes and in an
 * unlinked temporary file in @tmpdir (nullable: g_get_tmp_dir()) beyond.
 * Call tg_spool_finish() before reading it.
 */
TgSpool *tg_spool_new (gsize memory_limit,
		       const char *tmpdir) G_GNUC_WARN_UNUSED_RESULT;

/* tg_spool_append: adds @len bytes; FALSE with TG_SPOOL_ERROR_TEMPORARY
 * when the temporary file cannot be written. */
gboolean tg_spool_append (TgSpool *spool, const void *data, gsize len,
			  GError **error);

/* tg_spool_finish: ends the filling: tg_spool_get_bytes() works from now. */
void tg_spool_finish (TgSpool *spool);

/* tg_spool_free: releases the spool and its file; NULL is allowed. */
void tg_spool_free (TgSpool *spool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSpool, tg_spool_free)

/* tg_spool_get_size: the number of bytes held. */
gsize tg_spool_get_size (const TgSpool *spool);

/*
 * tg_spool_get_bytes: (transfer none) (nullable): the content when it is
 * held in memory, NULL when it went to a file.
 */
GBytes *tg_spool_get_bytes (const TgSpool *spool);

/*
 * tg_spool_get_fd: the descriptor of the temporary file, -1 when the
 * content is in memory. Borrowed: do not close it; read it with pread()
 * (or through tg_spool_read_at()), since its offset is not defined.
 */
int tg_spool_get_fd (const TgSpool *spool);

/*
 * tg_spool_read_at: copies up to @len bytes from @offset into @buf.
 * Returns: the number of bytes copied, 0 at the end, -1 with
 * TG_SPOOL_ERROR_TEMPORARY.
 */
gssize tg_spool_read_at (const TgSpool *spool, goffset offset, void *buf,
			 gsize len, GError **error);
