/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trust: who may speak for the desk and who may write into a ticket,
 * decided from what the desk can prove (a signed reply address, our own
 * MTA's Authentication-Results) and from the ticket's people, never from
 * what a header claims. Pure: plain structs in, decisions out; the
 * lookups are store's and the parsing message's (doc/SECURITY.md).
 */
#pragma once

#include <glib.h>

#include "authres.h"
#include "settings.h"
#include "store.h"
#include "token.h"

/* What a token in the envelope recipient proves about one ticket. */
typedef enum {
	TG_TOKEN_MATCH_NONE,    /* no token, another ticket, or forged */
	TG_TOKEN_MATCH_TICKET,  /* issued for the ticket, to someone else */
	TG_TOKEN_MATCH_SENDER,  /* issued for the ticket to this sender */
	TG_TOKEN_MATCH_STAFF,   /* issued for the ticket to the staff list */
} TgTokenMatch;

/* How a mail from a staff address proved that staff wrote it. */
typedef enum {
	TG_STAFF_UNPROVEN,
	TG_STAFF_BY_TOKEN,   /* sent to a reply address issued to staff */
	TG_STAFF_BY_AUTH,    /* our MTA saw DMARC or aligned DKIM pass */
} TgStaffProof;

/*
 * tg_trust_usable_secrets: (transfer container): the secrets of @keys
 * (TgSigningKey, newest first) that still verify at @now (Unix time):
 * the newest, and those replaced less than @grace seconds ago.
 */
GPtrArray *tg_trust_usable_secrets (const GPtrArray *keys,
				    gint64 now,
				    int grace);

/*
 * tg_trust_check_token: what @token proves about ticket @t for a mail
 * from @sender, under @secrets. A person's token is tried against the
 * sender and then the ticket's people it could have been issued to (the
 * requester, the reply address, the CCs).
 */
TgTokenMatch tg_trust_check_token (const TgToken *token,
				   const TgTicket *t,
				   const GPtrArray *secrets,
				   const char *sender,
				   const char *delimiters);

/*
 * tg_trust_staff_proof: how a mail from a staff address proves itself:
 * by a token issued for its ticket to the staff list or to the sender
 * (@match), else by @auth (TG_AUTH_PASS).
 */
TgStaffProof tg_trust_staff_proof (TgTokenMatch match, const TgAuthResult *auth);

/*
 * tg_trust_is_ticket_person: whether @sender is one of @t's people: its
 * requester or reply address, one of its CCs, or (@customer_id, as the
 * sender was identified) a contact of its customer.
 */
gboolean tg_trust_is_ticket_person (const TgTicket *t,
				    const char *sender,
				    gint64 customer_id,
				    const char *delimiters);

/*
 * tg_trust_reply_address: (transfer none): where answers to a mail from
 * @from may go: its @reply_to when @policy allows (for same-domain: when
 * both are in one domain), else @from. *@ignored_out is set to @reply_to
 * when it was not taken, else NULL. An undeliverable @reply_to is never
 * taken.
 */
const char *tg_trust_reply_address (TgReplyToPolicy policy,
				    const char *from,
				    const char *reply_to,
				    const char **ignored_out);

/*
 * tg_trust_signed_address: (transfer full): the reply address of mail
 * about ticket @number for @audience (@person: the recipient, for
 * TG_TOKEN_PERSON), signed with the newest of @keys (TgSigningKey); the
 * plain support address without a ticket, a key or a usable @person.
 */
char *tg_trust_signed_address (const TgSettings *config,
			       const GPtrArray *keys,
			       gint64 number,
			       TgTokenAudience audience,
			       const char *person);

/* tg_trust_proof_to_string: (transfer none): "token", "auth", "none". */
const char *tg_trust_proof_to_string (TgStaffProof proof);
