/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sender: hands claimed answers to sendmail, for deliver and sweep, and
 * makes sure that an answer sendmail took is never sent again. The moment
 * sendmail exits 0 the send is noted in the mail host's journal
 * (journal.h); then it is recorded in the database, over a new connection
 * if the database went away for a moment; if the database cannot take it,
 * the journal line is made durable and waits there. Before sending, every
 * sender folds the host's journal into the database and leaves alone what
 * the journal names.
 */
#pragma once

#include <glib.h>

#include "mailer.h"
#include "reply.h"
#include "settings.h"
#include "spool.h"
#include "store.h"

typedef struct _TgSender TgSender;

typedef enum {
	TG_SENDER_SENT,       /* sendmail took it; the database knows */
	TG_SENDER_JOURNALED,  /* sendmail took it; only the journal knows */
	TG_SENDER_UNRECORDED, /* sendmail took it; nothing could record it
				 (logged loudly): it stays claimed, and is
				 sent again once the claim runs out */
	TG_SENDER_REFUSED,    /* sendmail did not take it: the caller
				 records the failure */
} TgSenderResult;

/* One claimed answer, borrowed for the call. */
typedef struct {
	gint64 outbox_id;
	const char *message_id;
	const char *envelope_from;
	const char *const *recipients;
	GBytes *content;
	gint64 encloses;	 /* 0, or the stored mail @content leaves
				    out (a staff notification) */
	const TgSpool *original; /* nullable: that mail's bytes, when the
				    caller holds them; else they are read
				    from the database */
} TgSenderMail;

/*
 * tg_sender_new: (transfer full): a sender over @store (borrowed, and
 * @config and @replies, whose phrases name an attachment left out of a
 * notification, for its whole life). Recording a send gives up after
 * TG_OUTBOX_SENT_PATIENCE seconds, or at @deadline (monotonic
 * microseconds) if that comes first: deliver must be done before its
 * own time limit kills it.
 */
TgSender *tg_sender_new (const TgSettings *config,
			 const TgReplies *replies,
			 TgStore *store,
			 gint64 deadline);

/*
 * tg_sender_fold: folds every journal of this database in [limits]
 * state_directory into the database: their answers are marked sent, and
 * the files of writers that are gone are removed. Remembers the outbox
 * rows they name, also when the database could not take them. Call it
 * after claiming the rows to send and before sending them. Returns FALSE
 * (and logs why) when the journal could not be read or folded in.
 */
gboolean tg_sender_fold (TgSender *sender);

/* tg_sender_is_named: whether the last fold found @outbox_id sent. */
gboolean tg_sender_is_named (const TgSender *sender, gint64 outbox_id);

/*
 * tg_sender_make_whole: (transfer full): the mail sendmail is given for
 * @mail: its content, or, when it encloses a stored mail, the content
 * with that mail put in (tg_compose_enclose), read from @mail->original
 * or else from the database. NULL with a TG_STORE_ERROR when the stored
 * mail cannot be read from the database, with TG_COMPOSE_ERROR_TEMPORARY
 * when it cannot be read from its spool or the mail cannot be written
 * out: never a notification without the mail, or with part of it.
 * tg_sender_send() calls it; a caller that must
 * know how long a send takes before it starts (sweep, inside its claim)
 * calls it first and passes the result as a content that encloses
 * nothing.
 */
GBytes *tg_sender_make_whole (TgSender *sender, const TgSenderMail *mail,
			      GError **error);

/*
 * tg_sender_batch: from now on a send that the journal noted is recorded
 * in the database only by tg_sender_flush(), with the others of its
 * batch in one statement (the resident sender). A send the journal
 * could not note is still recorded at once.
 */
void tg_sender_batch (TgSender *sender);

/*
 * tg_sender_flush: records the sends of the batch, as tg_sender_send()
 * records one (patiently, then the journal kept, then loudly). TRUE when
 * there was nothing to record or the database took it all.
 */
gboolean tg_sender_flush (TgSender *sender);

/*
 * tg_sender_send: hands @mail to sendmail, within [mail]
 * sendmail_timeout, and records it as above. A mail that encloses a
 * stored one is made whole first (tg_compose_enclose); when that mail
 * cannot be read, nothing is sent and the result is TG_SENDER_REFUSED
 * as well, to be retried. @error is set for TG_SENDER_REFUSED only
 * (sendmail's reason, or why the mail could not be made).
 */
TgSenderResult tg_sender_send (TgSender *sender, const TgSenderMail *mail,
			       GError **error);

/*
 * tg_sender_use_mailer: hands answers over through @mailer (borrowed: it
 * must outlive @sender) instead of one of the sender's own, so that a
 * resident process keeps its SMTP connection from mail to mail.
 */
void tg_sender_use_mailer (TgSender *sender, TgMailer *mailer);

/* tg_sender_free: NULL is allowed; the journal file goes if it can. */
void tg_sender_free (TgSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSender, tg_sender_free)
