/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-settings: ticketgate.conf. Rows pin every default, the number
 * parsers (good, bad, overflowing), each load error with its file, line,
 * group and key, the values that need more than one key (tg_settings_check),
 * path and address normalisation, and that a dump loads back unchanged.
 * Config files are written into the per-test temporary folder.
 */
#include "../src/settings.h"

#include <stddef.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "calendar.h"
#include "reply.h"
#include "tgtest.h"

/* Reports a failed row and goes on with the next one: every failure is
 * logged, not only the last (g_test_fail_printf() keeps one message). */

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/* The test's own folder: G_TEST_OPTION_ISOLATE_DIRS gives every test a
 * fresh cache folder and removes it afterwards. */
static const char *
test_dir (void)
{
	const char *dir = g_get_user_cache_dir ();

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	return dir;
}

/* (transfer full): the path of @name in the test's own folder, written
 * with @text (folders created as needed). */
static char *
write_conf (const char *name, const char *text)
{
	g_autofree char *path = g_build_filename (test_dir (), name, NULL);
	g_autofree char *dir = g_path_get_dirname (path);
	g_autoptr (GError) error = NULL;

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	if (!g_file_set_contents (path, text, -1, &error))
		g_error ("writing %s: %s", path, error->message);
	return g_steal_pointer (&path);
}

/* (transfer full): the config in @text, loaded; the test fails if not. */
static TgSettings *
load_text (const char *label, const char *text)
{
	g_autofree char *path = write_conf ("ticketgate.conf", text);
	g_autoptr (GError) error = NULL;
	TgSettings *config = tg_settings_load (path, &error);

	if (config == NULL)
		g_error ("%s: load: got error \"%s\", want success", label,
			 error->message);
	return config;
}

static char *
strv_show (char **v)
{
	g_autofree char *joined = NULL;

	if (v == NULL)
		return g_strdup ("(null)");
	joined = g_strjoinv ("|", v);
	return g_strdup_printf ("[%s]", joined);
}

/* ---------------------------------------------------------------------- */
/* Defaults                                                                */

typedef struct {
	const char *label;
	gsize offset;
	const char *want;
} StringField;

typedef struct {
	const char *label;
	gsize offset;
	int want;
} IntField;

#define F(field) offsetof (TgSettings, field)
#define STR(config, off) (*(char **)((char *)(config) + (off)))
#define INT(config, off) (*(int *)((char *)(config) + (off)))

static const StringField default_strings[] = {
	{"conninfo", F (conninfo), "dbname=ticketgate"},
	{"support_address", F (support_address), ""},
	{"from_name", F (from_name), "Support"},
	{"sendmail", F (sendmail), "/usr/sbin/sendmail"},
	{"submit", F (submit), "sendmail"},
	{"subject_tag", F (subject_tag), "Support"},
	{"comment_address", F (comment_address), ""},
	{"bounce_address", F (bounce_address), ""},
	{"timezone", F (timezone), "+02:00"},
	{"spool_directory", F (spool_directory), ""},
	{"fallback_plan", F (fallback_plan), "NONE"},
};

static const IntField default_ints[] = {
	{"connect_timeout", F (connect_timeout), 10},
	{"statement_timeout", F (statement_timeout), 30},
	{"sendmail_timeout", F (sendmail_timeout), 60},
	{"retry_for", F (retry_for), 3 * 86400},
	{"start_minute", F (start_minute), 9 * 60},
	{"end_minute", F (end_minute), 18 * 60},
	{"time_limit", F (time_limit), 300},
	{"outbox_claim", F (outbox_claim), 600},
	{"queue_lifetime", F (queue_lifetime), 5 * 86400},
	{"reopen_days", F (reopen_days), 14},
};

static void
check_defaults (const char *source, const TgSettings *c)
{
	for (gsize i = 0; i < G_N_ELEMENTS (default_strings); i++) {
		const StringField *row = &default_strings[i];
		const char *got = STR (c, row->offset);

		if (g_strcmp0 (got, row->want) != 0)
			tg_test_fail_row ("%s: %s: got \"%s\", want \"%s\"", source,
				  row->label, got, row->want);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (default_ints); i++) {
		const IntField *row = &default_ints[i];
		int got = INT (c, row->offset);

		if (got != row->want)
			tg_test_fail_row ("%s: %s: got %d, want %d", source, row->label,
				  got, row->want);
	}
	if (c->days_mask != TG_CALENDAR_MON_FRI)
		tg_test_fail_row ("%s: days_mask: got 0x%x, want 0x%x", source,
			  c->days_mask, TG_CALENDAR_MON_FRI);
	if (c->max_message_size != 50 * 1024 * 1024)
		tg_test_fail_row ("%s: max_message_size: got %" G_GUINT64_FORMAT
			  ", want %d",
			  source, c->max_message_size, 50 * 1024 * 1024);
	if (c->spool_memory != 1024 * 1024)
		tg_test_fail_row ("%s: spool_memory: got %" G_GUINT64_FORMAT
			  ", want %d",
			  source, c->spool_memory, 1024 * 1024);
	if (c->unknown_sender != TG_UNKNOWN_SENDER_TICKET)
		tg_test_fail_row ("%s: unknown_sender: got %d, want ticket", source,
			  c->unknown_sender);
	if (c->ack_followups)
		tg_test_fail_row ("%s: ack_followups: got true, want false", source);
	if (c->staff_addresses == NULL || c->staff_addresses[0] != NULL) {
		g_autofree char *got = strv_show (c->staff_addresses);

		tg_test_fail_row ("%s: staff_addresses: got %s, want []", source, got);
	}
	/* localstatedir and pkgdatadir are build settings; their shape is
	 * what matters. */
	if (!g_path_is_absolute (c->state_directory) ||
	    !g_str_has_suffix (c->state_directory, "/lib/ticketgate"))
		tg_test_fail_row ("%s: state_directory: got \"%s\", want "
			  "an absolute .../lib/ticketgate",
			  source, c->state_directory);
	if (!g_path_is_absolute (c->templates_directory) ||
	    !g_str_has_suffix (c->templates_directory, "/ticketgate/templates"))
		tg_test_fail_row ("%s: templates_directory: got \"%s\", want "
			  "an absolute .../ticketgate/templates",
			  source, c->templates_directory);
}

static void
test_defaults_new (void)
{
	g_autoptr (TgSettings) c = tg_settings_new_default ("/x/ticketgate.conf");

	g_assert_cmpstr (c->path, ==, "/x/ticketgate.conf");
	check_defaults ("new_default", c);
}

static void
test_defaults_empty_file (void)
{
	g_autoptr (TgSettings) c = load_text ("empty", "");

	check_defaults ("empty file", c);
}

