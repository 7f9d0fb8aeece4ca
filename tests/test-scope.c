/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-scope: out-of-scope topics. A few rules are copied verbatim from
 * schema/002-default-plans.sql (VPN, DAHDI, SNMP, firewall, MySQL
 * replication), with their plan lists, so that realistic sentences are
 * checked against the patterns the desk really ships, near misses
 * included. Other rows pin plan lists, quoting and the text cap.
 */
#include "scope.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

/* ---------------------------------------------------------------------- */
/* The shipped rules                                                       */

typedef struct {
	const char *topic;
	const char *pattern;
	const char *const *plans;
	const char *rule;
} RuleRow;

static const char *const paid_plans[] = {"GOLD", "SILVER", "BRONZE", NULL};
static const char *const all_plans[] = {"PLATINUM", "GOLD", "SILVER", "BRONZE",
					NULL};

/* Verbatim from schema/002-default-plans.sql (SQL '\b' is C "\\b"). */
static const RuleRow shipped_rules[] = {
	{"MySQL replication",
	 "\\b(mysql|mariadb) (master[- ]slave |master[- ]master )?"
	 "replication\\b",
	 paid_plans, "is not included in the GOLD, SILVER and BRONZE plans"},
	{"firewall configuration", "\\b(firewall|iptables|nftables|ufw)\\b",
	 all_plans,
	 "is not included in any support plan, PLATINUM full service "
	 "included"},
	{"SNMP configuration", "\\bsnmp\\b", NULL,
	 "is never done by us, under any plan"},
	{"Zaptel/DAHDI configuration", "\\b(zaptel|dahdi)\\b", NULL,
	 "is never done by us, under any plan"},
	{"VPN configuration", "\\b(vpn|openvpn|ipsec|wireguard)\\b", NULL,
	 "is never done by us, under any plan"},
};

static TgScope *
shipped_scope (void)
{
	g_autoptr (TgScope) scope = tg_scope_new ();

	for (gsize i = 0; i < G_N_ELEMENTS (shipped_rules); i++) {
		const RuleRow *r = &shipped_rules[i];
		g_autoptr (GError) error = NULL;

		if (!tg_scope_add_rule (scope, r->topic, r->pattern, r->plans,
					r->rule, &error))
			g_error ("rule %s: %s", r->topic, error->message);
	}
	return g_steal_pointer (&scope);
}

/* "topic|topic" of the matches, in order. */
static char *
show_matches (const GArray *matches)
{
	GString *out = g_string_new (NULL);

	for (guint i = 0; i < matches->len; i++)
		g_string_append_printf (
			out, "%s%s", i ? "|" : "",
			g_array_index (matches, TgScopeMatch, i).topic);
	return g_string_free (out, FALSE);
}

typedef struct {
	const char *label;
	const char *plan; /* NULL: no plan */
	const char *subject;
	const char *text;
	const char *want; /* "topic|topic", "" for none */
} MatchRow;

#define MYSQL "MySQL replication"
#define FIREWALL "firewall configuration"
#define SNMP "SNMP configuration"
#define DAHDI "Zaptel/DAHDI configuration"
#define VPN "VPN configuration"

