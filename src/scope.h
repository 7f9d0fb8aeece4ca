/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scope: flags requests about topics a plan does not cover (POLICY.md:
 * "what the plans do not include", "never done by the vendor"). The rules
 * are data from the database; this module only matches. Pure GLib.
 */
#pragma once

#include <glib.h>

#define TG_SCOPE_ERROR (tg_scope_error_quark ())
GQuark tg_scope_error_quark (void);

typedef enum {
	TG_SCOPE_ERROR_INVALID, /* a rule's pattern is not a valid regex */
} TgScopeError;

typedef struct _TgScope TgScope;

typedef struct {
	const char *topic; /* "VPN configuration" */
	const char *rule;  /* "is never done by us, under any plan" */
} TgScopeMatch;

/* Bytes of text a request is searched in: the top of a mail says what
 * it is about, and the cost stays bounded. */
#define TG_SCOPE_MAX_TEXT (64 * 1024)

/* tg_scope_new: (transfer full): a matcher without rules. */
TgScope *tg_scope_new (void);

/* tg_scope_free: NULL is allowed. */
void tg_scope_free (TgScope *scope);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgScope, tg_scope_free)

/*
 * tg_scope_add_rule: adds a rule; @pattern is a case-insensitive regular
 * expression (PCRE syntax); @plans: (nullable) (array zero-terminated=1):
 * the plans the exclusion applies to, NULL for every plan and for tickets
 * without one. Returns FALSE with TG_SCOPE_ERROR_INVALID naming the topic.
 */
gboolean tg_scope_add_rule (TgScope *scope,
			    const char *topic,
			    const char *pattern,
			    const char *const *plans,
			    const char *rule,
			    GError **error);

/*
 * tg_scope_match: (transfer container): the rules that apply to @plan
 * (NULL: no plan) and match @subject or the start of @text, in rule
 * order. The TgScopeMatch entries borrow from @scope.
 */
GArray *tg_scope_match (const TgScope *scope,
			const char *plan,
			const char *subject,
			const char *text);
