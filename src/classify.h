/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * classify: recognises mail written by machines (bounces, auto-replies,
 * lists, our own mail coming back), which is stored but never answered.
 * Pure: a parsed message and the envelope in, a reason out.
 */
#pragma once

#include <glib.h>

#include "message.h"

typedef enum {
	TG_MACHINE_NONE = 0,      /* a person wrote it, as far as we can tell */
	TG_MACHINE_OWN,           /* our own mail came back (loop header or
				     one of our Message-IDs) */
	TG_MACHINE_DSN,           /* delivery status notification, RFC 3464 */
	TG_MACHINE_MDN,           /* read receipt, RFC 8098 */
	TG_MACHINE_NULL_SENDER,   /* envelope sender <> */
	TG_MACHINE_DAEMON,        /* MAILER-DAEMON, postmaster and the like */
	TG_MACHINE_AUTO_SUBMITTED,/* Auto-Submitted other than "no", RFC 3834 */
	TG_MACHINE_PRECEDENCE,    /* Precedence: bulk, junk or list */
	TG_MACHINE_LIST,          /* List-Id or List-Unsubscribe, RFC 2919/2369 */
	TG_MACHINE_VENDOR,        /* X-Autoreply, X-Autorespond,
				     X-Auto-Response-Suppress, ... */
} TgMachineReason;

/* The loop header every mail of ours carries; its value is our support
 * address. */
#define TG_CLASSIFY_LOOP_HEADER "X-Ticketgate-Loop"

/*
 * tg_classify_machine: why @msg was written by a machine, or
 * TG_MACHINE_NONE.
 * @envelope_sender: (nullable): the SMTP MAIL FROM, "" for the null
 * sender; NULL when unknown (not the same as null!)
 * @support_address: our address, to spot our own loop header
 * @is_own_message_id: (nullable): predicate for our Message-IDs
 */
TgMachineReason tg_classify_machine (const TgMessage *msg,
				     const char *envelope_sender,
				     const char *support_address,
				     gboolean (*is_own_message_id) (const char *id,
								    gpointer data),
				     gpointer data);

/* tg_classify_reason_to_string: (transfer none): "dsn", "auto-submitted",
 * ... as logged and stored; "none" for TG_MACHINE_NONE. */
const char *tg_classify_reason_to_string (TgMachineReason reason);
