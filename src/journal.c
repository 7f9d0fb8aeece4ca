/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal: one file per process and database in the state directory,
 * appended one line per answer that sendmail took, emptied once the
 * database has them, synced to disk only when the database has not. The
 * reader lists every file of a database with its complete lines. It
 * knows nothing of the database itself.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "owner.h"

G_DEFINE_QUARK (tg-journal-error-quark, tg_journal_error)

#define PREFIX "sent."
#define LINE_WORD "sent"

struct _TgJournal {
	char *directory;
	char *database_id;
	char *path;        /* NULL until the first line */
	int fd;
	gboolean pending;  /* the last line is neither recorded nor kept */
	gboolean kept;     /* a line waits for the database: keep the file */
	gboolean dir_synced;
};

static gboolean
fail (GError **error, const char *what, const char *path)
{
	int saved = errno;

	g_set_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED,
		     "%s %s: %s", what, path, g_strerror (saved));
	return FALSE;
}

TgJournal *
tg_journal_new (const char *directory, const char *database_id)
{
	TgJournal *j;

	g_return_val_if_fail (directory != NULL && database_id != NULL, NULL);
	j = g_new0 (TgJournal, 1);
	j->directory = g_strdup (directory);
	j->database_id = g_strdup (database_id);
	j->fd = -1;
	return j;
}

static gboolean
open_file (TgJournal *j, GError **error)
{
	g_autofree char *name = NULL;

	if (j->fd >= 0)
		return TRUE;
	name = g_strconcat (PREFIX, j->database_id, ".", tg_owner_self (), NULL);
	g_free (j->path);
	j->path = g_build_filename (j->directory, name, NULL);
	j->fd = open (j->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return fail (error, "creating", j->path);
	return TRUE;
}

gboolean
tg_journal_prepare (TgJournal *j, GError **error)
{
	g_return_val_if_fail (j != NULL, FALSE);
	return open_file (j, error);
}

/* A Message-ID goes into a line as one word. */
static gboolean
is_word (const char *s)
{
	if (s == NULL || *s == '\0')
		return FALSE;
	for (; *s != '\0'; s++)
		if ((guchar) *s <= ' ' || *s == 0x7f)
			return FALSE;
	return TRUE;
}

gboolean
tg_journal_note (TgJournal *j, gint64 outbox_id, const char *message_id,
		 GError **error)
{
	g_autofree char *line = NULL;
	gsize len;
	ssize_t w;

	g_return_val_if_fail (j != NULL, FALSE);
	if (!is_word (message_id)) {
		g_set_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED,
			     "outbox(%" G_GINT64_FORMAT "): no Message-ID to "
			     "note",
			     outbox_id);
		return FALSE;
	}
	if (!open_file (j, error))
		return FALSE;
	line = g_strdup_printf (LINE_WORD " %s %" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT
				" %s\n",
				j->database_id, outbox_id, message_id,
				g_get_real_time (), tg_owner_self ());
	len = strlen (line);
	/* One write(2) of a short line to a file opened O_APPEND: a reader
	 * sees it whole or not at all, and a partial write is an error. */
	do
		w = write (j->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return fail (error, "writing", j->path);
	if ((gsize) w != len) {
		errno = EIO;
		return fail (error, "writing", j->path);
	}
	j->pending = TRUE;
	return TRUE;
}

void
tg_journal_recorded (TgJournal *j)
{
	g_return_if_fail (j != NULL);
	j->pending = FALSE;
	/* Emptied at once: a file found later is only read if it says
	 * something the database does not know. */
	if (!j->kept && j->fd >= 0 && ftruncate (j->fd, 0) < 0)
		g_debug ("emptying %s: %s", j->path, g_strerror (errno));
}

static gboolean
sync_directory (TgJournal *j, GError **error)
{
	int fd;
	gboolean ok;

	if (j->dir_synced)
		return TRUE;
	fd = open (j->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail (error, "opening", j->directory);
	ok = fsync (fd) == 0;
	if (!ok)
		fail (error, "syncing", j->directory);
	close (fd);
	j->dir_synced = ok;
	return ok;
}

gboolean
tg_journal_keep (TgJournal *j, GError **error)
{
	g_return_val_if_fail (j != NULL, FALSE);
	if (j->fd < 0) {
		g_set_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED,
			     "nothing noted in the journal to keep");
		return FALSE;
	}
	/* Kept from now on, even if the sync fails: the line is there. */
	j->kept = TRUE;
	j->pending = FALSE;
	if (fdatasync (j->fd) < 0)
		return fail (error, "syncing", j->path);
	return sync_directory (j, error);
}

const char *
tg_journal_path (const TgJournal *j)
{
	g_return_val_if_fail (j != NULL, NULL);
	return j->fd >= 0 ? j->path : NULL;
}

void
tg_journal_free (TgJournal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0) {
		/* A line neither recorded nor kept: keep it, to be safe. */
		if (j->pending)
			tg_journal_keep (j, NULL);
		else if (!j->kept && g_unlink (j->path) < 0)
			g_debug ("removing %s: %s", j->path, g_strerror (errno));
		close (j->fd);
	}
	g_free (j->directory);
	g_free (j->database_id);
	g_free (j->path);
	g_free (j);
}

