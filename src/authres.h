/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * authres: what our own MTA says about the sender's domain, read from
 * the Authentication-Results headers (RFC 8601) it added. Only headers
 * that name our authserv-id and stand above everything the sender wrote
 * count; everything else in a mail is the sender's word. Pure: headers
 * in, a verdict out.
 */
#pragma once

#include <glib.h>

#include "message.h"

typedef enum {
	TG_AUTH_UNTRUSTED, /* no header of our MTA (or none configured) */
	TG_AUTH_UNKNOWN,   /* our MTA checked, with no clear answer */
	TG_AUTH_PASS,      /* DMARC pass, or an aligned DKIM pass */
	TG_AUTH_FAIL,      /* DMARC fail, or (without DMARC) DKIM and SPF
			      both failed */
} TgAuthVerdict;

typedef struct {
	TgAuthVerdict verdict;
	char *evidence; /* the results that decided it, for logs and staff:
			   "dmarc=pass header.from=desk.example"; NULL when
			   untrusted */
} TgAuthResult;

/*
 * tg_authres_judge: the verdict on @from_domain (lower-case ASCII, as
 * tg_address_domain() gives; NULL when the mail has no usable From) from
 * the Authentication-Results headers among @headers (TgHeader, top-level,
 * in order) that carry @authserv_id (compared case-insensitively; "" or
 * NULL: none is trusted) and come before the first Received header, that
 * is, were added by our MTA after it received the mail. Fills @out;
 * release it with tg_authres_clear().
 */
void tg_authres_judge (const GPtrArray *headers,
		       const char *authserv_id,
		       const char *from_domain,
		       TgAuthResult *out);

/* tg_authres_clear: releases what @result holds. */
void tg_authres_clear (TgAuthResult *result);

/* tg_authres_verdict_to_string: (transfer none): "pass", "fail", ... */
const char *tg_authres_verdict_to_string (TgAuthVerdict verdict);
