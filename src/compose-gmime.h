/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compose-gmime: compose's writing on GMime objects and streams, under
 * the functions of compose.h that take plain types. Private to compose.c
 * and tests/test-compose.c, which hands it streams that fail on purpose
 * (a read of a part's content midway, a write, a flush) to prove that a
 * failure comes back as an error and never as a shorter mail.
 */
#pragma once

#include <gmime/gmime.h>

#include "compose.h"

/*
 * tg_compose_write: writes @object to @out with LF line ends and flushes
 * @out. FALSE with TG_COMPOSE_ERROR_TEMPORARY when a write, the flush or
 * a read of a part's content (from its spool) failed; @out then holds
 * part of the mail, which the caller must not use.
 */
gboolean tg_compose_write (GMimeObject *object,
			   GMimeStream *out,
			   GError **error);

/* tg_compose_serialize: (transfer full): @object as bytes, or NULL with
 * tg_compose_write()'s error. */
GBytes *tg_compose_serialize (GMimeObject *object,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_enclose_message: tg_compose_enclose() with the mail to
 * enclose already parsed (nullable: nothing to enclose). @original's
 * parts are moved into the result, so it is spent afterwards.
 */
GBytes *tg_compose_enclose_message (GBytes *skeleton,
				    GMimeMessage *original,
				    guint64 attachment_limit,
				    const TgComposeWords *words,
				    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_compose_relay_message: tg_compose_relay() with the staff mail
 * already parsed (nullable: an empty text). @staff_mail is changed in
 * place and its parts moved into the result.
 */
GBytes *tg_compose_relay_message (const TgMailSpec *spec,
				  GMimeMessage *staff_mail,
				  const char *const *strip_lines,
				  guint64 attachment_limit,
				  const TgComposeWords *words,
				  char **text_out,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;
