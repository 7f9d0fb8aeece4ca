/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * authres: a reader of Authentication-Results (RFC 8601 2.2) that keeps
 * what ticketgate needs: dmarc, dkim and spf results with header.from,
 * header.d, header.i and smtp.mailfrom. Comments and quoting are honoured;
 * anything it cannot read is ignored, never guessed. Work is linear in
 * the header's length.
 */
#include "authres.h"

#include <string.h>

#include "address.h"

/* ---- reading one header ------------------------------------------------ */

typedef struct {
	GPtrArray *segments; /* GPtrArray of char *: words between ';' */
	GPtrArray *words;    /* the segment being read */
	GString *word;
	gboolean space;      /* blanks or a comment since the last char */
} Scan;

static void
end_word (Scan *s)
{
	if (s->word->len > 0)
		g_ptr_array_add (s->words, g_strndup (s->word->str, s->word->len));
	g_string_truncate (s->word, 0);
}

/* Appends @c to the word; blanks before it end the word, unless they
 * stand next to an "=" (RFC 8601 allows CFWS around it). */
static void
add_char (Scan *s, char c)
{
	gboolean joins = c == '=' ||
			 (s->word->len > 0 &&
			  s->word->str[s->word->len - 1] == '=');

	if (s->space && !joins)
		end_word (s);
	s->space = FALSE;
	g_string_append_c (s->word, c);
}

static void
end_segment (Scan *s)
{
	end_word (s);
	g_ptr_array_add (s->segments, s->words);
	s->words = g_ptr_array_new_with_free_func (g_free);
}

/* Skips a comment starting at @p (on its '('); returns its end. */
static const char *
skip_comment (const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* Appends a quoted string starting at @p (on its '"'); returns its end. */
static const char *
read_quoted (Scan *s, const char *p)
{
	if (s->space && s->word->len > 0 &&
	    s->word->str[s->word->len - 1] != '=')
		end_word (s);
	s->space = FALSE;
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		g_string_append_c (s->word, *p);
	}
	return *p == '"' ? p + 1 : p;
}

/* (transfer full): the words of each ';'-separated part of @value. */
static GPtrArray *
scan (const char *value)
{
	Scan s = {
		.segments = g_ptr_array_new_with_free_func (
			(GDestroyNotify) g_ptr_array_unref),
		.words = g_ptr_array_new_with_free_func (g_free),
		.word = g_string_new (NULL),
	};
	const char *p = value;

	while (*p != '\0') {
		if (*p == '(') {
			s.space = TRUE;
			p = skip_comment (p);
		} else if (*p == '"') {
			p = read_quoted (&s, p);
		} else if (*p == ';') {
			end_segment (&s);
			s.space = FALSE;
			p++;
		} else if (g_ascii_isspace (*p)) {
			s.space = TRUE;
			p++;
		} else {
			add_char (&s, *p++);
		}
	}
	end_segment (&s);
	g_ptr_array_unref (s.words);
	g_string_free (s.word, TRUE);
	return s.segments;
}

/* ---- judging ----------------------------------------------------------- */

typedef struct {
	const char *from_domain;
	gboolean dmarc_pass, dmarc_fail, dmarc_seen;
	gboolean dkim_pass, dkim_aligned_pass;
	gboolean spf_fail;
	GString *evidence;
} Judge;

/* The value of property @key ("header.d") among @words, or NULL. */
static const char *
property (GPtrArray *words, const char *key)
{
	gsize n = strlen (key);

	for (guint i = 1; i < words->len; i++) {
		const char *w = words->pdata[i];

		if (g_ascii_strncasecmp (w, key, n) == 0 && w[n] == '=')
			return w + n + 1;
	}
	return NULL;
}

/* The domain of a property that may be an address ("@d", "u@d", "d"). */
static char *
property_domain (const char *value)
{
	const char *at;

	if (value == NULL)
		return NULL;
	at = strrchr (value, '@');
	return g_ascii_strdown (at != NULL ? at + 1 : value, -1);
}

static void
note (Judge *j, const char *method, const char *result, const char *domain)
{
	g_string_append_printf (j->evidence, "%s%s=%s", j->evidence->len ? " " : "",
				method, result);
	if (domain != NULL)
		g_string_append_printf (j->evidence, " (%s)", domain);
}

