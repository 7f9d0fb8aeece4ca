/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * address: the forms of a mail address that policy needs. An address is
 * deliverable when it has a local part and a domain that is a host name
 * after IDNA conversion (no bare names, no address literals); the
 * canonical form is what caps and "is this the same person" compare:
 * the domain lower-cased and in its ASCII (IDNA) form, the local part
 * unquoted, lower-cased and without its +extension. GLib only.
 */
#pragma once

#include <glib.h>

/*
 * tg_address_for_sending: (transfer full) (nullable): @addr as we hand it
 * to sendmail: the local part unquoted when it needs no quotes, the domain
 * in lower-case ASCII; NULL when @addr is not deliverable.
 */
char *tg_address_for_sending (const char *addr);

/* tg_address_is_deliverable: whether @addr could be answered at all. */
gboolean tg_address_is_deliverable (const char *addr);

/*
 * tg_address_canonical: (transfer full) (nullable): the canonical form of
 * @addr, NULL when it is not deliverable. The extension begins at the
 * first of the characters in @delimiters (Postfix's recipient_delimiter;
 * NULL or "" for none) that is not the local part's first character.
 */
char *tg_address_canonical (const char *addr, const char *delimiters);

/*
 * tg_address_same_person: whether @a and @b have one canonical form
 * (FALSE when either is not deliverable).
 */
gboolean tg_address_same_person (const char *a,
				 const char *b,
				 const char *delimiters);

/*
 * tg_address_domain: (transfer full) (nullable): the domain of @addr in
 * lower-case ASCII; NULL when @addr is not deliverable.
 */
char *tg_address_domain (const char *addr);

/*
 * tg_address_domain_aligned: whether the mail domain @from_domain is
 * @signer (a DKIM d= or DMARC header.from) or a subdomain of it, both
 * in the form tg_address_domain() gives: the signer speaks for its own
 * subdomains, never for its parents or siblings.
 */
gboolean tg_address_domain_aligned (const char *from_domain,
				    const char *signer);

/*
 * tg_address_split_extension: the extension of @local_part after @base
 * and one delimiter ("support+abc" with base "support" gives "abc"),
 * compared case-insensitively; (transfer none) into @local_part, NULL
 * when @local_part is not @base with an extension.
 */
const char *tg_address_split_extension (const char *local_part,
					const char *base,
					const char *delimiters);
