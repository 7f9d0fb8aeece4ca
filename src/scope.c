/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scope: matches requests against the out-of-scope rules. Rules are
 * compiled once per process; quoted lines ("> ...") of earlier mail are
 * not searched, so that a reply does not inherit the flags of what it
 * quotes. Pure GLib.
 */
#include "scope.h"

#include <string.h>

G_DEFINE_QUARK (tg-scope-error-quark, tg_scope_error)

typedef struct {
	char *topic;
	char *rule;
	char **plans; /* NULL: all */
	GRegex *regex;
} Rule;

struct _TgScope {
	GArray *rules; /* Rule */
};

static void
rule_clear (Rule *r)
{
	g_free (r->topic);
	g_free (r->rule);
	g_strfreev (r->plans);
	g_clear_pointer (&r->regex, g_regex_unref);
}

TgScope *
tg_scope_new (void)
{
	TgScope *scope = g_new0 (TgScope, 1);

	scope->rules = g_array_new (FALSE, TRUE, sizeof (Rule));
	g_array_set_clear_func (scope->rules, (GDestroyNotify) rule_clear);
	return scope;
}

void
tg_scope_free (TgScope *scope)
{
	if (scope == NULL)
		return;
	g_clear_pointer (&scope->rules, g_array_unref);
	g_free (scope);
}

gboolean
tg_scope_add_rule (TgScope *scope, const char *topic, const char *pattern,
		   const char *const *plans, const char *rule, GError **error)
{
	g_autoptr (GError) local = NULL;
	Rule r = { 0 };

	g_return_val_if_fail (scope != NULL && topic != NULL, FALSE);
	g_return_val_if_fail (pattern != NULL && rule != NULL, FALSE);
	/* No G_REGEX_OPTIMIZE: each rule runs once per process, and the JIT
	 * compiler costs five times what the match saves. */
	r.regex = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_MULTILINE,
			       0, &local);
	if (r.regex == NULL) {
		g_set_error (error, TG_SCOPE_ERROR, TG_SCOPE_ERROR_INVALID,
			     "scope rule \"%s\": %s", topic, local->message);
		return FALSE;
	}
	r.topic = g_strdup (topic);
	r.rule = g_strdup (rule);
	r.plans = plans != NULL ? g_strdupv ((char **) plans) : NULL;
	g_array_append_val (scope->rules, r);
	return TRUE;
}

/* The unquoted start of @text, at most TG_SCOPE_MAX_TEXT bytes. */
static char *
searchable_text (const char *subject, const char *text)
{
	GString *out = g_string_new (subject);
	const char *p = text != NULL ? text : "";

	g_string_append_c (out, '\n');
	while (*p != '\0' && out->len < TG_SCOPE_MAX_TEXT) {
		const char *eol = strchr (p, '\n');
		gsize len = eol != NULL ? (gsize) (eol - p) : strlen (p);

		if (*p != '>')
			g_string_append_len (out, p, len);
		g_string_append_c (out, '\n');
		p += len + (eol != NULL);
	}
	/* Cut on a character boundary so GRegex sees valid UTF-8: back
	 * from the cap over continuation bytes only, so that a character
	 * ending right at the cap is kept whole. */
	if (out->len > TG_SCOPE_MAX_TEXT) {
		gsize cut = TG_SCOPE_MAX_TEXT;

		while (cut > 0 && ((guchar) out->str[cut] & 0xc0) == 0x80)
			cut--;
		g_string_truncate (out, cut);
	}
	return g_string_free (out, FALSE);
}

static gboolean
applies_to (const Rule *r, const char *plan)
{
	if (r->plans == NULL)
		return TRUE;
	return plan != NULL && g_strv_contains ((const char *const *) r->plans,
						plan);
}

GArray *
tg_scope_match (const TgScope *scope, const char *plan, const char *subject,
		const char *text)
{
	GArray *matches = g_array_new (FALSE, TRUE, sizeof (TgScopeMatch));
	g_autofree char *haystack = NULL;

	g_return_val_if_fail (scope != NULL, matches);
	haystack = searchable_text (subject != NULL ? subject : "", text);
	if (!g_utf8_validate (haystack, -1, NULL)) {
		char *valid = g_utf8_make_valid (haystack, -1);

		g_free (haystack);
		haystack = valid;
	}
	for (guint i = 0; i < scope->rules->len; i++) {
		const Rule *r = &g_array_index (scope->rules, Rule, i);
		TgScopeMatch m = { r->topic, r->rule };

		if (applies_to (r, plan) &&
		    g_regex_match (r->regex, haystack, 0, NULL))
			g_array_append_val (matches, m);
	}
	return matches;
}
