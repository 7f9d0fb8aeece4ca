/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal: the mail host's own record of the answers sendmail took, for
 * the moments when the database cannot take it. Each process writes its
 * own file in [limits] state_directory, named after the database and the
 * process (owner.h):
 *
 *   sent.DATABASE-ID.OWNER
 *
 * one line per answer, written the moment sendmail has exited 0:
 *
 *   sent DATABASE-ID OUTBOX-ID MESSAGE-ID SENT-AT-MICROSECONDS OWNER
 *
 * A line is appended with one write(2), which survives the death of the
 * process; it is made durable (fsync) only when the database could not
 * record the send. Once the database has every line, the file is emptied,
 * and removed when the process ends. Whatever is left is folded into the
 * database by the next deliver or sweep on the host (sender.h). GLib and
 * POSIX only.
 */
#pragma once

#include <glib.h>

#define TG_JOURNAL_ERROR (tg_journal_error_quark ())
GQuark tg_journal_error_quark (void);

typedef enum {
	TG_JOURNAL_ERROR_FAILED, /* a file or the folder: errno's text */
} TgJournalError;

/* Writing: the journal of this process. */

typedef struct _TgJournal TgJournal;

/*
 * tg_journal_new: (transfer full): the journal of this process for the
 * database @database_id in @directory. Nothing is created before the
 * first line.
 */
TgJournal *tg_journal_new (const char *directory, const char *database_id);

/*
 * tg_journal_prepare: creates the file if it is not there yet, so that
 * tg_journal_note() has only the line to write.
 */
gboolean tg_journal_prepare (TgJournal *journal, GError **error);

/*
 * tg_journal_note: appends the line for outbox row @outbox_id, whose mail
 * has Message-ID @message_id, sent now. Not yet durable against a crash
 * of the host (tg_journal_keep()).
 */
gboolean tg_journal_note (TgJournal *journal, gint64 outbox_id,
			  const char *message_id, GError **error);

/*
 * tg_journal_recorded: the database has recorded the last line noted.
 * When it has every line, the file is emptied.
 */
void tg_journal_recorded (TgJournal *journal);

/*
 * tg_journal_keep: the database could not record the last line noted:
 * the file and its folder are synced to disk, and the file stays when
 * the process ends, for the next deliver or sweep to fold in.
 */
gboolean tg_journal_keep (TgJournal *journal, GError **error);

/* tg_journal_path: (transfer none) (nullable): the file, once created. */
const char *tg_journal_path (const TgJournal *journal);

/*
 * tg_journal_free: closes the journal; its file is removed unless it
 * holds a line kept with tg_journal_keep(). NULL is allowed.
 */
void tg_journal_free (TgJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgJournal, tg_journal_free)

/* Reading: every journal of one database in a folder. */

typedef struct {
	gint64 outbox_id;
	char *message_id;
	gint64 sent_at; /* microseconds since the epoch */
} TgJournalLine;

typedef struct {
	char *path;
	char *owner;          /* the process that wrote it (owner.h) */
	gboolean owner_gone;  /* it ran on this host and has exited (also in
				 an earlier boot): the file can go */
	GArray *lines;        /* TgJournalLine, complete lines only */
	guint bad_lines;      /* lines that did not parse, the last,
				 incomplete one included */
} TgJournalFile;

/*
 * tg_journal_read: (transfer full): the TgJournalFile of every journal
 * of @database_id in @directory, in name order; an empty list when the
 * folder does not exist; NULL with TG_JOURNAL_ERROR_FAILED when it
 * cannot be read.
 */
GPtrArray *tg_journal_read (const char *directory, const char *database_id,
			    GError **error);

/*
 * tg_journal_remove: removes @file (read by tg_journal_read(), its lines
 * now in the database) if its owner is gone; one already removed is
 * fine.
 */
gboolean tg_journal_remove (const TgJournalFile *file, GError **error);

void tg_journal_file_free (TgJournalFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgJournalFile, tg_journal_file_free)