/* ---- reading --------------------------------------------------------- */

static gboolean
parse_number (const char *s, gint64 *out)
{
	guint64 n = 0;

	if (!g_ascii_string_to_unsigned (s, 10, 1, G_MAXINT64, &n, NULL))
		return FALSE;
	*out = (gint64) n;
	return TRUE;
}

/* "sent DB ID MESSAGE-ID AT OWNER": only complete lines of @database_id. */
static gboolean
parse_line (const char *text, const char *database_id, TgJournalLine *out)
{
	g_auto (GStrv) f = g_strsplit (text, " ", 0);
	TgJournalLine line = { 0 };

	if (g_strv_length (f) != 6 || strcmp (f[0], LINE_WORD) != 0 ||
	    strcmp (f[1], database_id) != 0 || !is_word (f[3]) ||
	    !parse_number (f[2], &line.outbox_id) ||
	    !parse_number (f[4], &line.sent_at))
		return FALSE;
	line.message_id = g_strdup (f[3]);
	*out = line;
	return TRUE;
}

static void
line_clear (TgJournalLine *line)
{
	g_clear_pointer (&line->message_id, g_free);
}

static TgJournalFile *
read_file (const char *directory, const char *name, const char *database_id,
	   const char *owner, GError **error)
{
	g_autoptr (TgJournalFile) f = g_new0 (TgJournalFile, 1);
	g_autofree char *text = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GError) local = NULL;
	gsize len = 0;

	f->path = g_build_filename (directory, name, NULL);
	f->owner = g_strdup (owner);
	f->owner_gone = tg_owner_state (owner) == TG_OWNER_GONE ||
			tg_owner_is_earlier_boot (owner);
	f->lines = g_array_new (FALSE, TRUE, sizeof (TgJournalLine));
	g_array_set_clear_func (f->lines, (GDestroyNotify) line_clear);
	if (!g_file_get_contents (f->path, &text, &len, &local)) {
		/* Removed since the folder was listed: nothing to fold. */
		if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer (&f);
		g_set_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED,
			     "%s", local->message);
		return NULL;
	}
	lines = g_strsplit (text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		TgJournalLine line;
		/* the piece after the last newline is not a whole line */
		gboolean whole = lines[i + 1] != NULL;

		if (*lines[i] == '\0' && !whole)
			break;
		if (whole && parse_line (lines[i], database_id, &line))
			g_array_append_val (f->lines, line);
		else
			f->bad_lines++;
	}
	return g_steal_pointer (&f);
}

static gint
by_path (gconstpointer a, gconstpointer b)
{
	const TgJournalFile *fa = *(TgJournalFile *const *) a;
	const TgJournalFile *fb = *(TgJournalFile *const *) b;

	return strcmp (fa->path, fb->path);
}

GPtrArray *
tg_journal_read (const char *directory, const char *database_id,
		 GError **error)
{
	g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (
		(GDestroyNotify) tg_journal_file_free);
	g_autoptr (GError) local = NULL;
	g_autoptr (GDir) dir = g_dir_open (directory, 0, &local);
	g_autofree char *prefix = g_strconcat (PREFIX, database_id, ".", NULL);
	const char *name;

	if (dir == NULL) {
		if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer (&files);
		g_set_error (error, TG_JOURNAL_ERROR, TG_JOURNAL_ERROR_FAILED,
			     "%s", local->message);
		return NULL;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		TgJournalFile *f;

		if (!g_str_has_prefix (name, prefix))
			continue;
		f = read_file (directory, name, database_id,
			       name + strlen (prefix), error);
		if (f == NULL)
			return NULL;
		g_ptr_array_add (files, f);
	}
	g_ptr_array_sort (files, by_path);
	return g_steal_pointer (&files);
}

gboolean
tg_journal_remove (const TgJournalFile *file, GError **error)
{
	g_return_val_if_fail (file != NULL, FALSE);
	if (!file->owner_gone)
		return TRUE;
	if (g_unlink (file->path) < 0 && errno != ENOENT)
		return fail (error, "removing", file->path);
	return TRUE;
}

void
tg_journal_file_free (TgJournalFile *file)
{
	if (file == NULL)
		return;
	g_free (file->path);
	g_free (file->owner);
	g_clear_pointer (&file->lines, g_array_unref);
	g_free (file);
}
