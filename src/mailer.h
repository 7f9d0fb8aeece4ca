/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mailer: hands one finished mail to the mail system, within a time
 * limit: to its sendmail program ("sendmail -i -f FROM -- RCPT...") or,
 * with [mail] submit set to an address, to its SMTP server (smtp.h),
 * over a connection kept for the next mail. It knows nothing of MIME or
 * tickets.
 */
#pragma once

#include <glib.h>

#define TG_MAILER_ERROR (tg_mailer_error_quark ())
GQuark tg_mailer_error_quark (void);

typedef enum {
	TG_MAILER_ERROR_FAILED, /* could not run, non-zero exit, killed,
				   timeout; over SMTP: no connection, a
				   refusal, a timeout */
} TgMailerError;

typedef struct _TgMailer TgMailer;

/* The value of [mail] submit that means the sendmail program. */
#define TG_MAILER_SENDMAIL "sendmail"

/*
 * tg_mailer_send: runs @sendmail with @envelope_from and @recipients and
 * writes @content to it. Succeeds only when sendmail read everything and
 * exited 0. A sendmail still running after @timeout_seconds is killed.
 * Errors carry sendmail's first line of stderr when it wrote one.
 */
gboolean tg_mailer_send (const char *sendmail,
			 const char *envelope_from,
			 const char *const *recipients,
			 GBytes *content,
			 int timeout_seconds,
			 GError **error);

/*
 * tg_mailer_new: (transfer full): a mailer that submits through @submit:
 * TG_MAILER_SENDMAIL, which runs @sendmail for each mail, or an SMTP
 * server's address (tg_smtp_check_address). Both strings are copied.
 * NULL with TG_MAILER_ERROR_FAILED when @submit is malformed.
 */
TgMailer *tg_mailer_new (const char *submit, const char *sendmail,
			 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_mailer_submit: hands @content from @envelope_from to @recipients
 * (all borrowed) the way @mailer was made for, within @timeout_seconds
 * for the whole hand-off. TRUE means "taken": sendmail exited 0, or the
 * SMTP server answered 2xx to the end of the data; only then may the
 * caller count the mail sent. Errors: TG_MAILER_ERROR_FAILED with the
 * mail system's reason.
 */
gboolean tg_mailer_submit (TgMailer *mailer,
			   const char *envelope_from,
			   const char *const *recipients,
			   GBytes *content,
			   int timeout_seconds,
			   GError **error);

/* tg_mailer_free: closes a kept SMTP connection; NULL is allowed. */
void tg_mailer_free (TgMailer *mailer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMailer, tg_mailer_free)
