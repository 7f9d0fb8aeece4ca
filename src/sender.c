/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sender: sendmail, then the journal line, then the database, in that
 * order, so that the moment in which a death of this process forgets a
 * send is as short as a write(2) after sendmail's exit; and the journal
 * folded in before sending. Used by deliver and sweep.
 */
#include "sender.h"

#include <signal.h>

#include "compose.h"
#include "journal.h"
#include "mailer.h"

struct _TgSender {
	const TgSettings *config;
	TgComposeWords words;
	TgStore *store;
	gint64 deadline;
	TgJournal *journal;   /* NULL until the database's name is known */
	GHashTable *named;    /* outbox ids the journal says were sent */
	TgMailer *mailer;     /* NULL until the first send; keeps an SMTP
				 connection for the next answer */
	gboolean borrowed;    /* the mailer is the caller's */
	/* Sent and noted in the journal, recorded by tg_sender_flush(). */
	gboolean batched;
	GArray *batch_ids;    /* gint64 */
	GArray *batch_at;     /* gint64, microseconds since the epoch */
	GPtrArray *batch_mids;
};

TgSender *
tg_sender_new (const TgSettings *config, const TgReplies *replies,
	       TgStore *store, gint64 deadline)
{
	TgSender *s;

	g_return_val_if_fail (config != NULL && store != NULL, NULL);
	g_return_val_if_fail (replies != NULL, NULL);
	s = g_new0 (TgSender, 1);
	s->config = config;
	s->words = tg_replies_compose_words (replies);
	s->store = store;
	s->deadline = deadline;
	s->named = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
					  NULL);
	s->batch_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	s->batch_at = g_array_new (FALSE, FALSE, sizeof (gint64));
	s->batch_mids = g_ptr_array_new_with_free_func (g_free);
	return s;
}

/* The journal of this process, once the database has told its name. */
static TgJournal *
journal (TgSender *s, GError **error)
{
	const char *id;

	if (s->journal != NULL)
		return s->journal;
	id = tg_store_database_id (s->store, error);
	if (id == NULL)
		return NULL;
	s->journal = tg_journal_new (s->config->state_directory, id);
	return s->journal;
}

static void
remember (TgSender *s, const TgJournalFile *f)
{
	for (guint i = 0; i < f->lines->len; i++) {
		const TgJournalLine *l =
			&g_array_index (f->lines, TgJournalLine, i);

		g_hash_table_add (s->named, g_memdup2 (&l->outbox_id,
						       sizeof l->outbox_id));
	}
}

/* Marks one file's lines sent; removes it if its writer is gone. */
static gboolean
fold_file (TgSender *s, const TgJournalFile *f, guint *marked,
	   GError **error)
{
	guint n = f->lines->len;
	g_autofree gint64 *ids = g_new0 (gint64, n + 1);
	g_autofree gint64 *at = g_new0 (gint64, n + 1);
	g_autofree const char **mids = g_new0 (const char *, n + 1);
	guint m = 0;

	if (f->bad_lines > 0 && f->owner_gone)
		g_warning ("journal %s: %u broken lines skipped", f->path,
			   f->bad_lines);
	for (guint i = 0; i < n; i++) {
		const TgJournalLine *l =
			&g_array_index (f->lines, TgJournalLine, i);

		ids[i] = l->outbox_id;
		mids[i] = l->message_id;
		at[i] = l->sent_at;
	}
	if (n > 0 && !tg_store_outbox_mark_sent (s->store, ids, mids, at, n,
						 &m, error))
		return FALSE;
	*marked += m;
	return tg_journal_remove (f, error);
}