static void
test_defaults_all_groups_empty (void)
{
	g_autoptr (TgSettings) c = load_text (
		"groups", "# comment\n  # indented\n\n[database]\n[mail]\n"
			  "[hours]\n[templates]\n[limits]\n[policy]\n");

	check_defaults ("empty groups", c);
}

typedef struct {
	const char *label;
	const char *text;
	const char *want_support;
	const char *want_bounce;
} BounceRow;

static const BounceRow bounce_rows[] = {
	{"follows-support", "[mail]\nsupport_address = Help@Example.COM\n",
	 "help@example.com", "help@example.com"},
	{"own-value",
	 "[mail]\nsupport_address = help@example.com\n"
	 "bounce_address = Bounces@Example.com\n",
	 "help@example.com", "bounces@example.com"},
	{"empty-value-follows",
	 "[mail]\nsupport_address = help@example.com\n"
	 "bounce_address =\n",
	 "help@example.com", "help@example.com"},
	{"neither", "[mail]\nfrom_name = Desk\n", "", ""},
};

static void
test_defaults_bounce (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (bounce_rows); i++) {
		const BounceRow *row = &bounce_rows[i];
		g_autoptr (TgSettings) c = load_text (row->label, row->text);

		if (g_strcmp0 (c->support_address, row->want_support) != 0)
			tg_test_fail_row ("%s: support_address: got \"%s\", "
				  "want \"%s\"",
				  row->label, c->support_address,
				  row->want_support);
		if (g_strcmp0 (c->bounce_address, row->want_bounce) != 0)
			tg_test_fail_row ("%s: bounce_address: got \"%s\", "
				  "want \"%s\"",
				  row->label, c->bounce_address,
				  row->want_bounce);
	}
}

/* ---------------------------------------------------------------------- */
/* Number parsers                                                          */

typedef struct {
	const char *label;
	const char *text;
	gboolean ok;
	guint64 want;
} NumberRow;

static const NumberRow duration_rows[] = {
	{"bare-seconds", "90", TRUE, 90},
	{"seconds", "90s", TRUE, 90},
	{"minutes", "15m", TRUE, 900},
	{"hours", "2h", TRUE, 7200},
	{"days", "5d", TRUE, 432000},
	{"zero", "0", TRUE, 0},
	{"zero-seconds", "0s", TRUE, 0},
	{"leading-zeros", "007m", TRUE, 420},
	{"int-max", "2147483647", TRUE, G_MAXINT},
	{"int-max-days", "24855d", TRUE, 24855ull * 86400},
	{"int-max-plus-one", "2147483648", FALSE, 0},
	{"days-overflow-int", "24856d", FALSE, 0},
	{"minutes-overflow-int", "35791395m", FALSE, 0},
	{"overflow-uint64", "99999999999999999999", FALSE, 0},
	{"overflow-uint64-with-unit", "18446744073709551615d", FALSE, 0},
	{"empty", "", FALSE, 0},
	{"unit-only", "s", FALSE, 0},
	{"negative", "-5", FALSE, 0},
	{"plus-sign", "+5", FALSE, 0},
	{"leading-blank", " 5", FALSE, 0},
	{"trailing-blank", "5 ", FALSE, 0},
	{"blank-before-unit", "5 m", FALSE, 0},
	{"unknown-unit", "5x", FALSE, 0},
	{"upper-case-unit", "5M", FALSE, 0},
	{"two-units", "5mm", FALSE, 0},
	{"two-numbers", "1h30m", FALSE, 0},
	{"fraction", "1.5h", FALSE, 0},
	{"hex", "0x10", FALSE, 0},
	{"word", "ten", FALSE, 0},
};

static const NumberRow size_rows[] = {
	{"bytes", "1048576", TRUE, 1048576},
	{"kib-lower", "64k", TRUE, 65536},
	{"kib-upper", "64K", TRUE, 65536},
	{"mib", "10M", TRUE, 10485760},
	{"gib", "1G", TRUE, 1073741824},
	{"zero", "0", TRUE, 0},
	{"int64-max", "9223372036854775807", TRUE, G_MAXINT64},
	{"gib-largest", "8589934591G", TRUE, 8589934591ull * 1073741824},
	{"int64-max-plus-one", "9223372036854775808", FALSE, 0},
	{"gib-overflow", "8589934592G", FALSE, 0},
	{"uint64-max", "18446744073709551615", FALSE, 0},
	{"uint64-overflow", "18446744073709551616", FALSE, 0},
	{"lower-m-is-not-mib", "10m", FALSE, 0},
	{"lower-g", "1g", FALSE, 0},
	{"bytes-suffix", "10B", FALSE, 0},
	{"two-letter-unit", "10MB", FALSE, 0},
	{"empty", "", FALSE, 0},
	{"negative", "-1", FALSE, 0},
	{"blank", "10 M", FALSE, 0},
	{"fraction", "1.5G", FALSE, 0},
};

static void
test_parse_duration (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (duration_rows); i++) {
		const NumberRow *row = &duration_rows[i];
		int got = -7; /* must stay when parsing fails */
		gboolean ok = tg_settings_parse_duration (row->text, &got);

		if (ok != row->ok)
			tg_test_fail_row ("%s: \"%s\": got %s, want %s", row->label,
				  row->text, ok ? "ok" : "error",
				  row->ok ? "ok" : "error");
		else if (ok && (guint64)got != row->want)
			tg_test_fail_row ("%s: \"%s\": got %d, want %" G_GUINT64_FORMAT,
				  row->label, row->text, got, row->want);
		else if (!ok && got != -7)
			tg_test_fail_row ("%s: output changed to %d on error",
				  row->label, got);
	}
}

static void
test_parse_size (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (size_rows); i++) {
		const NumberRow *row = &size_rows[i];
		guint64 got = 7; /* must stay when parsing fails */
		gboolean ok = tg_settings_parse_size (row->text, &got);

		if (ok != row->ok)
			tg_test_fail_row ("%s: \"%s\": got %s, want %s", row->label,
				  row->text, ok ? "ok" : "error",
				  row->ok ? "ok" : "error");
		else if (ok && got != row->want)
			tg_test_fail_row ("%s: \"%s\": got %" G_GUINT64_FORMAT
				  ", want %" G_GUINT64_FORMAT,
				  row->label, row->text, got, row->want);
		else if (!ok && got != 7)
			tg_test_fail_row ("%s: output changed to %" G_GUINT64_FORMAT
				  " on error",
				  row->label, got);
	}
}

/* ---------------------------------------------------------------------- */
/* Load errors                                                             */

typedef struct {
	const char *label;
	const char *text;
	/* The whole message, with FILE standing for the file's path. */
	const char *want;
} LoadErrorRow;

