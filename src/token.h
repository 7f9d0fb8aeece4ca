/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * token: signed reply addresses. Every mail the desk sends names, in its
 * Reply-To, an address such as support+1000.sk3d9x2m4q7p1w8zr@example.com
 * whose extension says which ticket it belongs to, to whom it was issued
 * (the staff list, or one person) and carries an HMAC-SHA256 over both
 * under the desk's secret. A mail sent to such an address proves that its
 * writer read a mail the desk sent for that ticket. GLib only.
 */
#pragma once

#include <glib.h>

typedef enum {
	TG_TOKEN_STAFF = 's',  /* issued to the desk's staff list */
	TG_TOKEN_PERSON = 'p', /* issued to one recipient's address */
} TgTokenAudience;

/* Bytes of the HMAC kept in a token: 80 bits, 16 base32 characters. */
#define TG_TOKEN_MAC_BYTES 10
#define TG_TOKEN_MAC_CHARS 16

typedef struct {
	gint64 ticket;            /* the ticket number */
	TgTokenAudience audience;
	char mac[TG_TOKEN_MAC_CHARS + 1];
} TgToken;

/*
 * tg_token_make: (transfer full): the token for @ticket and @audience,
 * under @secret. @recipient is the canonical address (address.h) of the
 * person it is issued to; ignored for TG_TOKEN_STAFF.
 */
char *tg_token_make (GBytes *secret,
		     gint64 ticket,
		     TgTokenAudience audience,
		     const char *recipient);

/*
 * tg_token_parse: reads "<number>.<audience><mac>" (any case, as Postfix
 * may fold it) into @out. FALSE when @text is not one.
 */
gboolean tg_token_parse (const char *text, TgToken *out);

/*
 * tg_token_check: whether @token was made under one of @secrets (GBytes)
 * for @recipient (canonical; NULL for a staff token). Compares in time
 * independent of where the MACs differ.
 */
gboolean tg_token_check (const TgToken *token,
			 const GPtrArray *secrets,
			 const char *recipient);

/*
 * tg_token_address: (transfer full): @base_address with the token as its
 * extension after @delimiter ("support@d" -> "support+TOKEN@d").
 */
char *tg_token_address (const char *base_address,
			char delimiter,
			const char *token);

/*
 * tg_token_from_recipient: finds a token in the envelope recipient @rcpt
 * when its local part is that of one of @bases (our addresses) plus a
 * delimiter and a token, and its domain is the base's. FALSE when there
 * is none.
 */
gboolean tg_token_from_recipient (const char *rcpt,
				  const char *const *bases,
				  const char *delimiters,
				  TgToken *out);