gboolean
tg_sender_fold (TgSender *s)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) files = NULL;
	guint marked = 0;
	gboolean ok = TRUE;

	g_return_val_if_fail (s != NULL, FALSE);
	if (journal (s, &error) == NULL) {
		g_warning ("journal: %s", error->message);
		return FALSE;
	}
	files = tg_journal_read (s->config->state_directory,
				 tg_store_database_id (s->store, NULL), &error);
	if (files == NULL) {
		g_warning ("journal: %s", error->message);
		return FALSE;
	}
	for (guint i = 0; i < files->len; i++) {
		remember (s, files->pdata[i]);
		if (ok && !fold_file (s, files->pdata[i], &marked, &error)) {
			g_warning ("journal: folding %s in: %s",
				   ((TgJournalFile *) files->pdata[i])->path,
				   error->message);
			g_clear_error (&error);
			ok = FALSE;
		}
	}
	if (marked > 0)
		g_message ("journal: %u sent %s recorded from %s", marked,
			   marked == 1 ? "answer" : "answers",
			   s->config->state_directory);
	return ok;
}

gboolean
tg_sender_is_named (const TgSender *s, gint64 outbox_id)
{
	g_return_val_if_fail (s != NULL, FALSE);
	return g_hash_table_contains (s->named, &outbox_id);
}

/* The database, patiently, until the sender's deadline at the latest. */
static gboolean
record (TgSender *s, gint64 outbox_id, GError **error)
{
	gint64 until = g_get_monotonic_time () +
		       (gint64) TG_OUTBOX_SENT_PATIENCE * G_USEC_PER_SEC;

	return tg_store_outbox_sent_patiently (s->store, outbox_id,
					       MIN (until, s->deadline), error);
}

/* That mail is read from the database into a spool (a file beyond
 * [limits] spool_memory), so that only the finished mail is held in
 * memory. */
GBytes *
tg_sender_make_whole (TgSender *s, const TgSenderMail *mail, GError **error)
{
	const TgSettings *c;
	g_autoptr (TgSpool) read = NULL;
	const TgSpool *original = mail->original;

	g_return_val_if_fail (s != NULL && mail != NULL, NULL);
	c = s->config;
	if (mail->encloses == 0)
		return g_bytes_ref (mail->content);
	if (original == NULL) {
		read = tg_store_read_raw (
			s->store, mail->encloses, c->spool_memory,
			*c->spool_directory ? c->spool_directory : NULL, error);
		if (read == NULL) {
			g_prefix_error (error,
					"reading the mail it forwards: ");
			return NULL;
		}
		original = read;
	}
	return tg_compose_enclose (mail->content, original,
				   c->attachment_limit, &s->words, error);
}