static const LoadErrorRow load_error_rows[] = {
	/* Syntax, with line numbers. */
	{"syntax-bare-word",
	 "[mail]\nsupport_address = a@example.com\n"
	 "this is wrong\n",
	 "FILE:3: not a [group], key = value or # comment"},
	{"syntax-unclosed-group", "# c\n[mail\n",
	 "FILE:2: not a [group], key = value or # comment"},
	{"syntax-semicolon-comment", "[mail]\n; not a comment in key files\n",
	 "FILE:2: not a [group], key = value or # comment"},
	{"syntax-no-key", "[mail]\n= a@example.com\n",
	 "FILE:2: not a [group], key = value or # comment"},
	{"syntax-crlf-line-count", "[mail]\r\nfrom_name = x\r\noops\r\n",
	 "FILE:3: not a [group], key = value or # comment"},
	{"not-utf8", "[mail]\nfrom_name = Caf\xe9\n", "FILE: not UTF-8 text"},
	{"nul-byte-is-not-text", NULL, "FILE: not UTF-8 text"},
	/* Unknown groups and keys. */
	{"unknown-group", "[mail]\nfrom_name = x\n[mial]\nfrom_name = y\n",
	 "FILE:3: [mial]: unknown group"},
	{"unknown-group-first", "[Mail]\n", "FILE:1: [Mail]: unknown group"},
	{"unknown-key", "[mail]\nsupport_adress = a@example.com\n",
	 "FILE:2: [mail] support_adress: unknown key"},
	{"unknown-key-in-right-group",
	 "[hours]\nstart = 09:00\n\n[mail]\n"
	 "start = 10:00\n",
	 "FILE:5: [mail] start: unknown key"},
	{"key-case-matters", "[database]\n\nConninfo = x\n",
	 "FILE:3: [database] Conninfo: unknown key"},
	/* GKeyFile would hide it from the key list. */
	{"key-with-locale", "[mail]\nfrom_name = Help\nfrom_name[de] = Hilfe\n",
	 "FILE:3: [mail] from_name[de]: unknown key"},
	/* Typed values. */
	{"timezone-mars", "[hours]\ntimezone = Mars/Olympus\n",
	 "FILE:2: [hours] timezone: unknown time zone \"Mars/Olympus\" (use "
	 "an offset such as +02:00 or an IANA name such as Europe/Vilnius)"},
	{"days-funday", "[hours]\ndays = Mon-Funday\n", NULL},
	{"days-empty", "[hours]\ndays =\n", NULL},
	{"start-25", "[hours]\nstart = 25:00\n", NULL},
	{"end-minutes-60", "[hours]\nend = 17:60\n", NULL},
	{"start-word", "[hours]\nstart = nine\n", NULL},
	{"staff-list-bad-address",
	 "[mail]\nstaff_address = a@example.com, bob, c@example.com\n",
	 "FILE:2: [mail] staff_address: \"bob\" is not a mail address"},
	{"staff-list-angle-brackets",
	 "[mail]\nstaff_address = <a@example.com>\n",
	 "FILE:2: [mail] staff_address: \"<a@example.com>\" is not a mail "
	 "address"},
	{"staff-single-label-domain",
	 "[mail]\nstaff_address = a@example.com, root@localhost\n",
	 "FILE:2: [mail] staff_address: \"root@localhost\" is not an address "
	 "mail can be sent to (the domain must be a host name such as "
	 "example.com)"},
	{"staff-address-literal",
	 "[mail]\nstaff_address = root@[127.0.0.1]\n",
	 "FILE:2: [mail] staff_address: \"root@[127.0.0.1]\" is not an "
	 "address mail can be sent to (the domain must be a host name such as "
	 "example.com)"},
	{"escalation-single-label-domain",
	 "[escalation]\nwarn_at = 50\nPLATINUM = oncall@desk\n",
	 "FILE:3: [escalation] PLATINUM: \"oncall@desk\" is not an address "
	 "mail can be sent to (the domain must be a host name such as "
	 "example.com)"},
	{"support-not-address", "[mail]\nsupport_address = support\n",
	 "FILE:2: [mail] support_address: \"support\" is not a mail address"},
	{"support-at-end", "[mail]\nsupport_address = support@\n",
	 "FILE:2: [mail] support_address: \"support@\" is not a mail "
	 "address"},
	{"support-two-addresses",
	 "[mail]\nsupport_address = a@example.com,b@example.com\n",
	 "FILE:2: [mail] support_address: \"a@example.com,b@example.com\" is "
	 "not a mail address"},
	{"comment-blank", "[mail]\ncomment_address = a b@example.com\n",
	 "FILE:2: [mail] comment_address: \"a b@example.com\" is not a mail "
	 "address"},
	{"tag-blank", "[mail]\nsubject_tag = Sup port\n",
	 "FILE:2: [mail] subject_tag: must be 1 to 32 letters, digits, '-', "
	 "'_' or '.'"},
	{"tag-too-long",
	 "[mail]\nsubject_tag = "
	 "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567\n",
	 "FILE:2: [mail] subject_tag: must be 1 to 32 letters, digits, '-', "
	 "'_' or '.'"},
	{"tag-bracket", "[mail]\nsubject_tag = Sup]port\n",
	 "FILE:2: [mail] subject_tag: must be 1 to 32 letters, digits, '-', "
	 "'_' or '.'"},
	{"tag-empty", "[mail]\nsubject_tag =\n",
	 "FILE:2: [mail] subject_tag: must be 1 to 32 letters, digits, '-', "
	 "'_' or '.'"},
	{"size-unit", "[limits]\nmax_message_size = 10X\n",
	 "FILE:2: [limits] max_message_size: not a size above zero (such as "
	 "65536, 64k, 10M, 1G)"},
	{"size-zero", "[limits]\n\n\nspool_memory = 0\n",
	 "FILE:4: [limits] spool_memory: not a size above zero (such as "
	 "65536, 64k, 10M, 1G)"},
	{"size-overflow", "[limits]\nmax_message_size = 9999999999G\n",
	 "FILE:2: [limits] max_message_size: not a size above zero (such as "
	 "65536, 64k, 10M, 1G)"},
	{"duration-zero", "[database]\nconnect_timeout = 0s\n",
	 "FILE:2: [database] connect_timeout: not a duration above zero "
	 "(such as 30s, 5m, 2h, 5d)"},
	{"duration-negative", "[limits]\ntime_limit = -1\n",
	 "FILE:2: [limits] time_limit: not a duration above zero (such as "
	 "30s, 5m, 2h, 5d)"},
	{"duration-overflow", "[mail]\nretry_for = 99999d\n",
	 "FILE:2: [mail] retry_for: not a duration above zero (such as 30s, "
	 "5m, 2h, 5d)"},
	{"duration-unit", "[mail]\nsendmail_timeout = 1w\n",
	 "FILE:2: [mail] sendmail_timeout: not a duration above zero (such "
	 "as 30s, 5m, 2h, 5d)"},
	/* The claim on an answer being sent against what must fit in it. */
	{"time-limit-at-claim", "[limits]\ntime_limit = 540s\n",
	 "FILE:2: [limits] time_limit: must be under 540s ([limits] "
	 "outbox_claim, how long an answer being sent is held, less [mail] "
	 "sendmail_timeout)"},
	{"claim-at-time-limit",
	 "[limits]\ntime_limit = 2m\n\noutbox_claim = 180s\n",
	 "FILE:4: [limits] outbox_claim: must be longer than [limits] "
	 "time_limit plus [mail] sendmail_timeout (180s): deliver holds its "
	 "answers until it is over"},
	{"sendmail-timeout-at-claim",
	 "[mail]\nsendmail_timeout = 590s\n[limits]\ntime_limit = 5s\n",
	 "FILE:2: [mail] sendmail_timeout: must be under 590s ([limits] "
	 "outbox_claim, how long an answer being sent is held, less 10s to "
	 "record it)"},
	{"claim-at-sendmail-timeout",
	 "[mail]\nsendmail_timeout = 10s\n[limits]\ntime_limit = 5s\n"
	 "outbox_claim = 20s\n",
	 "FILE:5: [limits] outbox_claim: must be longer than [mail] "
	 "sendmail_timeout (10s) and 10s to record a send"},
	{"claim-not-duration", "[limits]\noutbox_claim = soon\n",
	 "FILE:2: [limits] outbox_claim: not a duration above zero (such as "
	 "30s, 5m, 2h, 5d)"},
	{"int-with-unit", "[policy]\nreopen_days = 2d\n",
	 "FILE:2: [policy] reopen_days: not a whole number"},
	{"int-negative", "[policy]\nreopen_days = -1\n",
	 "FILE:2: [policy] reopen_days: not a whole number"},
	{"int-empty", "[policy]\nreopen_days =\n",
	 "FILE:2: [policy] reopen_days: not a whole number"},
	{"bool-word", "[policy]\nack_followups = maybe\n",
	 "FILE:2: [policy] ack_followups: must be true or false"},
	{"bool-number", "[policy]\nack_followups = 1\n",
	 "FILE:2: [policy] ack_followups: must be true or false"},
	{"unknown-sender", "[policy]\nunknown_sender = drop\n",
	 "FILE:2: [policy] unknown_sender: must be ticket or reject"},
	{"unknown-sender-case", "[policy]\nunknown_sender = Reject\n",
	 "FILE:2: [policy] unknown_sender: must be ticket or reject"},
	{"plan-lower-case", "[policy]\nfallback_plan = gold\n",
	 "FILE:2: [policy] fallback_plan: not a plan name (upper case, such "
	 "as NONE)"},
	{"plan-empty", "[policy]\nfallback_plan =\n",
	 "FILE:2: [policy] fallback_plan: not a plan name (upper case, such "
	 "as NONE)"},
	{"submit-word", "[mail]\nsubmit = smtp\n",
	 "FILE:2: [mail] submit: must be sendmail, inet:ADDRESS:PORT or "
	 "unix:/PATH"},
	{"submit-no-port", "[mail]\nsupport_address = a@b.example\n"
	 "submit = inet:127.0.0.1\n",
	 "FILE:3: [mail] submit: inet: needs a numeric address and a port, "
	 "such as inet:127.0.0.1:25 or inet:[::1]:25"},
	{"submit-host-name", "[mail]\nsubmit = inet:localhost:25\n",
	 "FILE:2: [mail] submit: inet: needs a numeric address and a port, "
	 "such as inet:127.0.0.1:25 or inet:[::1]:25"},
	{"submit-relative-unix", "[mail]\nsubmit = unix:public/submit\n",
	 "FILE:2: [mail] submit: unix: needs an absolute path"},
	{"delimiter-at", "[mail]\nrecipient_delimiter = @\n",
	 "FILE:2: [mail] recipient_delimiter: must be 1 to 8 punctuation "
	 "characters such as + or -, as Postfix's recipient_delimiter"},
	{"delimiter-dot", "[mail]\nrecipient_delimiter = .\n",
	 "FILE:2: [mail] recipient_delimiter: must be 1 to 8 punctuation "
	 "characters such as + or -, as Postfix's recipient_delimiter"},
	{"reply-to-word", "[security]\nreply_to = sometimes\n",
	 "FILE:2: [security] reply_to: must be same-domain, never or always"},
	{"warn-at-zero", "[escalation]\nwarn_at = 0\n",
	 "FILE:2: [escalation] warn_at: not a percentage from 1 to 100 (such "
	 "as 75 or 75%)"},
	{"warn-at-over", "[escalation]\nwarn_at = 101%\n",
	 "FILE:2: [escalation] warn_at: not a percentage from 1 to 100 (such "
	 "as 75 or 75%)"},
	{"warn-at-unit", "[escalation]\nwarn_at = 75m\n",
	 "FILE:2: [escalation] warn_at: not a percentage from 1 to 100 (such "
	 "as 75 or 75%)"},
	{"escalation-plan-bad-address",
	 "[escalation]\nwarn_at = 50\nPLATINUM = oncall\n",
	 "FILE:3: [escalation] PLATINUM: \"oncall\" is not a mail address"},
	{"escalation-lower-case-key", "[escalation]\nplatinum = a@x.example\n",
	 "FILE:2: [escalation] platinum: unknown key"},
};

