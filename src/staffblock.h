/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * staffblock: the part of a mail to staff that must never reach a
 * customer (the plan, the deadline, internal notes and instructions).
 * Mail to staff carries it between two marker lines; a staff reply that
 * quotes it, in any client's style, has it removed before the relay.
 * GLib only.
 */
#pragma once

#include <glib.h>

/* The marker lines, as staff see them. Short enough that no client
 * wraps them, even quoted several levels deep. */
#define TG_STAFF_BLOCK_BEGIN \
	"==== for staff only: never relayed to the customer ===="
#define TG_STAFF_BLOCK_END "==== end of the part for staff only ===="

/*
 * tg_staff_block_wrap: (transfer full): @body between the two marker
 * lines, each on a line of its own.
 */
char *tg_staff_block_wrap (const char *body);

/*
 * tg_staff_block_drop: (transfer full): @text without its staff blocks:
 * every line from a begin marker to the next end marker, both included.
 * A marker counts quoted or not: before it, any run of blanks,
 * no-break spaces and the quote marks ">" and "|" (Gmail, Thunderbird,
 * Apple Mail, mutt), or nothing at all (Outlook, which pastes the
 * original below a header block); after it, blanks. A begin marker
 * without an end drops the rest of the text: a quote cut short must not
 * let the staff part through.
 */
char *tg_staff_block_drop (const char *text);

/*
 * tg_staff_block_found: whether @text holds a begin marker anywhere,
 * also inside a line (for HTML whose text cannot be edited line by
 * line).
 */
gboolean tg_staff_block_found (const char *text);
