/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mimescan: reads a mail's bytes once, the way GMime's parser splits them
 * into header blocks and bodies, before GMime sees them, so that what
 * GMime is given stays bounded: where the structure budget runs out,
 * which excess of an overlong header to leave out, and which charsets
 * the headers name. GLib only: it knows GMime's rules, not GMime.
 */
#pragma once

#include <glib.h>

/*
 * The longest header field GMime is given, folded lines and line ends
 * included: Postfix's default header_size_limit. The rest of a longer
 * one is left out, as Postfix's cleanup(8) leaves it out.
 */
#define TG_MIMESCAN_MAX_HEADER 102400

/*
 * The structure budget: GMime builds about 1.4 KB for each MIME part
 * and 650 bytes for each header line, however small they are in the
 * mail, and keeps every header's text. GMime is given the mail up to the
 * line where the count of structural lines (part delimiters and header
 * lines) passes MAX_LINES, or the header text passes MAX_HEADER_TEXT;
 * real mail stays far below both (500 attachments take some 3,000 lines
 * and 150 KB).
 */
#define TG_MIMESCAN_MAX_LINES 20000
#define TG_MIMESCAN_MAX_HEADER_TEXT (2 * 1024 * 1024)

/*
 * Address headers (From, To, Cc, Bcc, Reply-To, Sender), which GMime
 * turns into an object per address (some 400 bytes each): at most
 * MAX_ADDRESS_TOKENS of ",;:<@" in all of a mail's (Postfix has a
 * header_address_token_limit of 10,240 per header), and at most
 * MAX_GROUPS colons in one, since GMime's address parser recurses into
 * each "name:" group and a header of "x:x:x:..." overflows its stack.
 * The rest of a header past either is left out.
 */
#define TG_MIMESCAN_MAX_ADDRESS_TOKENS 10000
#define TG_MIMESCAN_MAX_GROUPS 32

/* Charset names longer than this are no charset (IANA's longest: 40). */
#define TG_MIMESCAN_MAX_CHARSET 40

/* A range of the mail's bytes that GMime is not given. */
typedef struct {
	goffset start;
	goffset end;
} TgMimeScanCut;

typedef struct _TgMimeScan TgMimeScan;

/*
 * Called for each charset name in a header: of an encoded word
 * ("=?name?"), an RFC 2231 parameter ("*=name'") or a charset parameter
 * ("charset=name"). @name is borrowed for the call; the same name comes
 * again each time it is written.
 */
typedef void (*TgMimeScanCharsetFunc) (const char *name, gpointer data);

/*
 * tg_mimescan_new: (transfer full): a scan of a mail whose lines end in
 * @eol ('\n', or '\r' for bare CR mail) and whose first header starts at
 * @start. @charset_cb (nullable) is called with @data.
 */
TgMimeScan *tg_mimescan_new (guint8 eol, goffset start,
			     TgMimeScanCharsetFunc charset_cb, gpointer data);

/* tg_mimescan_free: NULL is allowed. */
void tg_mimescan_free (TgMimeScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMimeScan, tg_mimescan_free)

/*
 * tg_mimescan_feed: scans the next @len bytes of the mail. Returns FALSE
 * once the budget is spent (tg_mimescan_get_end() says where): feeding
 * more changes nothing.
 */
gboolean tg_mimescan_feed (TgMimeScan *scan, const guint8 *buf, gsize len);

/* tg_mimescan_finish: the mail ends; call once after the last feed. */
void tg_mimescan_finish (TgMimeScan *scan);

/* tg_mimescan_get_end: where GMime's view of the mail stops, or -1. */
goffset tg_mimescan_get_end (const TgMimeScan *scan);

/*
 * tg_mimescan_get_cuts: (transfer none): TgMimeScanCut, in order, all
 * before the end: the excess of each header over TG_MIMESCAN_MAX_HEADER
 * or over the address limits (its last line end is kept, so the header
 * block goes on after it).
 */
const GArray *tg_mimescan_get_cuts (const TgMimeScan *scan);