static const MatchRow sentence_rows[] = {
	/* VPN: every plan and no plan. */
	{"vpn-subject", "GOLD", "VPN tunnel down", NULL, VPN},
	{"vpn-text", "PLATINUM", "Help",
	 "Hello,\nour VPN to the switch stopped working.\n", VPN},
	{"vpn-no-plan", NULL, "Help", "Can you set up a vpn for us?", VPN},
	{"vpn-unknown-plan", "FREE", "", "openvpn client does not connect",
	 VPN},
	{"vpn-upper-case", "SILVER", "", "IPSEC tunnel", VPN},
	{"vpn-mixed-case", "SILVER", "", "WireGuard peers", VPN},
	{"vpn-after-dash", "GOLD", "", "our site-vpn is slow", VPN},
	{"vpn-in-word", "GOLD", "", "the supervpnserver is slow", ""},
	{"vpn-prefix-of-word", "GOLD", "", "vpnc cannot connect", ""},
	{"vpn-plural-is-a-miss", "GOLD", "", "we have two VPNs", ""},
	/* DAHDI. */
	{"dahdi", "BRONZE", "", "The DAHDI driver does not load.", DAHDI},
	{"zaptel-conf", NULL, "", "see zaptel.conf attached", DAHDI},
	{"dahdi-in-word", "BRONZE", "", "the dahdimodule package", ""},
	/* SNMP. */
	{"snmp", "PLATINUM", "", "Please configure SNMP monitoring.", SNMP},
	{"snmp-subject", NULL, "snmp traps", "", SNMP},
	{"snmpd-is-a-miss", "GOLD", "", "snmpd uses all CPU", ""},
	{"snmpv3-is-a-miss", "GOLD", "", "SNMPv3 users", ""},
	/* Firewall: every plan, but not paid support without a plan. */
	{"firewall-gold", "GOLD", "", "Our firewall blocks SIP.", FIREWALL},
	{"firewall-platinum", "PLATINUM", "", "iptables rules for RTP",
	 FIREWALL},
	{"firewall-no-plan", NULL, "", "Our firewall blocks SIP.", ""},
	{"firewall-free", "FREE", "", "Our firewall blocks SIP.", ""},
	{"firewalld-is-a-miss", "GOLD", "", "firewalld is running", ""},
	/* MySQL replication: GOLD, SILVER, BRONZE only. */
	{"mysql-replication", "GOLD", "",
	 "Could you set up MySQL replication to the backup server?", MYSQL},
	{"mysql-master-slave", "SILVER", "",
	 "we need mysql master-slave replication", MYSQL},
	{"mariadb-master-master", "BRONZE", "",
	 "MariaDB master master replication broke", MYSQL},
	{"mysql-platinum", "PLATINUM", "", "MySQL replication is broken", ""},
	{"mysql-no-plan", NULL, "", "MySQL replication is broken", ""},
	{"mysql-database-replication", "GOLD", "", "MySQL database replication",
	 ""},
	{"mysql-two-blanks", "GOLD", "", "mysql  replication", ""},
	{"mysql-replicationx", "GOLD", "", "mysql replicationx", ""},
	{"mysql-across-lines", "GOLD", "", "mysql\nreplication", ""},
	/* Several topics, in rule order. */
	{"several-in-rule-order", "GOLD", "VPN and SNMP",
	 "Also iptables and MySQL replication and DAHDI.",
	 MYSQL "|" FIREWALL "|" SNMP "|" DAHDI "|" VPN},
	{"several-no-plan", NULL, "VPN and SNMP",
	 "Also iptables and MySQL replication and DAHDI.",
	 SNMP "|" DAHDI "|" VPN},
	/* Quoted lines are what earlier mail said. */
	{"quoted-ignored", "GOLD", "Re: question",
	 "Thanks, it works now.\n\n> Our VPN is down.\n>> and SNMP too\n", ""},
	{"quoted-and-new", "GOLD", "Re: question",
	 "> Our VPN is down.\nAnd now SNMP is down too.\n", SNMP},
	{"indented-quote-is-text", "GOLD", "", "  > VPN\n", VPN},
	{"greater-than-in-line", "GOLD", "", "load > 5 on the VPN box\n", VPN},
	{"crlf-text", "GOLD", "", "hello\r\nVPN down\r\n", VPN},
	{"nothing", "GOLD", "", "", ""},
	{"null-everything", NULL, NULL, NULL, ""},
};

static void
test_sentence_row (gconstpointer data)
{
	const MatchRow *row = data;
	g_autoptr (TgScope) scope = shipped_scope ();
	g_autoptr (GArray) matches =
		tg_scope_match (scope, row->plan, row->subject, row->text);
	g_autofree char *got = show_matches (matches);

	if (strcmp (got, row->want) != 0)
		tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label, got,
			  row->want);
}

/* The entries carry the rule's words, for the acknowledgment. */
static void
test_match_fields (void)
{
	g_autoptr (TgScope) scope = shipped_scope ();
	g_autoptr (GArray) matches = tg_scope_match (scope, NULL, "SNMP", NULL);
	const TgScopeMatch *m = NULL;

	g_assert_cmpuint (matches->len, ==, 1);
	m = &g_array_index (matches, TgScopeMatch, 0);
	g_assert_cmpstr (m->topic, ==, "SNMP configuration");
	g_assert_cmpstr (m->rule, ==, "is never done by us, under any plan");
}

/* ---------------------------------------------------------------------- */
/* Rules                                                                   */

typedef struct {
	const char *label;
	const char *pattern;
	gboolean ok;
} PatternRow;

static const PatternRow pattern_rows[] = {
	{"plain", "vpn", TRUE},
	{"anchors", "^vpn$", TRUE},
	{"unclosed-group", "\\b(vpn|ipsec\\b", FALSE},
	{"unclosed-class", "[a-z", FALSE},
	{"bad-repeat", "*vpn", FALSE},
	{"bad-escape", "vpn\\", FALSE},
};

