/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * priority: a ticket's priority from the sender's mail headers.
 * Pure: strings in, an enum out.
 */
#pragma once

#include <glib.h>

/* The numeric values are the order of work: lower is worked first. */
typedef enum {
	TG_PRIORITY_HIGH = 1,
	TG_PRIORITY_MEDIUM = 2,
	TG_PRIORITY_LOW = 3,
} TgPriority;

/*
 * tg_priority_from_headers: the priority a sender asked for.
 * @x_priority, @importance, @priority: (nullable): raw header values of
 * X-Priority ("1 (Highest)" .. "5 (Lowest)"), Importance (RFC 2156:
 * high, normal, low) and Priority (RFC 2156: urgent, normal, non-urgent).
 * The first header that carries a recognised value decides, in that order;
 * anything else is Medium.
 */
TgPriority tg_priority_from_headers (const char *x_priority,
				     const char *importance,
				     const char *priority);

/* tg_priority_to_string: (transfer none): "High", "Medium" or "Low". */
const char *tg_priority_to_string (TgPriority priority);

/*
 * tg_priority_parse: case-insensitive "high", "medium" or "low".
 * Returns FALSE for anything else and leaves @priority_out alone.
 */
gboolean tg_priority_parse (const char *text, TgPriority *priority_out);