static void
test_load_error_row (gconstpointer data)
{
	const LoadErrorRow *row = data;
	g_autofree char *path = NULL;
	g_autofree char *want = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSettings) c = NULL;

	if (row->text != NULL) {
		path = write_conf ("ticketgate.conf", row->text);
	} else {
		static const char nul_text[] = "[mail]\nfrom_name = a\0b\n";

		path = g_build_filename (test_dir (), "ticketgate.conf", NULL);
		g_assert_true (g_file_set_contents (path, nul_text,
						    sizeof nul_text - 1, NULL));
	}
	c = tg_settings_load (path, &error);
	if (c != NULL) {
		tg_test_fail_row ("%s: got a config, want an error", row->label);
		return;
	}
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID);
	if (row->want != NULL) {
		g_auto (GStrv) parts = g_strsplit (row->want, "FILE", 2);

		want = g_strjoinv (path, parts);
		if (strcmp (error->message, want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  error->message, want);
	} else {
		/* The calendar's wording is its own; the place is ours. */
		g_autofree char *prefix = g_strdup_printf ("%s:2: [", path);

		if (!g_str_has_prefix (error->message, prefix))
			tg_test_fail_row ("%s: got \"%s\", want it to start "
				  "with \"%s\"",
				  row->label, error->message, prefix);
	}
	g_test_message ("%s: %s", row->label, error->message);
}

