/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mailer: hands one finished mail to the system's sendmail program
 * ("sendmail -i -f FROM -- RCPT..."), within a time limit. It knows
 * nothing of MIME or tickets.
 */
#pragma once

#include <glib.h>

#define TG_MAILER_ERROR (tg_mailer_error_quark ())
GQuark tg_mailer_error_quark (void);

typedef enum {
	TG_MAILER_ERROR_FAILED, /* could not run, non-zero exit, killed, timeout */
} TgMailerError;

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
