/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trust: the desk's rules of proof (doc/SECURITY.md). A staff address in
 * From proves nothing; a reply address the desk signed for the ticket,
 * or a pass from our own MTA, does. A ticket takes mail from its people
 * or through its signed address, and answers go where the ticket's
 * identity came from. No lookups here: the caller brings the facts.
 */
#include "trust.h"

#include <string.h>

#include "address.h"

GPtrArray *
tg_trust_usable_secrets (const GPtrArray *keys, gint64 now, int grace)
{
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; keys != NULL && i < keys->len; i++) {
		const TgSigningKey *k = keys->pdata[i];

		if (k->replaced_at == 0 || now - k->replaced_at < grace)
			g_ptr_array_add (out, k->secret);
	}
	return out;
}

static gboolean
token_for (const TgToken *token, const GPtrArray *secrets, const char *addr,
	   const char *delimiters)
{
	g_autofree char *canonical = tg_address_canonical (addr, delimiters);

	return canonical != NULL &&
	       tg_token_check (token, secrets, canonical);
}

TgTokenMatch
tg_trust_check_token (const TgToken *token, const TgTicket *t,
		      const GPtrArray *secrets, const char *sender,
		      const char *delimiters)
{
	if (token == NULL || t == NULL || token->ticket != t->number)
		return TG_TOKEN_MATCH_NONE;
	if (token->audience == TG_TOKEN_STAFF)
		return tg_token_check (token, secrets, NULL)
			? TG_TOKEN_MATCH_STAFF
			: TG_TOKEN_MATCH_NONE;
	if (token_for (token, secrets, sender, delimiters))
		return TG_TOKEN_MATCH_SENDER;
	if (token_for (token, secrets, t->reply_address, delimiters) ||
	    token_for (token, secrets, t->requester, delimiters))
		return TG_TOKEN_MATCH_TICKET;
	for (char **cc = t->cc; cc != NULL && *cc != NULL; cc++)
		if (token_for (token, secrets, *cc, delimiters))
			return TG_TOKEN_MATCH_TICKET;
	return TG_TOKEN_MATCH_NONE;
}

TgStaffProof
tg_trust_staff_proof (TgTokenMatch match, const TgAuthResult *auth)
{
	if (match == TG_TOKEN_MATCH_STAFF || match == TG_TOKEN_MATCH_SENDER)
		return TG_STAFF_BY_TOKEN;
	if (auth != NULL && auth->verdict == TG_AUTH_PASS)
		return TG_STAFF_BY_AUTH;
	return TG_STAFF_UNPROVEN;
}

gboolean
tg_trust_is_ticket_person (const TgTicket *t, const char *sender,
			   gint64 customer_id, const char *delimiters)
{
	g_return_val_if_fail (t != NULL, FALSE);
	if (sender == NULL)
		return FALSE;
	if (customer_id != 0 && customer_id == t->customer_id)
		return TRUE;
	if (tg_address_same_person (sender, t->requester, delimiters) ||
	    tg_address_same_person (sender, t->reply_address, delimiters))
		return TRUE;
	for (char **cc = t->cc; cc != NULL && *cc != NULL; cc++)
		if (tg_address_same_person (sender, *cc, delimiters))
			return TRUE;
	return FALSE;
}

static gboolean
same_domain (const char *a, const char *b)
{
	g_autofree char *da = tg_address_domain (a);
	g_autofree char *db = tg_address_domain (b);

	return da != NULL && db != NULL && strcmp (da, db) == 0;
}

const char *
tg_trust_reply_address (TgReplyToPolicy policy, const char *from,
			const char *reply_to, const char **ignored_out)
{
	g_autofree char *usable = reply_to ? tg_address_for_sending (reply_to)
					   : NULL;
	gboolean take;

	*ignored_out = NULL;
	if (reply_to == NULL || g_strcmp0 (reply_to, from) == 0)
		return from;
	take = usable != NULL &&
	       (policy == TG_REPLY_TO_ALWAYS ||
		(policy == TG_REPLY_TO_SAME_DOMAIN &&
		 same_domain (from, reply_to)));
	if (take)
		return reply_to;
	*ignored_out = reply_to;
	return from;
}

char *
tg_trust_signed_address (const TgSettings *c, const GPtrArray *keys,
			 gint64 number, TgTokenAudience audience,
			 const char *person)
{
	g_autofree char *canonical = NULL;
	g_autofree char *token = NULL;
	const TgSigningKey *key;

	if (number == 0 || keys == NULL || keys->len == 0)
		return g_strdup (c->support_address);
	if (audience == TG_TOKEN_PERSON) {
		canonical = tg_address_canonical (person, c->recipient_delimiter);
		if (canonical == NULL)
			return g_strdup (c->support_address);
	}
	key = keys->pdata[0];
	token = tg_token_make (key->secret, number, audience, canonical);
	return tg_token_address (c->support_address,
				 c->recipient_delimiter[0], token);
}

const char *
tg_trust_proof_to_string (TgStaffProof proof)
{
	switch (proof) {
	case TG_STAFF_BY_TOKEN:
		return "token";
	case TG_STAFF_BY_AUTH:
		return "auth";
	default:
		return "none";
	}
}