static void
judge_dmarc (Judge *j, GPtrArray *words, const char *result)
{
	g_autofree char *domain = property_domain (property (words, "header.from"));

	if (domain != NULL && g_strcmp0 (domain, j->from_domain) != 0)
		return; /* about another From than the one we read */
	j->dmarc_seen = TRUE;
	if (g_ascii_strcasecmp (result, "pass") == 0)
		j->dmarc_pass = TRUE;
	else if (g_ascii_strcasecmp (result, "fail") == 0)
		j->dmarc_fail = TRUE;
	note (j, "dmarc", result, domain);
}

static void
judge_dkim (Judge *j, GPtrArray *words, const char *result)
{
	const char *d = property (words, "header.d");
	g_autofree char *domain =
		property_domain (d != NULL ? d : property (words, "header.i"));

	if (g_ascii_strcasecmp (result, "pass") != 0)
		return;
	j->dkim_pass = TRUE;
	if (tg_address_domain_aligned (j->from_domain, domain)) {
		j->dkim_aligned_pass = TRUE;
		note (j, "dkim", result, domain);
	}
}

static void
judge_resinfo (Judge *j, GPtrArray *words)
{
	const char *first = words->len > 0 ? words->pdata[0] : "";
	const char *eq = strchr (first, '=');
	g_autofree char *method = NULL;
	char *slash;

	if (eq == NULL)
		return;
	method = g_ascii_strdown (first, eq - first);
	if ((slash = strchr (method, '/')) != NULL)
		*slash = '\0';
	if (strcmp (method, "dmarc") == 0)
		judge_dmarc (j, words, eq + 1);
	else if (strcmp (method, "dkim") == 0)
		judge_dkim (j, words, eq + 1);
	else if (strcmp (method, "spf") == 0 &&
		 g_ascii_strcasecmp (eq + 1, "fail") == 0) {
		j->spf_fail = TRUE;
		note (j, "spf", eq + 1, NULL);
	}
}

/* Whether @segments (a scanned header) names @authserv_id. */
static gboolean
names_us (GPtrArray *segments, const char *authserv_id)
{
	GPtrArray *first = segments->len > 0 ? segments->pdata[0] : NULL;

	return first != NULL && first->len > 0 &&
	       g_ascii_strcasecmp (first->pdata[0], authserv_id) == 0;
}

static TgAuthVerdict
verdict (const Judge *j)
{
	if (j->dmarc_pass || j->dkim_aligned_pass)
		return TG_AUTH_PASS;
	if (j->dmarc_fail)
		return TG_AUTH_FAIL;
	if (!j->dmarc_seen && !j->dkim_pass && j->spf_fail)
		return TG_AUTH_FAIL;
	return TG_AUTH_UNKNOWN;
}

void
tg_authres_judge (const GPtrArray *headers, const char *authserv_id,
		  const char *from_domain, TgAuthResult *out)
{
	Judge j = { .from_domain = from_domain, .evidence = g_string_new (NULL) };
	gboolean trusted = FALSE;

	g_return_if_fail (headers != NULL && out != NULL);
	memset (out, 0, sizeof *out);
	for (guint i = 0; authserv_id != NULL && *authserv_id != '\0' &&
			  i < headers->len;
	     i++) {
		const TgHeader *h = headers->pdata[i];
		g_autoptr (GPtrArray) segments = NULL;

		if (g_ascii_strcasecmp (h->name, "Received") == 0)
			break;
		if (g_ascii_strcasecmp (h->name, "Authentication-Results") != 0)
			continue;
		segments = scan (h->value);
		if (!names_us (segments, authserv_id))
			continue;
		trusted = TRUE;
		for (guint k = 1; from_domain != NULL && k < segments->len; k++)
			judge_resinfo (&j, segments->pdata[k]);
	}
	out->verdict = !trusted ? TG_AUTH_UNTRUSTED : verdict (&j);
	out->evidence = trusted ? g_string_free (j.evidence, FALSE) : NULL;
	if (!trusted)
		g_string_free (j.evidence, TRUE);
}

void
tg_authres_clear (TgAuthResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer (&result->evidence, g_free);
	result->verdict = TG_AUTH_UNTRUSTED;
}

const char *
tg_authres_verdict_to_string (TgAuthVerdict v)
{
	switch (v) {
	case TG_AUTH_PASS:
		return "pass";
	case TG_AUTH_FAIL:
		return "fail";
	case TG_AUTH_UNKNOWN:
		return "unknown";
	default:
		return "untrusted";
	}
}