/* The bad value itself is named, so the admin sees what to fix. */
typedef struct {
	const char *label;
	const char *text;
	const char *want_words[3];
} NamedValueRow;

static const NamedValueRow named_value_rows[] = {
	{"days",
	 "[hours]\ndays = Mon-Funday\n",
	 {"[hours] days:", "Funday", NULL}},
	{"start",
	 "[hours]\nstart = 25:00\n",
	 {"[hours] start:", "25:00", NULL}},
	{"end", "[hours]\nend = 17:60\n", {"[hours] end:", "17:60", NULL}},
};

static void
test_load_named_values (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (named_value_rows); i++) {
		const NamedValueRow *row = &named_value_rows[i];
		g_autofree char *path = write_conf ("named.conf", row->text);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgSettings) c = tg_settings_load (path, &error);

		if (c != NULL) {
			tg_test_fail_row ("%s: got a config, want an error",
				  row->label);
			continue;
		}
		for (int k = 0; row->want_words[k] != NULL; k++)
			if (strstr (error->message, row->want_words[k]) == NULL)
				tg_test_fail_row ("%s: got \"%s\", want it "
					  "to contain \"%s\"",
					  row->label, error->message,
					  row->want_words[k]);
	}
}

static void
test_load_missing_file (void)
{
	g_autofree char *path =
		g_build_filename (test_dir (), "nope", "ticketgate.conf", NULL);
	g_autofree char *want = g_strdup_printf ("%s: No such file or "
						 "directory",
						 path);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSettings) c = tg_settings_load (path, &error);

	g_assert_null (c);
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_UNREADABLE);
	g_assert_cmpstr (error->message, ==, want);
}

static void
test_load_directory (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSettings) c = tg_settings_load (test_dir (), &error);

	g_assert_null (c);
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_UNREADABLE);
	if (!g_str_has_prefix (error->message, test_dir ()))
		tg_test_fail_row ("got \"%s\", want it to name %s", error->message,
			  test_dir ());
}

/* ---------------------------------------------------------------------- */
/* Good values                                                             */

static void
test_load_values (void)
{
	g_autoptr (TgSettings) c =
		load_text ("values", "[database]\n"
				     "conninfo = service=tg\n"
				     "connect_timeout = 2m\n"
				     "statement_timeout=45\n"
				     "[mail]\n"
				     "support_address = Support@Example.COM\n"
				     "from_name = Ex Ample Support\n"
				     "subject_tag = Help-Desk_2.0\n"
				     "comment_address = Notes@Example.com\n"
				     "retry_for = 2d\n"
				     "submit = unix:/run/tg/submit\n"
				     "[hours]\n"
				     "timezone = Europe/Vilnius\n"
				     "days = Sun-Thu\n"
				     "start = 08:30\n"
				     "end = 24:00\n"
				     "[limits]\n"
				     "max_message_size = 10M\n"
				     "spool_memory = 64k\n"
				     "spool_directory = /var/spool/tg\n"
				     "[policy]\n"
				     "unknown_sender = reject\n"
				     "fallback_plan = FREE_2\n"
				     "reopen_days = 0\n"
				     "ack_followups = Yes\n");
	guint sun_thu = TG_CALENDAR_DAY (7) | TG_CALENDAR_DAY (1) |
			TG_CALENDAR_DAY (2) | TG_CALENDAR_DAY (3) |
			TG_CALENDAR_DAY (4);

	g_assert_cmpstr (c->conninfo, ==, "service=tg");
	g_assert_cmpint (c->connect_timeout, ==, 120);
	g_assert_cmpint (c->statement_timeout, ==, 45);
	g_assert_cmpstr (c->support_address, ==, "support@example.com");
	g_assert_cmpstr (c->bounce_address, ==, "support@example.com");
	g_assert_cmpstr (c->from_name, ==, "Ex Ample Support");
	g_assert_cmpstr (c->subject_tag, ==, "Help-Desk_2.0");
	g_assert_cmpstr (c->comment_address, ==, "notes@example.com");
	g_assert_cmpint (c->retry_for, ==, 2 * 86400);
	g_assert_cmpstr (c->submit, ==, "unix:/run/tg/submit");
	g_assert_cmpstr (c->timezone, ==, "Europe/Vilnius");
	g_assert_cmphex (c->days_mask, ==, sun_thu);
	g_assert_cmpint (c->start_minute, ==, 510);
	g_assert_cmpint (c->end_minute, ==, 1440);
	g_assert_cmpuint (c->max_message_size, ==, 10 * 1024 * 1024);
	g_assert_cmpuint (c->spool_memory, ==, 65536);
	g_assert_cmpstr (c->spool_directory, ==, "/var/spool/tg");
	g_assert_cmpint (c->unknown_sender, ==, TG_UNKNOWN_SENDER_REJECT);
	g_assert_cmpstr (c->fallback_plan, ==, "FREE_2");
	g_assert_cmpint (c->reopen_days, ==, 0);
	g_assert_true (c->ack_followups);
}

typedef struct {
	const char *label;
	const char *value;
	const char *want; /* relative to the config's folder when not "/" */
} PathRow;

static const PathRow path_rows[] = {
	{"relative", "tpl", "conf.d/tpl"},
	{"relative-nested", "a/b/templates", "conf.d/a/b/templates"},
	{"dot-slash", "./tpl", "conf.d/./tpl"},
	{"absolute", "/usr/share/tg/templates", "/usr/share/tg/templates"},
};

static void
test_load_relative_paths (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (path_rows); i++) {
		const PathRow *row = &path_rows[i];
		g_autofree char *text = g_strdup_printf (
			"[templates]\ndirectory = %s\n[limits]\n"
			"spool_directory = %s\n",
			row->value, row->value);
		g_autofree char *path =
			write_conf ("conf.d/ticketgate.conf", text);
		g_autofree char *want =
			row->want[0] == '/'
				? g_strdup (row->want)
				: g_build_filename (test_dir (), row->want,
						    NULL);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgSettings) c = tg_settings_load (path, &error);

		g_assert_no_error (error);
		if (g_strcmp0 (c->templates_directory, want) != 0)
			tg_test_fail_row ("%s: templates: got \"%s\", want "
				  "\"%s\"",
				  row->label, c->templates_directory, want);
		if (g_strcmp0 (c->spool_directory, want) != 0)
			tg_test_fail_row ("%s: spool: got \"%s\", want \"%s\"",
				  row->label, c->spool_directory, want);
	}
}

