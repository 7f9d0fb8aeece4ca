/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mime-source: a spooled mail as a GMime message, read with the same
 * tolerance message.c applies (a byte-order mark, bare CR line ends, a
 * budget on MIME structure), for compose.c, which forwards a mail's own
 * parts. Private to the two GMime modules; implemented in mime-source.c.
 */
#pragma once

#include <gmime/gmime.h>

#include "spool.h"

typedef struct _TgMimeSource TgMimeSource;

/*
 * tg_mime_source_open: (transfer full): parses @spool. The parts of
 * tg_mime_source_get_message() keep their content in the spool (or a
 * buffer borrowed from it), so the source must outlive every GMime object
 * made from its parts. NULL only when the spool cannot be read.
 */
TgMimeSource *tg_mime_source_open (const TgSpool *spool, GError **error);

/* tg_mime_source_get_message: (transfer none) (nullable): the mail, or
 * NULL when GMime found no headers at all. */
GMimeMessage *tg_mime_source_get_message (TgMimeSource *source);

/* tg_mime_source_free: NULL is allowed. */
void tg_mime_source_free (TgMimeSource *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMimeSource, tg_mime_source_free)
