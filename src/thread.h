/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * thread: the pure rules of threading: the subject tag "[<tag> #<number>]",
 * reply prefixes and the order in which Message-IDs are tried. Strings
 * in, decisions out; the lookups are store's, who may write to a ticket
 * is trust's.
 */
#pragma once

#include <glib.h>

/* tg_thread_format_tag: (transfer full): "[Support #1234]". */
char *tg_thread_format_tag (const char *tag, gint64 number);

/*
 * tg_thread_find_tag: finds "[<tag> #<number>]" anywhere in @subject.
 * The tag is compared case-insensitively and blanks around the parts are
 * tolerated ("[support#1234]", "[ Support # 1234 ]"), since mail clients and
 * people retype it. The number must be 1 to 18 digits. When the subject
 * holds several tags, the first counts.
 */
gboolean tg_thread_find_tag (const char *subject,
			     const char *tag,
			     gint64 *number_out);

/*
 * tg_thread_add_tag: (transfer full): @subject with the ticket's tag in
 * front, unless that very tag is in it already.
 */
char *tg_thread_add_tag (const char *subject, const char *tag, gint64 number);

/*
 * tg_thread_clean_subject: (transfer full): @subject without leading reply
 * and forward prefixes in the languages mail clients use (Re, RE, Aw, AW,
 * SV, Fwd, FW, WG, Antw, VS, Odp, R, TR, RIF, Réf, ...), bracketed counts
 * ("Re[2]:") and any "[<tag> #<number>]" of ours; "" if nothing is
 * left (the caller names it in its words).
 */
char *tg_thread_clean_subject (const char *subject, const char *tag);

/*
 * tg_thread_candidate_ids: (transfer full): the Message-IDs to look up,
 * least important first: the References (at most the last @max of them),
 * then In-Reply-To, each once. The store gives later entries priority.
 */
GPtrArray *tg_thread_candidate_ids (const char *in_reply_to,
				    const GPtrArray *references,
				    guint max);