static void
test_add_rule_patterns (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (pattern_rows); i++) {
		const PatternRow *row = &pattern_rows[i];
		g_autoptr (TgScope) scope = tg_scope_new ();
		g_autoptr (GError) error = NULL;
		gboolean ok = tg_scope_add_rule (scope, "Topic X", row->pattern,
						 NULL, "rule", &error);

		if (ok != row->ok) {
			tg_test_fail_row ("%s: got %s, want %s", row->label,
				  ok ? "ok" : error->message,
				  row->ok ? "ok" : "an error");
			continue;
		}
		if (ok) {
			g_assert_no_error (error);
			continue;
		}
		g_assert_error (error, TG_SCOPE_ERROR, TG_SCOPE_ERROR_INVALID);
		if (!g_str_has_prefix (error->message,
				       "scope rule \"Topic X\": "))
			tg_test_fail_row ("%s: got \"%s\", want it to name "
				  "the topic",
				  row->label, error->message);
	}
}

/* A rule that failed is not added; the others still work. */
static void
test_add_rule_failure_keeps_others (void)
{
	g_autoptr (TgScope) scope = tg_scope_new ();
	g_autoptr (GArray) matches = NULL;

	g_assert_true (
		tg_scope_add_rule (scope, "a", "alpha", NULL, "r", NULL));
	g_assert_false (tg_scope_add_rule (scope, "b", "(", NULL, "r", NULL));
	g_assert_true (
		tg_scope_add_rule (scope, "c", "gamma", NULL, "r", NULL));
	matches = tg_scope_match (scope, NULL, "alpha gamma (", NULL);
	g_assert_cmpuint (matches->len, ==, 2);
	g_assert_cmpstr (g_array_index (matches, TgScopeMatch, 0).topic, ==,
			 "a");
	g_assert_cmpstr (g_array_index (matches, TgScopeMatch, 1).topic, ==,
			 "c");
}

typedef struct {
	const char *label;
	const char *plan;
	const char *const *plans; /* of the rule */
	gboolean want;
} PlanRow;

static const char *const gold_only[] = {"GOLD", NULL};
static const char *const no_plans[] = {NULL};

static const PlanRow plan_rows[] = {
	{"null-list-gold", "GOLD", NULL, TRUE},
	{"null-list-no-plan", NULL, NULL, TRUE},
	{"list-member", "GOLD", gold_only, TRUE},
	{"list-other", "SILVER", gold_only, FALSE},
	{"list-no-plan", NULL, gold_only, FALSE},
	{"list-case-matters", "gold", gold_only, FALSE},
	{"empty-list", "GOLD", no_plans, FALSE},
	{"empty-list-no-plan", NULL, no_plans, FALSE},
};

static void
test_plans (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (plan_rows); i++) {
		const PlanRow *row = &plan_rows[i];
		g_autoptr (TgScope) scope = tg_scope_new ();
		g_autoptr (GArray) matches = NULL;
		gboolean got;

		g_assert_true (tg_scope_add_rule (scope, "t", "topic",
						  row->plans, "r", NULL));
		matches = tg_scope_match (scope, row->plan, "topic", NULL);
		got = matches->len == 1;
		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
				  row->want);
	}
}

/* The rule copies the plan list: the caller's may go away. */
static void
test_plans_copied (void)
{
	g_autoptr (TgScope) scope = tg_scope_new ();
	g_autoptr (GArray) matches = NULL;
	char **plans = g_strsplit ("GOLD,SILVER", ",", -1);

	g_assert_true (tg_scope_add_rule (
		scope, "t", "x", (const char *const *)plans, "r", NULL));
	g_strfreev (plans);
	matches = tg_scope_match (scope, "SILVER", "x", NULL);
	g_assert_cmpuint (matches->len, ==, 1);
}

typedef struct {
	const char *label;
	const char *pattern;
	const char *text;
	gboolean want;
} CaseRow;

static const CaseRow case_rows[] = {
	{"ascii-upper-text", "firewall", "FIREWALL", TRUE},
	{"ascii-upper-pattern", "FIREWALL", "firewall", TRUE},
	{"utf8-upper-text", "zähler", "ZÄHLER defekt", TRUE},
	{"utf8-lower-text", "ŽYDRŪNAS", "žydrūnas", TRUE},
	{"multiline-anchor", "^vpn$", "hello\nVPN\nbye", TRUE},
	{"anchor-not-inside-line", "^vpn$", "a VPN b", FALSE},
};

static void
test_case_insensitive (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (case_rows); i++) {
		const CaseRow *row = &case_rows[i];
		g_autoptr (TgScope) scope = tg_scope_new ();
		g_autoptr (GArray) matches = NULL;
		gboolean got;

		g_assert_true (tg_scope_add_rule (scope, "t", row->pattern,
						  NULL, "r", NULL));
		matches = tg_scope_match (scope, NULL, "", row->text);
		got = matches->len == 1;
		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
				  row->want);
	}
}

/* ---------------------------------------------------------------------- */
/* The text cap                                                            */

