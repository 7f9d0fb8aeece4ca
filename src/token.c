/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * token: makes and checks the extensions of signed reply addresses with
 * GLib's GHmac (SHA-256), written in RFC 4648 base32 without padding,
 * lower case. Pure: secrets come from the caller.
 */
#include "token.h"

#include <errno.h>
#include <string.h>

#include "address.h"

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* The MAC covers a version, so that a later format never accepts an
 * earlier token by accident. */
static void
mac_text (GBytes *secret, gint64 ticket, TgTokenAudience audience,
	  const char *recipient, char out[TG_TOKEN_MAC_CHARS + 1])
{
	gsize key_len = 0;
	const guchar *key = g_bytes_get_data (secret, &key_len);
	g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
	g_autofree char *msg = g_strdup_printf (
		"ticketgate-reply-v1\n%" G_GINT64_FORMAT "\n%c\n%s", ticket,
		(char) audience,
		audience == TG_TOKEN_PERSON && recipient ? recipient : "");
	guint8 digest[32];
	gsize len = sizeof digest;
	guint64 bits = 0;
	int have = 0, n = 0;

	g_hmac_update (hmac, (const guchar *) msg, strlen (msg));
	g_hmac_get_digest (hmac, digest, &len);
	for (int i = 0; i < TG_TOKEN_MAC_BYTES; i++) {
		bits = (bits << 8) | digest[i];
		have += 8;
		while (have >= 5) {
			out[n++] = base32[(bits >> (have - 5)) & 31];
			have -= 5;
		}
	}
	out[n] = '\0';
}

char *
tg_token_make (GBytes *secret, gint64 ticket, TgTokenAudience audience,
	       const char *recipient)
{
	char mac[TG_TOKEN_MAC_CHARS + 1];

	g_return_val_if_fail (secret != NULL && ticket > 0, NULL);
	mac_text (secret, ticket, audience, recipient, mac);
	return g_strdup_printf ("%" G_GINT64_FORMAT ".%c%s", ticket,
				(char) audience, mac);
}

gboolean
tg_token_parse (const char *text, TgToken *out)
{
	const char *dot;
	char *end = NULL;
	gint64 number;

	g_return_val_if_fail (out != NULL, FALSE);
	if (text == NULL || !g_ascii_isdigit (*text))
		return FALSE;
	dot = strchr (text, '.');
	if (dot == NULL || dot - text > 18)
		return FALSE;
	errno = 0;
	number = g_ascii_strtoll (text, &end, 10);
	if (errno != 0 || end != dot || number <= 0)
		return FALSE;
	if (strlen (dot + 1) != 1 + TG_TOKEN_MAC_CHARS)
		return FALSE;
	out->audience = g_ascii_tolower (dot[1]);
	if (out->audience != TG_TOKEN_STAFF && out->audience != TG_TOKEN_PERSON)
		return FALSE;
	for (int i = 0; i < TG_TOKEN_MAC_CHARS; i++) {
		char c = g_ascii_tolower (dot[2 + i]);

		if (strchr (base32, c) == NULL || c == '\0')
			return FALSE;
		out->mac[i] = c;
	}
	out->mac[TG_TOKEN_MAC_CHARS] = '\0';
	out->ticket = number;
	return TRUE;
}

static gboolean
equal_in_constant_time (const char *a, const char *b, gsize n)
{
	guchar diff = 0;

	for (gsize i = 0; i < n; i++)
		diff |= (guchar) a[i] ^ (guchar) b[i];
	return diff == 0;
}

gboolean
tg_token_check (const TgToken *token, const GPtrArray *secrets,
		const char *recipient)
{
	gboolean ok = FALSE;

	g_return_val_if_fail (token != NULL, FALSE);
	if (secrets == NULL ||
	    (token->audience == TG_TOKEN_PERSON && recipient == NULL))
		return FALSE;
	for (guint i = 0; i < secrets->len; i++) {
		char want[TG_TOKEN_MAC_CHARS + 1];

		mac_text (secrets->pdata[i], token->ticket, token->audience,
			  recipient, want);
		ok |= equal_in_constant_time (want, token->mac,
					      TG_TOKEN_MAC_CHARS);
	}
	return ok;
}

char *
tg_token_address (const char *base_address, char delimiter, const char *token)
{
	const char *at;

	g_return_val_if_fail (base_address != NULL && token != NULL, NULL);
	at = strrchr (base_address, '@');
	if (at == NULL)
		return g_strdup (base_address);
	return g_strdup_printf ("%.*s%c%s%s", (int) (at - base_address),
				base_address, delimiter, token, at);
}

gboolean
tg_token_from_recipient (const char *rcpt, const char *const *bases,
			 const char *delimiters, TgToken *out)
{
	const char *at = rcpt != NULL ? strrchr (rcpt, '@') : NULL;
	g_autofree char *local = NULL;

	if (at == NULL || bases == NULL)
		return FALSE;
	local = g_strndup (rcpt, at - rcpt);
	for (int i = 0; bases[i] != NULL; i++) {
		const char *base_at = strrchr (bases[i], '@');
		g_autofree char *base = NULL;
		const char *ext;

		if (base_at == NULL || g_ascii_strcasecmp (base_at, at) != 0)
			continue;
		base = g_strndup (bases[i], base_at - bases[i]);
		ext = tg_address_split_extension (local, base, delimiters);
		if (ext != NULL && tg_token_parse (ext, out))
			return TRUE;
	}
	return FALSE;
}
