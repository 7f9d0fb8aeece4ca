/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * intake: one mail taken in, "The life of one mail" (doc/design.md):
 * parsed, its writer and ticket found, stored with the answers it causes
 * in one transaction, those answers sent after the commit, one line
 * logged. The one implementation behind both entries: deliver (a pipe
 * from Postfix, one process per mail) and lmtpd (LMTP sessions in
 * resident processes). Each entry reads the mail and says how a failure
 * reaches the mail system; every decision is made here.
 */
#pragma once

#include <glib.h>

#include "exitcode.h"
#include "mailer.h"
#include "reply.h"
#include "settings.h"
#include "spool.h"
#include "store.h"

/* Errors of this module: the code is a TgFault (exitcode.h), the
 * message the one line the mail system reads; details are logged. */
#define TG_INTAKE_ERROR (tg_intake_error_quark ())
GQuark tg_intake_error_quark (void);

/* What the mail system says of a mail besides its bytes. */
typedef struct {
	const char *sender;		/* NULL: unknown; "": the null sender */
	const char *recipient;		/* nullable */
	const char *original_recipient; /* nullable: before alias expansion */
	const char *queue_id;		/* nullable: then from Received */
	GDateTime *received_at;		/* nullable: then the Received
					   header, else the clock */
	gboolean comment;		/* staff mail is an internal comment */
} TgEnvelope;

typedef struct _TgIntake TgIntake;

/*
 * tg_intake_new: (transfer full): one mail's intake under @config and
 * @replies (borrowed for its life). @started (monotonic microseconds) is
 * when the caller's time limit ([limits] time_limit) began: sending gives
 * up recording in time before it.
 */
TgIntake *tg_intake_new (const TgSettings *config, const TgReplies *replies,
			 gint64 started);

/*
 * tg_intake_use_mailer: answers leave through @mailer (borrowed), kept by
 * a resident entry from mail to mail, instead of one made for this mail.
 */
void tg_intake_use_mailer (TgIntake *in, TgMailer *mailer);

/*
 * tg_intake_read: parses the mail in @spool (borrowed: it must outlive
 * @in) and takes in the envelope. Fails with a TG_INTAKE_ERROR.
 */
gboolean tg_intake_read (TgIntake *in, const TgSpool *spool,
			 const TgEnvelope *env, GError **error);

/*
 * tg_intake_store: looks up, stores (transactions rerun on conflicts),
 * takes over what an earlier delivery of the same mail left unsent,
 * sends the answers and logs the mail's line. TRUE once the mail is
 * stored (or known as a duplicate): a failed send is sweep's to retry
 * and changes nothing. Fails with a TG_INTAKE_ERROR; the transaction
 * rolled back.
 */
gboolean tg_intake_store (TgIntake *in, TgStore *store, GError **error);

/*
 * tg_intake_fail: sets @error to the TG_INTAKE_ERROR that @cause (an
 * error of the store, of composing an answer or of reading the mail)
 * stands for, and logs @cause.
 */
void tg_intake_fail (const GError *cause, GError **error);

/* tg_intake_outcome: (transfer full): what became of the mail, for the
 * mail system's log: "new ticket 12", "ticket 12", "duplicate", ... */
char *tg_intake_outcome (const TgIntake *in);

void tg_intake_free (TgIntake *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgIntake, tg_intake_free)

/*
 * tg_intake_dedup_key: (transfer full): the identity of an incoming mail
 * across redeliveries: SHA-256 over its Message-ID and the digest of its
 * body, plus From, Date and Subject when it has no Message-ID. Postfix's
 * Delivered-To and Received lines differ between two deliveries of one
 * mail; the body and these headers do not.
 */
char *tg_intake_dedup_key (const char *message_id, const char *from,
			   const char *date, const char *subject,
			   const char *body_digest);