/* A relative config path: relative folders stay relative to it. */
static void
test_load_relative_config_path (void)
{
	g_autofree char *cwd = g_get_current_dir ();
	g_autofree char *abs =
		write_conf ("rel/t.conf", "[templates]\ndirectory = tpl\n");
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSettings) c = NULL;

	g_assert_nonnull (abs);
	g_assert_cmpint (g_chdir (test_dir ()), ==, 0);
	c = tg_settings_load ("rel/t.conf", &error);
	g_assert_cmpint (g_chdir (cwd), ==, 0);
	g_assert_no_error (error);
	g_assert_cmpstr (c->templates_directory, ==, "rel/tpl");
}

typedef struct {
	const char *label;
	const char *value;
	const char *want; /* joined with "|" */
} StaffRow;

static const StaffRow staff_rows[] = {
	{"one", "Alice@Example.com", "alice@example.com"},
	{"commas", "a@example.com,b@example.com",
	 "a@example.com|b@example.com"},
	{"mixed-separators",
	 "Alice@Example.com, bob@EXAMPLE.com;carol@example.org  dave@x.org\t"
	 "eve@y.org ;, frank@z.org",
	 "alice@example.com|bob@example.com|carol@example.org|dave@x.org|"
	 "eve@y.org|frank@z.org"},
	{"leading-and-trailing-separators", ", ;a@example.com;",
	 "a@example.com"},
	{"empty", "", ""},
	{"only-separators", " , ; ", ""},
};

static void
test_load_staff_addresses (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (staff_rows); i++) {
		const StaffRow *row = &staff_rows[i];
		g_autofree char *text = g_strdup_printf (
			"[mail]\nstaff_address = %s\n", row->value);
		g_autoptr (TgSettings) c = load_text (row->label, text);
		g_autofree char *got = NULL;

		g_assert_nonnull (c->staff_addresses);
		got = g_strjoinv ("|", c->staff_addresses);
		if (strcmp (got, row->want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got, row->want);
	}
}

typedef struct {
	const char *label;
	const char *addr;
	gboolean want;
} IsStaffRow;

static const IsStaffRow is_staff_rows[] = {
	{"first", "alice@example.com", TRUE},
	{"second", "bob@example.com", TRUE},
	{"other", "carol@example.com", FALSE},
	{"support", "support@example.com", FALSE},
	{"prefix", "alice@example.co", FALSE},
	{"suffix", "alice@example.com.evil", FALSE},
	{"empty", "", FALSE},
	{"null", NULL, FALSE},
};

static void
test_is_staff_address (void)
{
	g_autoptr (TgSettings) c = load_text (
		"staff",
		"[mail]\nsupport_address = support@example.com\n"
		"staff_address = Alice@Example.com; bob@example.com\n");
	g_autoptr (TgSettings) none = tg_settings_new_default (NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (is_staff_rows); i++) {
		const IsStaffRow *row = &is_staff_rows[i];
		gboolean got = tg_settings_is_staff_address (c, row->addr);

		if (got != row->want)
			tg_test_fail_row ("%s: got %d, want %d", row->label, got,
				  row->want);
		if (tg_settings_is_staff_address (none, row->addr))
			tg_test_fail_row ("%s: no staff: got TRUE, want "
				  "FALSE",
				  row->label);
	}
}

/* ---------------------------------------------------------------------- */
/* tg_settings_check                                                         */

typedef struct {
	const char *label;
	const char *text;
	const char *want; /* NULL: passes; else the message after "FILE: " */
} CheckRow;

#define SUPPORT "[mail]\nsupport_address = support@example.com\n"

static const CheckRow check_rows[] = {
	{"minimal", SUPPORT, NULL},
	{"no-support-address", "[mail]\nfrom_name = x\n",
	 "[mail] support_address: not set"},
	{"end-before-start", SUPPORT "[hours]\nstart = 18:00\nend = 09:00\n",
	 "[hours] end: must be later than start"},
	{"end-equals-start", SUPPORT "[hours]\nstart = 09:00\nend = 09:00\n",
	 "[hours] end: must be later than start"},
	{"whole-day", SUPPORT "[hours]\nstart = 00:00\nend = 24:00\n", NULL},
	{"time-limit-under-claim", SUPPORT "[limits]\ntime_limit = 539s\n", NULL},
	{"sendmail-timeout-under-claim",
	 SUPPORT "sendmail_timeout = 589s\n[limits]\ntime_limit = 10s\n",
	 NULL},
	{"short-claim", SUPPORT "sendmail_timeout = 5s\n[limits]\n"
			"time_limit = 10s\noutbox_claim = 16s\n", NULL},
	{"staff-is-support",
	 SUPPORT "staff_address = a@example.com, Support@Example.com\n",
	 "[mail] staff_address: must not be the support or comment address "
	 "(mail would loop)"},
	{"comment-is-support",
	 SUPPORT "comment_address = support@example.com\n",
	 "[mail] staff_address: must not be the support or comment address "
	 "(mail would loop)"},
	{"staff-and-comment-differ",
	 SUPPORT "staff_address = a@example.com\n"
		 "comment_address = notes@example.com\n",
	 NULL},
};

static void
test_check (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (check_rows); i++) {
		const CheckRow *row = &check_rows[i];
		g_autoptr (TgSettings) c = load_text (row->label, row->text);
		g_autoptr (GError) error = NULL;
		gboolean ok = tg_settings_check (c, &error);
		g_autofree char *want = NULL;

		if (row->want == NULL) {
			if (!ok)
				tg_test_fail_row ("%s: got \"%s\", want ok", row->label,
					  error->message);
			continue;
		}
		if (ok) {
			tg_test_fail_row ("%s: got ok, want \"%s\"", row->label,
				  row->want);
			continue;
		}
		g_assert_error (error, TG_SETTINGS_ERROR,
				TG_SETTINGS_ERROR_INVALID);
		want = g_strdup_printf ("%s: %s", c->path, row->want);
		if (strcmp (error->message, want) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  error->message, want);
	}
}

static void
test_check_no_days (void)
{
	g_autoptr (TgSettings) c = load_text ("no-days", SUPPORT);
	g_autoptr (GError) error = NULL;

	c->days_mask = 0;
	g_assert_false (tg_settings_check (c, &error));
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID);
	g_assert_nonnull (strstr (error->message, "[hours] days:"));
}

/* ---------------------------------------------------------------------- */
/* Dump                                                                    */

/* Everything after the first line (the "# path" comment). */
static const char *
dump_body (const char *dump)
{
	const char *nl = strchr (dump, '\n');

	g_assert_nonnull (nl);
	return nl + 1;
}

typedef struct {
	const char *label;
	const char *text;
} DumpRow;