TgSenderResult
tg_sender_send (TgSender *s, const TgSenderMail *mail, GError **error)
{
	g_autoptr (GBytes) content = NULL;
	const TgSettings *c;
	g_autoptr (GError) noting = NULL;
	g_autoptr (GError) db = NULL;
	TgJournal *j;
	gboolean taken, noted;
	sigset_t alarm_only, before;

	g_return_val_if_fail (s != NULL && mail != NULL, TG_SENDER_REFUSED);
	c = s->config;
	content = tg_sender_make_whole (s, mail, error);
	if (content == NULL)
		return TG_SENDER_REFUSED;
	if (s->mailer == NULL) {
		s->mailer = tg_mailer_new (c->submit, c->sendmail, error);
		if (s->mailer == NULL)
			return TG_SENDER_REFUSED;
	}
	/* Everything the line needs is ready before sendmail runs. */
	j = journal (s, &noting);
	if (j != NULL && !tg_journal_prepare (j, &noting))
		j = NULL;
	/* Deliver's own time limit (SIGALRM) waits from sendmail's start
	 * (or the SMTP exchange's, [mail] submit) until the line is
	 * written, so that it never falls between the two: for
	 * sendmail_timeout at the most, which outbox_claim allows for
	 * (settings.c). */
	sigemptyset (&alarm_only);
	sigaddset (&alarm_only, SIGALRM);
	sigprocmask (SIG_BLOCK, &alarm_only, &before);
	taken = tg_mailer_submit (s->mailer, mail->envelope_from,
				  mail->recipients, content,
				  c->sendmail_timeout, error);
	/* Taken: from here until the line is written, a death of this
	 * process would have the answer sent again. */
	noted = taken && j != NULL &&
		tg_journal_note (j, mail->outbox_id, mail->message_id, &noting);
	sigprocmask (SIG_SETMASK, &before, NULL);
	if (!taken)
		return TG_SENDER_REFUSED;
	if (s->batched && noted) {
		gint64 now = g_get_real_time ();

		g_array_append_val (s->batch_ids, mail->outbox_id);
		g_array_append_val (s->batch_at, now);
		g_ptr_array_add (s->batch_mids, g_strdup (mail->message_id));
		return TG_SENDER_SENT;
	}
	if (record (s, mail->outbox_id, &db)) {
		if (noted)
			tg_journal_recorded (j);
		else
			g_warning ("journal: %s", noting->message);
		return TG_SENDER_SENT;
	}
	if (noted && tg_journal_keep (j, &noting)) {
		g_warning ("outbox(%" G_GINT64_FORMAT ") was sent; the database "
			   "could not record it (%s), the journal %s did",
			   mail->outbox_id, db->message, tg_journal_path (j));
		return TG_SENDER_JOURNALED;
	}
	g_warning ("outbox(%" G_GINT64_FORMAT ") to %s WAS SENT AND IS "
		   "RECORDED NOWHERE: not in the database (%s), not in the "
		   "journal (%s); it stays claimed, and will be sent AGAIN "
		   "once the claim runs out",
		   mail->outbox_id, mail->recipients[0], db->message,
		   noting->message);
	return TG_SENDER_UNRECORDED;
}

void
tg_sender_batch (TgSender *s)
{
	g_return_if_fail (s != NULL);
	s->batched = TRUE;
}

gboolean
tg_sender_flush (TgSender *s)
{
	g_autoptr (GError) db = NULL;
	g_autoptr (GError) noting = NULL;
	guint n;
	gboolean recorded;

	g_return_val_if_fail (s != NULL, FALSE);
	n = s->batch_ids->len;
	if (n == 0)
		return TRUE;
	/* Every one of them has its line in the journal (s->journal). */
	recorded = tg_store_outbox_mark_sent_patiently (
		s->store, (const gint64 *) s->batch_ids->data,
		(const char *const *) s->batch_mids->pdata,
		(const gint64 *) s->batch_at->data, n,
		MIN (g_get_monotonic_time () +
			     (gint64) TG_OUTBOX_SENT_PATIENCE * G_USEC_PER_SEC,
		     s->deadline),
		&db);
	g_array_set_size (s->batch_ids, 0);
	g_array_set_size (s->batch_at, 0);
	g_ptr_array_set_size (s->batch_mids, 0);
	if (recorded) {
		tg_journal_recorded (s->journal);
		return TRUE;
	}
	if (tg_journal_keep (s->journal, &noting)) {
		g_warning ("%u answers were sent; the database could not record "
			   "them (%s), the journal %s did",
			   n, db->message, tg_journal_path (s->journal));
		return FALSE;
	}
	g_warning ("%u answers WERE SENT AND ARE RECORDED NOWHERE: not in the "
		   "database (%s), not in the journal (%s); they stay claimed, "
		   "and will be sent AGAIN once the claim runs out",
		   n, db->message, noting->message);
	return FALSE;
}

void
tg_sender_use_mailer (TgSender *s, TgMailer *mailer)
{
	g_return_if_fail (s != NULL && s->mailer == NULL);
	s->mailer = mailer;
	s->borrowed = mailer != NULL;
}

void
tg_sender_free (TgSender *s)
{
	if (s == NULL)
		return;
	tg_journal_free (s->journal);
	if (!s->borrowed)
		tg_mailer_free (s->mailer);
	g_hash_table_unref (s->named);
	g_array_unref (s->batch_ids);
	g_array_unref (s->batch_at);
	g_ptr_array_unref (s->batch_mids);
	g_free (s);
}
