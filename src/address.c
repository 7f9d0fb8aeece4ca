/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * address: deliverable, sendable and canonical forms of a mail address
 * (RFC 5321 4.1.2, RFC 5322 3.4.1), with IDNA through GLib. It never
 * looks anything up and keeps no state.
 */
#include "address.h"

#include <string.h>

/* RFC 5321 4.5.3.1: the longest local part and domain. */
#define MAX_LOCAL 64
#define MAX_DOMAIN 253
#define MAX_LABEL 63

/* RFC 5322 3.2.3 atext, plus any byte of a UTF-8 sequence (RFC 6531). */
static gboolean
is_atext (guchar c)
{
	return g_ascii_isalnum (c) || c >= 0x80 ||
	       (c != '\0' && strchr ("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static gboolean
is_dot_atom (const char *s)
{
	gboolean after_dot = TRUE;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (after_dot)
				return FALSE;
			after_dot = TRUE;
		} else if (is_atext ((guchar) *p)) {
			after_dot = FALSE;
		} else {
			return FALSE;
		}
	}
	return !after_dot;
}

/* The local part without its quotes and quoting backslashes; NULL when
 * it is empty, too long, not UTF-8 or holds a control character. */
static char *
unquote_local (const char *local, gsize len)
{
	g_autoptr (GString) out = g_string_sized_new (len);
	gboolean quoted = len >= 2 && local[0] == '"' && local[len - 1] == '"';
	const char *p = quoted ? local + 1 : local;
	const char *end = quoted ? local + len - 1 : local + len;

	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		if ((guchar) *p < 0x20 || *p == 0x7f)
			return NULL;
		g_string_append_c (out, *p);
	}
	if (out->len == 0 || out->len > MAX_LOCAL ||
	    !g_utf8_validate (out->str, out->len, NULL))
		return NULL;
	return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
is_label (const char *label, gsize len)
{
	if (len == 0 || len > MAX_LABEL || label[0] == '-' ||
	    label[len - 1] == '-')
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum (label[i]) && label[i] != '-')
			return FALSE;
	return TRUE;
}

/* A host name of two labels or more whose last label is not a number
 * (which would make it an address, not a name). */
static gboolean
is_host_name (const char *name)
{
	const char *label = name;
	const char *last = name;
	int labels = 0;

	if (strlen (name) > MAX_DOMAIN)
		return FALSE;
	for (const char *p = name;; p++) {
		if (*p != '.' && *p != '\0')
			continue;
		if (!is_label (label, p - label))
			return FALSE;
		labels++;
		last = label;
		if (*p == '\0')
			break;
		label = p + 1;
	}
	return labels >= 2 && strspn (last, "0123456789") != strlen (last);
}

/* The domain in lower-case ASCII, or NULL when it is not a host name
 * after IDNA conversion (and back: bad Punycode fails there). */
static char *
ascii_domain (const char *domain, gsize len)
{
	g_autofree char *raw = g_strndup (domain, len);
	g_autofree char *ascii = NULL;
	g_autofree char *unicode = NULL;
	g_autofree char *lower = NULL;
	gsize n = strlen (raw);

	if (n > 0 && raw[n - 1] == '.')
		raw[n - 1] = '\0';
	if (*raw == '\0' || *raw == '[' || !g_utf8_validate (raw, -1, NULL))
		return NULL;
	ascii = g_hostname_to_ascii (raw);
	if (ascii == NULL)
		return NULL;
	unicode = g_hostname_to_unicode (ascii);
	if (unicode == NULL)
		return NULL;
	lower = g_ascii_strdown (ascii, -1);
	return is_host_name (lower) ? g_steal_pointer (&lower) : NULL;
}

/* Splits @addr into its unquoted local part and its ASCII domain. */
static gboolean
split (const char *addr, char **local_out, char **domain_out)
{
	const char *at = addr != NULL ? strrchr (addr, '@') : NULL;
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;

	if (at == NULL || at == addr)
		return FALSE;
	local = unquote_local (addr, at - addr);
	domain = ascii_domain (at + 1, strlen (at + 1));
	if (local == NULL || domain == NULL)
		return FALSE;
	*local_out = g_steal_pointer (&local);
	*domain_out = g_steal_pointer (&domain);
	return TRUE;
}

static char *
quote_local (const char *local)
{
	GString *out = g_string_new ("\"");

	for (const char *p = local; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c (out, '\\');
		g_string_append_c (out, *p);
	}
	g_string_append_c (out, '"');
	return g_string_free (out, FALSE);
}

char *
tg_address_for_sending (const char *addr)
{
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;
	g_autofree char *quoted = NULL;

	if (!split (addr, &local, &domain))
		return NULL;
	if (is_dot_atom (local))
		return g_strconcat (local, "@", domain, NULL);
	quoted = quote_local (local);
	return g_strconcat (quoted, "@", domain, NULL);
}

gboolean
tg_address_is_deliverable (const char *addr)
{
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;

	return split (addr, &local, &domain);
}

char *
tg_address_canonical (const char *addr, const char *delimiters)
{
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;
	g_autofree char *lower = NULL;
	char *cut;

	if (!split (addr, &local, &domain))
		return NULL;
	g_strstrip (local);
	if (*local == '\0')
		return NULL;
	lower = g_utf8_strdown (local, -1);
	if (delimiters != NULL && *delimiters != '\0' &&
	    (cut = strpbrk (lower + 1, delimiters)) != NULL)
		*cut = '\0';
	return g_strconcat (lower, "@", domain, NULL);
}

gboolean
tg_address_same_person (const char *a, const char *b, const char *delimiters)
{
	g_autofree char *ca = tg_address_canonical (a, delimiters);
	g_autofree char *cb = tg_address_canonical (b, delimiters);

	return ca != NULL && cb != NULL && strcmp (ca, cb) == 0;
}

char *
tg_address_domain (const char *addr)
{
	g_autofree char *local = NULL;
	char *domain = NULL;

	if (!split (addr, &local, &domain))
		return NULL;
	return domain;
}

gboolean
tg_address_domain_aligned (const char *from_domain, const char *signer)
{
	gsize f, s;

	if (from_domain == NULL || signer == NULL || *signer == '\0')
		return FALSE;
	f = strlen (from_domain);
	s = strlen (signer);
	if (f == s)
		return g_ascii_strcasecmp (from_domain, signer) == 0;
	return f > s && from_domain[f - s - 1] == '.' &&
	       g_ascii_strcasecmp (from_domain + f - s, signer) == 0 &&
	       strchr (signer, '.') != NULL;
}

const char *
tg_address_split_extension (const char *local_part, const char *base,
			    const char *delimiters)
{
	gsize n;

	if (local_part == NULL || base == NULL || delimiters == NULL ||
	    *delimiters == '\0')
		return NULL;
	n = strlen (base);
	if (n == 0 || g_ascii_strncasecmp (local_part, base, n) != 0 ||
	    local_part[n] == '\0' || strchr (delimiters, local_part[n]) == NULL ||
	    local_part[n + 1] == '\0')
		return NULL;
	return local_part + n + 1;
}