static const DumpRow dump_rows[] = {
	{"defaults", ""},
	{"everything-set",
	 "[database]\nconninfo = host=/run/pg dbname=tg\n"
	 "connect_timeout = 1h\nstatement_timeout = 45\n"
	 "[mail]\nsupport_address = Help@Example.com\nfrom_name = Hélpdesk "
	 "Ünit\nsendmail = /usr/lib/sendmail\nsubject_tag = HD\n"
	 "staff_address = A@example.com; b@example.com\n"
	 "comment_address = notes@example.com\n"
	 "bounce_address = bounces@example.com\nsendmail_timeout = 2m\n"
	 "retry_for = 1d\nsubmit = inet:[::1]:10025\n"
	 "[hours]\ntimezone = Europe/Vilnius\ndays = Mon,Wed,Fri-Sun\n"
	 "start = 07:15\nend = 24:00\n"
	 "[templates]\ndirectory = tpl\n"
	 "[limits]\nmax_message_size = 3G\nspool_memory = 12345\n"
	 "spool_directory = spool\ntime_limit = 90\nqueue_lifetime = 2d\n"
	 "outbox_claim = 15m\nstate_directory = state\n"
	 "[policy]\nunknown_sender = reject\nfallback_plan = FREE\n"
	 "reopen_days = 30\nack_followups = true\n"
	 "[security]\nauthserv_id = mx.example.com\nreply_to = never\n"
	 "secret_grace = 7d\n"
	 "[escalation]\nwarn_at = 50%\ndaily_queue = false\n"
	 "PLATINUM = a@example.com, b@example.com\nGOLD = c@example.com\n"},
	/* Key-file escapes must survive the round trip: libpq conninfo
	 * quotes with backslashes. */
	{"backslash", "[database]\nconninfo = password='a\\\\'b'\n"
		      "[mail]\nfrom_name = Back\\\\slash\n"},
	{"escaped-newline-and-tab", "[mail]\nfrom_name = Two\\nLines\\tTab\n"},
	{"hash-and-semicolon", "[mail]\nfrom_name = #1 Support; really\n"},
	{"equals-in-value", "[database]\nconninfo = a=b c=d\n"},
};

static void
test_dump_round_trip_row (gconstpointer data)
{
	const DumpRow *row = data;
	g_autoptr (TgSettings) first = load_text (row->label, row->text);
	g_autofree char *dump1 = tg_settings_dump (first);
	g_autofree char *path2 = write_conf ("ticketgate.conf", dump1);
	g_autoptr (GError) error = NULL;
	g_autoptr (TgSettings) second = tg_settings_load (path2, &error);
	g_autofree char *dump2 = NULL;

	g_test_message ("%s: dump:\n%s", row->label, dump1);
	if (second == NULL) {
		tg_test_fail_row ("%s: the dump does not load: %s", row->label,
			  error->message);
		return;
	}
	dump2 = tg_settings_dump (second);
	g_assert_cmpstr (dump_body (dump2), ==, dump_body (dump1));
	/* And field by field, in case both dumps lose the same thing. */
	for (gsize i = 0; i < G_N_ELEMENTS (default_strings); i++) {
		const StringField *f = &default_strings[i];

		if (g_strcmp0 (STR (first, f->offset),
			       STR (second, f->offset)) != 0)
			tg_test_fail_row ("%s: %s: got \"%s\", want \"%s\"", row->label,
				  f->label, STR (second, f->offset),
				  STR (first, f->offset));
	}
	for (gsize i = 0; i < G_N_ELEMENTS (default_ints); i++) {
		const IntField *f = &default_ints[i];

		if (INT (first, f->offset) != INT (second, f->offset))
			tg_test_fail_row ("%s: %s: got %d, want %d", row->label,
				  f->label, INT (second, f->offset),
				  INT (first, f->offset));
	}
	g_assert_cmpstr (second->templates_directory, ==,
			 first->templates_directory);
	g_assert_cmpstr (second->state_directory, ==, first->state_directory);
	g_assert_cmphex (second->days_mask, ==, first->days_mask);
	g_assert_cmpuint (second->max_message_size, ==,
			  first->max_message_size);
	g_assert_cmpuint (second->spool_memory, ==, first->spool_memory);
	g_assert_cmpint (second->unknown_sender, ==, first->unknown_sender);
	g_assert_cmpint (second->ack_followups, ==, first->ack_followups);
	g_assert_true (
		g_strv_equal ((const char *const *)first->staff_addresses,
			      (const char *const *)second->staff_addresses));
}

static void
test_dump_text (void)
{
	g_autoptr (TgSettings) c = load_text (
		"dump", "[mail]\nsupport_address = s@example.com\n"
			"staff_address = a@example.com b@example.com\n"
			"[hours]\ndays = Fri,Mon\n[policy]\nreopen_days = 7\n");
	g_autofree char *dump = tg_settings_dump (c);
	static const char *const want_lines[] = {
		"[database]\nconninfo = dbname=ticketgate\n"
		"connect_timeout = 10s\n",
		"\n\n[mail]\nsupport_address = s@example.com\n",
		"staff_address = a@example.com, b@example.com\n",
		"bounce_address = s@example.com\n",
		"retry_for = 259200s\n",
		"[hours]\ntimezone = +02:00\ndays = Mon,Fri\n"
		"start = 09:00\nend = 18:00\n",
		"max_message_size = 52428800\n",
		"spool_directory = \n",
		"reopen_days = 7\n",
		"ack_followups = false\n",
	};

	g_assert_true (g_str_has_prefix (dump, "# "));
	for (gsize i = 0; i < G_N_ELEMENTS (want_lines); i++)
		if (strstr (dump, want_lines[i]) == NULL)
			tg_test_fail_row ("got dump:\n%s\nwant it to "
				  "contain:\n%s",
				  dump, want_lines[i]);
}

/* ---------------------------------------------------------------------- */
/* Calendar                                                                */

static GDateTime *
instant (const char *iso)
{
	GDateTime *t = g_date_time_new_from_iso8601 (iso, NULL);

	g_assert_nonnull (t);
	return t;
}

typedef struct {
	const char *label;
	const char *text;
	const char *want_hours;
	const char *working;	 /* an instant inside working hours */
	const char *not_working; /* one outside */
} CalendarRow;

static const CalendarRow calendar_rows[] = {
	{"defaults", "", "Monday to Friday, 09:00-18:00 (UTC+02:00)",
	 "2024-03-08T17:59:00+02:00", "2024-03-08T18:00:00+02:00"},
	{"vilnius-sun-thu",
	 "[hours]\ntimezone = Europe/Vilnius\ndays = Sun-Thu\nstart = 08:00\n"
	 "end = 16:30\n",
	 "Sunday to Thursday, 08:00-16:30 (Europe/Vilnius)",
	 "2024-03-10T08:00:00+02:00", "2024-03-08T10:00:00+02:00"},
};