/* A text of @pad bytes of filler lines (64 bytes or fewer), then @tail. */
static char *
padded (gsize pad, const char *tail)
{
	GString *out = g_string_new (NULL);

	while (out->len < pad) {
		gsize line = MIN (pad - out->len, 64);

		for (gsize k = 1; k < line; k++)
			g_string_append_c (out, k % 7 == 0 ? ' ' : 'f');
		g_string_append_c (out, '\n');
	}
	g_assert_cmpuint (out->len, ==, pad);
	g_string_append (out, tail);
	return g_string_free (out, FALSE);
}

typedef struct {
	const char *label;
	gsize pad; /* bytes before @tail */
	const char *tail;
	const char *pattern;
	gboolean want;
} CapRow;

/* The haystack is "S\n" + text: the subject and its newline are 2 bytes,
 * so text offset k is haystack offset k + 2. The patterns end in "$"
 * (multi-line), so they tell exactly where the text was cut. */
#define CAP TG_SCOPE_MAX_TEXT

static const CapRow cap_rows[] = {
	{"well-inside", 1000, "vpn\n", "vpn$", TRUE},
	{"ends-one-before-cap", CAP - 2 - 4, "vpn\nmore\n", "vpn$", TRUE},
	/* "vpn" fills the last three bytes kept. */
	{"ends-exactly-at-cap", CAP - 2 - 3, "vpn\n", "vpn$", TRUE},
	{"last-letter-cut", CAP - 2 - 2, "vpn\n", "vpn$", FALSE},
	{"first-letter-kept", CAP - 2 - 1, "vpn\n", "v$", TRUE},
	{"starts-at-cap", CAP - 2, "vpn\n", "vpn", FALSE},
	{"far-beyond", 2 * CAP, "vpn\n", "vpn", FALSE},
	/* A two-byte letter across the cap is left out whole ... */
	{"two-byte-across-cap", CAP - 2 - 4, "vpn\xc5\xbe\n", "vpn$", TRUE},
	{"two-byte-across-cap-not-kept", CAP - 2 - 4, "vpn\xc5\xbe\n", "vpn.$",
	 FALSE},
	/* ... and one that ends at the cap is kept whole. */
	{"two-byte-ends-at-cap", CAP - 2 - 5, "vpn\xc5\xbe\n", "vpn\xc5\xbe$",
	 TRUE},
	{"three-byte-across-cap-1", CAP - 2 - 4, "vpn\xe2\x82\xac\n", "vpn$",
	 TRUE},
	{"three-byte-across-cap-2", CAP - 2 - 5, "vpn\xe2\x82\xac\n", "vpn$",
	 TRUE},
	{"three-byte-ends-at-cap", CAP - 2 - 6, "vpn\xe2\x82\xac\n",
	 "vpn\xe2\x82\xac$", TRUE},
};

static void
test_cap (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (cap_rows); i++) {
		const CapRow *row = &cap_rows[i];
		g_autoptr (TgScope) scope = tg_scope_new ();
		g_autoptr (GArray) matches = NULL;
		g_autofree char *text = padded (row->pad, row->tail);
		gboolean got;

		g_assert_true (tg_scope_add_rule (scope, "t", row->pattern,
						  NULL, "r", NULL));
		matches = tg_scope_match (scope, NULL, "S", text);
		got = matches->len == 1;
		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
				  row->want);
	}
}

/* Invalid UTF-8 in the text does not stop the search. */
static void
test_invalid_utf8 (void)
{
	g_autoptr (TgScope) scope = tg_scope_new ();
	g_autoptr (GArray) matches = NULL;

	g_assert_true (
		tg_scope_add_rule (scope, "t", "\\bvpn\\b", NULL, "r", NULL));
	matches = tg_scope_match (scope, NULL, "Caf\xe9", "bad \xff\xfe VPN");
	g_assert_cmpuint (matches->len, ==, 1);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (sentence_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/scope/shipped/%s", sentence_rows[i].label);

		g_test_add_data_func (path, &sentence_rows[i],
				      test_sentence_row);
	}
	g_test_add_func ("/scope/shipped/match-fields", test_match_fields);
	g_test_add_func ("/scope/rule/patterns", test_add_rule_patterns);
	g_test_add_func ("/scope/rule/failure-keeps-others",
			 test_add_rule_failure_keeps_others);
	g_test_add_func ("/scope/rule/plans", test_plans);
	g_test_add_func ("/scope/rule/plans-copied", test_plans_copied);
	g_test_add_func ("/scope/match/case-insensitive",
			 test_case_insensitive);
	g_test_add_func ("/scope/match/text-cap", test_cap);
	g_test_add_func ("/scope/match/invalid-utf8", test_invalid_utf8);
	return g_test_run ();
}