static void
test_new_calendar (void)
{
	g_autoptr (TgReplies) replies = tg_test_load_replies ();

	for (gsize i = 0; i < G_N_ELEMENTS (calendar_rows); i++) {
		const CalendarRow *row = &calendar_rows[i];
		g_autoptr (TgSettings) c = load_text (row->label, row->text);
		g_autoptr (GError) error = NULL;
		g_autoptr (TgCalendar) cal = tg_settings_new_calendar (c, &error);
		g_autoptr (GDateTime) in = instant (row->working);
		g_autoptr (GDateTime) out = instant (row->not_working);
		g_autofree char *hours = NULL;

		g_assert_no_error (error);
		hours = tg_reply_describe_hours (replies, cal);
		if (strcmp (hours, row->want_hours) != 0)
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  hours, row->want_hours);
		if (!tg_calendar_is_working_time (cal, in))
			tg_test_fail_row ("%s: %s: got closed, want open", row->label,
				  row->working);
		if (tg_calendar_is_working_time (cal, out))
			tg_test_fail_row ("%s: %s: got open, want closed", row->label,
				  row->not_working);
	}
}

static void
test_new_calendar_errors (void)
{
	g_autoptr (TgSettings) c = tg_settings_new_default ("/x/t.conf");
	g_autoptr (GError) error = NULL;
	g_autoptr (TgCalendar) cal = NULL;

	c->start_minute = 18 * 60;
	c->end_minute = 9 * 60;
	cal = tg_settings_new_calendar (c, &error);
	g_assert_null (cal);
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID);
	g_assert_true (g_str_has_prefix (error->message, "/x/t.conf: [hours]"));
	g_clear_error (&error);

	c->start_minute = 9 * 60;
	c->end_minute = 18 * 60;
	g_free (c->timezone);
	c->timezone = g_strdup ("Mars/Olympus");
	cal = tg_settings_new_calendar (c, &error);
	g_assert_null (cal);
	g_assert_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID);
	g_assert_cmpstr (error->message, ==,
			 "/x/t.conf: [hours] timezone: unknown time zone "
			 "\"Mars/Olympus\"");
}

/* ---------------------------------------------------------------------- */

typedef struct {
	const char *label;
	const char *option;
	const char *env;
	const char *want; /* NULL: the built-in path */
} DefaultPathRow;

static const DefaultPathRow default_path_rows[] = {
	{"option-wins", "/o.conf", "/e.conf", "/o.conf"},
	{"env", NULL, "/e.conf", "/e.conf"},
	{"empty-option-env", "", "/e.conf", "/e.conf"},
	{"built-in", NULL, NULL, NULL},
	{"empty-env-built-in", NULL, "", NULL},
};

static void
test_default_path (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (default_path_rows); i++) {
		const DefaultPathRow *row = &default_path_rows[i];
		g_autofree char *got = NULL;

		if (row->env != NULL)
			g_setenv ("TICKETGATE_CONFIG", row->env, TRUE);
		else
			g_unsetenv ("TICKETGATE_CONFIG");
		got = tg_settings_default_path (row->option);
		if (row->want != NULL
			    ? strcmp (got, row->want) != 0
			    : !g_str_has_suffix (got, "/ticketgate/"
						      "ticketgate.conf"))
			tg_test_fail_row ("%s: got \"%s\", want \"%s\"", row->label,
				  got,
				  row->want ? row->want
					    : ".../ticketgate/"
					      "ticketgate.conf");
	}
	g_unsetenv ("TICKETGATE_CONFIG");
}

/* [security] and [escalation], with a plan's own recipients. */
static void
test_load_escalation (void)
{
	g_autoptr (TgSettings) c = load_text (
		"escalation", "[security]\nreply_to = always\n"
			      "[escalation]\nwarn_at = 50%\n"
			      "PLATINUM = On-Call@Example.com, b@example.com\n");
	char **platinum = g_hash_table_lookup (c->escalation_to, "PLATINUM");

	g_assert_cmpint (c->warn_at, ==, 50);
	g_assert_cmpint (c->reply_to, ==, TG_REPLY_TO_ALWAYS);
	g_assert_nonnull (platinum);
	g_assert_cmpstr (platinum[0], ==, "on-call@example.com");
	g_assert_cmpstr (platinum[1], ==, "b@example.com");
	g_assert_null (platinum[2]);
	g_assert_null (g_hash_table_lookup (c->escalation_to, "GOLD"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func ("/settings/defaults/new", test_defaults_new);
	g_test_add_func ("/settings/defaults/empty-file",
			 test_defaults_empty_file);
	g_test_add_func ("/settings/defaults/empty-groups",
			 test_defaults_all_groups_empty);
	g_test_add_func ("/settings/defaults/bounce-follows-support",
			 test_defaults_bounce);
	g_test_add_func ("/settings/parse/duration", test_parse_duration);
	g_test_add_func ("/settings/parse/size", test_parse_size);
	for (gsize i = 0; i < G_N_ELEMENTS (load_error_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/settings/load-error/%s", load_error_rows[i].label);

		g_test_add_data_func (path, &load_error_rows[i],
				      test_load_error_row);
	}
	g_test_add_func ("/settings/load-error/names-the-value",
			 test_load_named_values);
	g_test_add_func ("/settings/load-error/missing-file",
			 test_load_missing_file);
	g_test_add_func ("/settings/load-error/directory", test_load_directory);
	g_test_add_func ("/settings/load/values", test_load_values);
	g_test_add_func ("/settings/load/relative-paths",
			 test_load_relative_paths);
	g_test_add_func ("/settings/load/relative-config-path",
			 test_load_relative_config_path);
	g_test_add_func ("/settings/load/escalation", test_load_escalation);
	g_test_add_func ("/settings/load/staff-addresses",
			 test_load_staff_addresses);
	g_test_add_func ("/settings/staff/is-staff-address",
			 test_is_staff_address);
	g_test_add_func ("/settings/check/rows", test_check);
	g_test_add_func ("/settings/check/no-days", test_check_no_days);
	for (gsize i = 0; i < G_N_ELEMENTS (dump_rows); i++) {
		g_autofree char *path = g_strdup_printf (
			"/settings/dump/round-trip/%s", dump_rows[i].label);

		g_test_add_data_func (path, &dump_rows[i],
				      test_dump_round_trip_row);
	}
	g_test_add_func ("/settings/dump/text", test_dump_text);
	g_test_add_func ("/settings/calendar/new", test_new_calendar);
	g_test_add_func ("/settings/calendar/errors", test_new_calendar_errors);
	g_test_add_func ("/settings/default-path/rows", test_default_path);
	return g_test_run ();
}
