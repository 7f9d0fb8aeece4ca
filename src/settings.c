/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * settings: reads ticketgate.conf into a TgSettings. One table holds every
 * key with its type and default; defaults go through the same parsers as
 * the file's values. Errors name the file, the line when known, the group
 * and the key. GLib only: no database, no mail library.
 */
#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "address.h"
#include "calendar.h"
#include "endpoint.h"
#include "smtp.h"

G_DEFINE_QUARK (tg-settings-error-quark, tg_settings_error)

typedef enum {
	T_STRING,
	T_TAG,
	T_ADDRESS,      /* a mail address or empty */
	T_ADDRESS_LIST,
	T_INT,
	T_DURATION,
	T_SIZE,
	T_BOOL,
	T_DAYS,
	T_TIME,
	T_TIMEZONE,
	T_PATH,         /* relative to the config file's folder; may be empty */
	T_PLAN,
	T_UNKNOWN_SENDER,
	T_REPLY_TO,
	T_DELIMITER,    /* recipient_delimiter characters, as Postfix's */
	T_PERCENT,      /* 1 to 100, with or without "%" */
	T_LISTEN,       /* endpoint.h addresses, comma-separated */
	T_PROCESSES,    /* 1 to 256 */
	T_SUBMIT,       /* "sendmail" or an SMTP server's address */
} SettingType;

typedef struct {
	const char *group;
	const char *key;
	SettingType type;
	const char *def;
	gsize offset;
} Setting;

#define F(field) offsetof (TgSettings, field)

static const Setting settings[] = {
	{ "database", "conninfo", T_STRING, "dbname=ticketgate", F (conninfo) },
	{ "database", "connect_timeout", T_DURATION, "10s", F (connect_timeout) },
	{ "database", "statement_timeout", T_DURATION, "30s", F (statement_timeout) },
	{ "database", "schema_directory", T_PATH, TG_PKGDATADIR "/schema",
	  F (schema_directory) },
	{ "mail", "support_address", T_ADDRESS, "", F (support_address) },
	{ "mail", "from_name", T_STRING, "Support", F (from_name) },
	{ "mail", "sendmail", T_STRING, "/usr/sbin/sendmail", F (sendmail) },
	{ "mail", "submit", T_SUBMIT, "sendmail", F (submit) },
	{ "mail", "subject_tag", T_TAG, "Support", F (subject_tag) },
	{ "mail", "staff_address", T_ADDRESS_LIST, "", F (staff_addresses) },
	{ "mail", "comment_address", T_ADDRESS, "", F (comment_address) },
	{ "mail", "bounce_address", T_ADDRESS, "", F (bounce_address) },
	{ "mail", "sendmail_timeout", T_DURATION, "60s", F (sendmail_timeout) },
	{ "mail", "retry_for", T_DURATION, "3d", F (retry_for) },
	{ "mail", "recipient_delimiter", T_DELIMITER, "+",
	  F (recipient_delimiter) },
	{ "hours", "timezone", T_TIMEZONE, "+02:00", F (timezone) },
	{ "hours", "days", T_DAYS, "Mon-Fri", F (days_mask) },
	{ "hours", "start", T_TIME, "09:00", F (start_minute) },
	{ "hours", "end", T_TIME, "18:00", F (end_minute) },
	{ "templates", "directory", T_PATH, TG_PKGDATADIR "/templates",
	  F (templates_directory) },
	{ "limits", "max_message_size", T_SIZE, "50M", F (max_message_size) },
	{ "limits", "spool_memory", T_SIZE, "1M", F (spool_memory) },
	{ "limits", "forward_attachment_max", T_SIZE, "10M",
	  F (attachment_limit) },
	{ "limits", "spool_directory", T_PATH, "", F (spool_directory) },
	{ "limits", "time_limit", T_DURATION, "300s", F (time_limit) },
	{ "limits", "outbox_claim", T_DURATION, "10m", F (outbox_claim) },
	{ "limits", "state_directory", T_PATH, TG_STATEDIR,
	  F (state_directory) },
	{ "limits", "queue_lifetime", T_DURATION, "5d", F (queue_lifetime) },
	{ "limits", "max_ccs", T_INT, "10", F (max_ccs) },
	{ "policy", "unknown_sender", T_UNKNOWN_SENDER, "ticket",
	  F (unknown_sender) },
	{ "policy", "fallback_plan", T_PLAN, "NONE", F (fallback_plan) },
	{ "policy", "reopen_days", T_INT, "14", F (reopen_days) },
	{ "policy", "ack_followups", T_BOOL, "false", F (ack_followups) },
	{ "policy", "cap_per_hour", T_INT, "10", F (cap_per_hour) },
	{ "policy", "cap_per_day", T_INT, "50", F (cap_per_day) },
	{ "policy", "machine_notify_interval", T_DURATION, "1h",
	  F (machine_notify_interval) },
	{ "security", "authserv_id", T_STRING, "", F (authserv_id) },
	{ "security", "reply_to", T_REPLY_TO, "same-domain", F (reply_to) },
	{ "security", "secret_grace", T_DURATION, "30d", F (secret_grace) },
	{ "lmtpd", "listen", T_LISTEN,
	  "unix:/var/spool/postfix/private/ticketgate-lmtp", F (lmtpd_listen) },
	{ "lmtpd", "processes", T_PROCESSES, "4", F (lmtpd_processes) },
	{ "lmtpd", "timeout", T_DURATION, "5m", F (lmtpd_timeout) },
	{ "lmtpd", "user", T_STRING, TG_USER, F (lmtpd_user) },
	{ "escalation", "warn_at", T_PERCENT, "75", F (warn_at) },
	{ "escalation", "daily_queue", T_BOOL, "true", F (daily_queue) },
};

#undef F

#define FIELD(config, s, type) ((type *) ((char *) (config) + (s)->offset))

/* Numbers with a unit: the multipliers for durations and sizes. */
typedef struct {
	char suffix;
	guint64 factor;
} Unit;

static const Unit duration_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 0, 0 },
};

static const Unit size_units[] = {
	{ 'k', 1024 }, { 'K', 1024 }, { 'M', 1024 * 1024 },
	{ 'G', 1024 * 1024 * 1024 }, { 0, 0 },
};

static gboolean
parse_with_unit (const char *text, const Unit *units, guint64 max,
		 guint64 *out)
{
	guint64 number = 0, factor = 1;
	char *end = NULL;

	if (text == NULL || !g_ascii_isdigit (*text))
		return FALSE;
	errno = 0;
	number = g_ascii_strtoull (text, &end, 10);
	if (errno != 0)
		return FALSE;
	if (*end != '\0') {
		const Unit *u;

		for (u = units; u->suffix != 0 && u->suffix != *end; u++)
			;
		if (u->suffix == 0 || end[1] != '\0')
			return FALSE;
		factor = u->factor;
	}
	if (number > max / factor)
		return FALSE;
	*out = number * factor;
	return TRUE;
}

gboolean
tg_settings_parse_duration (const char *text, int *seconds_out)
{
	guint64 value = 0;

	if (!parse_with_unit (text, duration_units, G_MAXINT, &value))
		return FALSE;
	*seconds_out = (int) value;
	return TRUE;
}

gboolean
tg_settings_parse_size (const char *text, guint64 *bytes_out)
{
	return parse_with_unit (text, size_units, G_MAXINT64, bytes_out);
}

static gboolean
is_address (const char *text)
{
	const char *at = strrchr (text, '@');

	return at != NULL && at != text && at[1] != '\0' &&
	       strpbrk (text, " \t\r\n<>,;\"") == NULL;
}

static gboolean
is_tag (const char *text)
{
	if (*text == '\0' || strlen (text) > 32)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isalnum (*p) && strchr ("-_.", *p) == NULL)
			return FALSE;
	return TRUE;
}

/* Postfix's recipient_delimiter: a few characters, none of which can
 * be part of an address's syntax or of a token. */
static gboolean
is_delimiter (const char *text)
{
	if (*text == '\0' || strlen (text) > 8)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_ispunct (*p) || strchr ("@\"\\.()<>[],;:", *p))
			return FALSE;
	return TRUE;
}

static gboolean
is_plan_name (const char *text)
{
	if (!g_ascii_isupper (*text))
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '_')
			return FALSE;
	return TRUE;
}

static char *
resolve_path (const TgSettings *config, const char *value)
{
	g_autofree char *dir = NULL;

	if (*value == '\0' || g_path_is_absolute (value))
		return g_strdup (value);
	dir = g_path_get_dirname (config->path);
	return g_build_filename (dir, value, NULL);
}

static gboolean
parse_address_list (const char *value, char ***out, char **why)
{
	g_auto (GStrv) words = g_regex_split_simple ("[\\s,;]+", value, 0, 0);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);

	for (char **w = words; *w != NULL; w++) {
		if (**w == '\0')
			continue;
		if (!is_address (*w)) {
			*why = g_strdup_printf ("\"%s\" is not a mail address",
						*w);
			return FALSE;
		}
		/* Each gets mail from us: one that deliver would hold back
		 * as invalid every time is refused here. */
		if (!tg_address_is_deliverable (*w)) {
			*why = g_strdup_printf (
				"\"%s\" is not an address mail can be sent to "
				"(the domain must be a host name such as "
				"example.com)",
				*w);
			return FALSE;
		}
		g_ptr_array_add (list, g_ascii_strdown (*w, -1));
	}
	g_ptr_array_add (list, NULL);
	*out = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
	return TRUE;
}

static gboolean
parse_timezone (const char *value, char **why)
{
	g_autoptr (GTimeZone) tz = NULL;

	/* Without this check GLib would quietly fall back to UTC. */
	tz = g_time_zone_new_identifier (value);
	if (tz == NULL) {
		*why = g_strdup_printf ("unknown time zone \"%s\" (use an "
					"offset such as +02:00 or an IANA "
					"name such as Europe/Vilnius)",
					value);
		return FALSE;
	}
	return TRUE;
}

/* Why a value kept as a string is wrong for its type, or NULL. */
static char *
check_string (SettingType type, const char *value)
{
	char *why = NULL;

	switch (type) {
	case T_TAG:
		if (!is_tag (value))
			why = g_strdup ("must be 1 to 32 letters, digits, "
					"'-', '_' or '.'");
		break;
	case T_ADDRESS:
		if (*value != '\0' && !is_address (value))
			why = g_strdup_printf ("\"%s\" is not a mail address",
					       value);
		break;
	case T_TIMEZONE:
		parse_timezone (value, &why);
		break;
	case T_PLAN:
		if (!is_plan_name (value))
			why = g_strdup ("not a plan name (upper case, such as "
					"NONE)");
		break;
	case T_LISTEN: {
		g_autoptr (GArray) list = NULL;

		tg_endpoint_parse_list (value, &list, &why);
		break;
	}
	case T_SUBMIT:
		if (strcmp (value, "sendmail") != 0)
			tg_smtp_check_address (value, &why);
		break;
	case T_DELIMITER:
		if (!is_delimiter (value))
			why = g_strdup ("must be 1 to 8 punctuation characters "
					"such as + or -, as Postfix's "
					"recipient_delimiter");
		break;
	default:
		break;
	}
	return why;
}

static gboolean
apply_string (TgSettings *config, const Setting *s, const char *value,
	      char **why)
{
	char **field = FIELD (config, s, char *);

	if ((*why = check_string (s->type, value)) != NULL)
		return FALSE;
	g_free (*field);
	if (s->type == T_ADDRESS)
		*field = g_ascii_strdown (value, -1);
	else if (s->type == T_PATH)
		*field = resolve_path (config, value);
	else
		*field = g_strdup (value);
	return TRUE;
}

static gboolean
parse_bool (const char *value, gboolean *out)
{
	if (g_ascii_strcasecmp (value, "true") == 0 ||
	    g_ascii_strcasecmp (value, "yes") == 0)
		*out = TRUE;
	else if (g_ascii_strcasecmp (value, "false") == 0 ||
		 g_ascii_strcasecmp (value, "no") == 0)
		*out = FALSE;
	else
		return FALSE;
	return TRUE;
}

static gboolean
parse_percent (const char *value, int *out)
{
	g_autofree char *digits = g_strdup (value);
	gsize n = strlen (digits);
	int number = 0;

	if (n > 0 && digits[n - 1] == '%')
		digits[n - 1] = '\0';
	if (!tg_settings_parse_duration (digits, &number) || *digits == '\0' ||
	    !g_ascii_isdigit (digits[strlen (digits) - 1]) || number < 1 ||
	    number > 100)
		return FALSE;
	*out = number;
	return TRUE;
}

static gboolean
apply_number (TgSettings *config, const Setting *s, const char *value,
	      char **why)
{
	guint64 size = 0;
	int number = 0;

	switch (s->type) {
	case T_INT:
		if (!tg_settings_parse_duration (value, &number) ||
		    !g_ascii_isdigit (value[strlen (value) - 1]))
			*why = g_strdup ("not a whole number");
		break;
	case T_PROCESSES:
		if (!tg_settings_parse_duration (value, &number) ||
		    !g_ascii_isdigit (value[strlen (value) - 1]) ||
		    number < 1 || number > TG_SETTINGS_MAX_PROCESSES)
			*why = g_strdup_printf ("not a number of processes from "
						"1 to %d",
						TG_SETTINGS_MAX_PROCESSES);
		break;
	case T_PERCENT:
		if (!parse_percent (value, &number))
			*why = g_strdup ("not a percentage from 1 to 100 "
					 "(such as 75 or 75%)");
		break;
	case T_DURATION:
		if (!tg_settings_parse_duration (value, &number) || number == 0)
			*why = g_strdup ("not a duration above zero (such as "
					 "30s, 5m, 2h, 5d)");
		break;
	case T_SIZE:
		if (!tg_settings_parse_size (value, &size) || size == 0)
			*why = g_strdup ("not a size above zero (such as "
					 "65536, 64k, 10M, 1G)");
		else
			*FIELD (config, s, guint64) = size;
		return *why == NULL;
	default: /* T_BOOL */
		if (!parse_bool (value, FIELD (config, s, gboolean)))
			*why = g_strdup ("must be true or false");
		return *why == NULL;
	}
	if (*why == NULL)
		*FIELD (config, s, int) = number;
	return *why == NULL;
}

static const char *const reply_to_names[] = {
	[TG_REPLY_TO_SAME_DOMAIN] = "same-domain",
	[TG_REPLY_TO_NEVER] = "never",
	[TG_REPLY_TO_ALWAYS] = "always",
};

static gboolean
parse_reply_to (const char *value, TgReplyToPolicy *out)
{
	for (gsize i = 0; i < G_N_ELEMENTS (reply_to_names); i++)
		if (g_strcmp0 (value, reply_to_names[i]) == 0) {
			*out = (TgReplyToPolicy) i;
			return TRUE;
		}
	return FALSE;
}

static gboolean
apply_other (TgSettings *config, const Setting *s, const char *value,
	     char **why)
{
	g_autoptr (GError) error = NULL;
	char **list = NULL;

	switch (s->type) {
	case T_DAYS:
		if (!tg_calendar_parse_days (value, FIELD (config, s, guint),
					     &error))
			*why = g_strdup (error->message);
		break;
	case T_TIME:
		if (!tg_calendar_parse_time (value, FIELD (config, s, int),
					     &error))
			*why = g_strdup (error->message);
		break;
	case T_ADDRESS_LIST:
		if (parse_address_list (value, &list, why)) {
			g_strfreev (*FIELD (config, s, char **));
			*FIELD (config, s, char **) = list;
		}
		break;
	case T_REPLY_TO:
		if (!parse_reply_to (value, &config->reply_to))
			*why = g_strdup ("must be same-domain, never or always");
		break;
	default: /* T_UNKNOWN_SENDER */
		if (g_strcmp0 (value, "ticket") == 0)
			config->unknown_sender = TG_UNKNOWN_SENDER_TICKET;
		else if (g_strcmp0 (value, "reject") == 0)
			config->unknown_sender = TG_UNKNOWN_SENDER_REJECT;
		else
			*why = g_strdup ("must be ticket or reject");
		break;
	}
	return *why == NULL;
}

/* Stores @value into @config's field for @s; on failure sets *why. */
static gboolean
apply_value (TgSettings *config, const Setting *s, const char *value,
	     char **why)
{
	*why = NULL;
	switch (s->type) {
	case T_INT:
	case T_PROCESSES:
	case T_PERCENT:
	case T_DURATION:
	case T_SIZE:
	case T_BOOL:
		return apply_number (config, s, value, why);
	case T_DAYS:
	case T_TIME:
	case T_ADDRESS_LIST:
	case T_UNKNOWN_SENDER:
	case T_REPLY_TO:
		return apply_other (config, s, value, why);
	default:
		return apply_string (config, s, value, why);
	}
}

static const Setting *
find_setting (const char *group, const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
		if (strcmp (settings[i].group, group) == 0 &&
		    (key == NULL || strcmp (settings[i].key, key) == 0))
			return &settings[i];
	return NULL;
}

/* The line (1-based) where [group] key is set in @text, 0 if not found. */
static int
find_line (const char *text, const char *group, const char *key)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	g_autofree char *header = g_strdup_printf ("[%s]", group);
	gboolean in_group = FALSE;

	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);
		const char *eq;

		if (*line == '[') {
			in_group = strcmp (line, header) == 0;
			if (key == NULL && in_group)
				return i + 1;
			continue;
		}
		eq = strchr (line, '=');
		if (in_group && key != NULL && eq != NULL &&
		    (gsize) (eq - line) >= strlen (key) &&
		    strncmp (line, key, strlen (key)) == 0 &&
		    strspn (line + strlen (key), " \t") ==
			    (gsize) (eq - line) - strlen (key))
			return i + 1;
	}
	return 0;
}

static void
set_error (GError **error, const TgSettings *config, const char *text,
	   const char *group, const char *key, const char *why)
{
	int line = text != NULL ? find_line (text, group, key) : 0;
	g_autofree char *where = line > 0
		? g_strdup_printf ("%s:%d", config->path, line)
		: g_strdup (config->path);

	if (key != NULL)
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [%s] %s: %s", where, group, key, why);
	else
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [%s]: %s", where, group, why);
}

/*
 * GKeyFile's syntax errors carry no line number, so the lines are checked
 * here first: each is blank, a comment, a [group] or a key=value pair.
 */
static gboolean
check_syntax (const TgSettings *config, const char *text, GError **error)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
	g_autofree char *group = NULL;

	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);
		const char *eq = strchr (line, '=');

		/* Only '#': GKeyFile has no other comment character and
		 * would refuse a ';' line without naming it. */
		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[' && line[strlen (line) - 1] == ']') {
			g_free (group);
			group = g_strndup (line + 1, strlen (line) - 2);
			continue;
		}
		/* GKeyFile hides "key[locale]" from g_key_file_get_keys(),
		 * so it would be ignored without a word. */
		if (group != NULL && eq != NULL && *line != '[' &&
		    memchr (line, '[', eq - line) != NULL) {
			g_autofree char *key = g_strndup (line, eq - line);

			g_set_error (error, TG_SETTINGS_ERROR,
				     TG_SETTINGS_ERROR_INVALID,
				     "%s:%d: [%s] %s: unknown key",
				     config->path, i + 1, group,
				     g_strchomp (key));
			return FALSE;
		}
		if (*line != '=' && *line != '[' && eq != NULL)
			continue;
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s:%d: not a [group], key = value or # comment",
			     config->path, i + 1);
		return FALSE;
	}
	return TRUE;
}

/* [escalation] PLAN = ADDR, ...: more recipients of that plan's
 * warnings and breach notices. */
static gboolean
apply_plan_recipients (TgSettings *config, GKeyFile *kf, const char *plan,
		       char **why)
{
	g_autofree char *value = g_key_file_get_string (kf, "escalation", plan,
							NULL);
	char **list = NULL;

	if (!parse_address_list (value ? value : "", &list, why))
		return FALSE;
	g_hash_table_replace (config->escalation_to, g_strdup (plan), list);
	return TRUE;
}

static gboolean
apply_file (TgSettings *config, GKeyFile *kf, const char *text, GError **error)
{
	g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

	for (char **g = groups; *g != NULL; g++) {
		g_auto (GStrv) keys = NULL;

		if (find_setting (*g, NULL) == NULL) {
			set_error (error, config, text, *g, NULL,
				   "unknown group");
			return FALSE;
		}
		keys = g_key_file_get_keys (kf, *g, NULL, NULL);
		for (char **k = keys; k != NULL && *k != NULL; k++) {
			const Setting *s = find_setting (*g, *k);
			g_autofree char *value = NULL;
			g_autofree char *why = NULL;

			if (s == NULL && strcmp (*g, "escalation") == 0 &&
			    is_plan_name (*k)) {
				if (!apply_plan_recipients (config, kf, *k, &why)) {
					set_error (error, config, text, *g, *k,
						   why);
					return FALSE;
				}
				continue;
			}
			if (s == NULL) {
				set_error (error, config, text, *g, *k,
					   "unknown key");
				return FALSE;
			}
			value = g_key_file_get_string (kf, *g, *k, NULL);
			if (value == NULL)
				value = g_strdup ("");
			g_strstrip (value);
			if (!apply_value (config, s, value, &why)) {
				set_error (error, config, text, *g, *k, why);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/*
 * An answer being sent is held (claimed) for outbox_claim. Deliver must
 * be over before its claim ends: its time limit, which waits for a
 * sendmail that runs (sender.c), so time_limit plus sendmail_timeout.
 * One send by sweep must end and be recorded inside the claim. Else a
 * second sender could take over an answer the first is still handing to
 * sendmail. The error names outbox_claim when the file sets it, else the
 * other key.
 */
static gboolean
check_claim (const TgSettings *config, const char *text, GError **error)
{
	gboolean claim_set = find_line (text, "limits", "outbox_claim") > 0;
	int claim = config->outbox_claim;
	int send = config->sendmail_timeout;
	g_autofree char *why = NULL;

	if (config->time_limit + send >= claim) {
		if (claim_set)
			why = g_strdup_printf (
				"must be longer than [limits] time_limit plus "
				"[mail] sendmail_timeout (%ds): deliver holds its "
				"answers until it is over",
				config->time_limit + send);
		else
			why = g_strdup_printf (
				"must be under %ds ([limits] outbox_claim, how "
				"long an answer being sent is held, less [mail] "
				"sendmail_timeout)",
				claim - send);
		set_error (error, config, text, "limits",
			   claim_set ? "outbox_claim" : "time_limit", why);
		return FALSE;
	}
	if (send + TG_OUTBOX_SENT_PATIENCE >= claim) {
		if (claim_set)
			why = g_strdup_printf (
				"must be longer than [mail] sendmail_timeout "
				"(%ds) and %ds to record a send",
				send, TG_OUTBOX_SENT_PATIENCE);
		else
			why = g_strdup_printf (
				"must be under %ds ([limits] outbox_claim, how "
				"long an answer being sent is held, less %ds to "
				"record it)",
				claim - TG_OUTBOX_SENT_PATIENCE,
				TG_OUTBOX_SENT_PATIENCE);
		set_error (error, config, text, claim_set ? "limits" : "mail",
			   claim_set ? "outbox_claim" : "sendmail_timeout",
			   why);
		return FALSE;
	}
	return TRUE;
}

TgSettings *
tg_settings_new_default (const char *path)
{
	TgSettings *config = g_new0 (TgSettings, 1);

	config->path = g_strdup (path != NULL ? path : "(defaults)");
	config->escalation_to = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
	for (gsize i = 0; i < G_N_ELEMENTS (settings); i++) {
		g_autofree char *why = NULL;

		/* The defaults are ours: a failure here is a bug. */
		if (!apply_value (config, &settings[i], settings[i].def, &why))
			g_critical ("default of [%s] %s: %s", settings[i].group,
				    settings[i].key, why);
	}
	return config;
}

char *
tg_settings_default_path (const char *option)
{
	const char *env = g_getenv ("TICKETGATE_CONFIG");

	if (option != NULL && *option != '\0')
		return g_strdup (option);
	if (env != NULL && *env != '\0')
		return g_strdup (env);
	return g_build_filename (TG_SYSCONFDIR, "ticketgate",
				 "ticketgate.conf", NULL);
}

TgSettings *
tg_settings_load (const char *path, GError **error)
{
	g_autoptr (TgSettings) config = NULL;
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GError) local = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	g_return_val_if_fail (path != NULL, NULL);
	config = tg_settings_new_default (path);
	if (!g_file_get_contents (path, &text, &len, &local)) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_UNREADABLE,
			     "%s: %s", path,
			     g_strerror (local->domain == G_FILE_ERROR &&
						 local->code == G_FILE_ERROR_NOENT
					 ? ENOENT
					 : local->code == G_FILE_ERROR_ACCES
					 ? EACCES
					 : EIO));
		return NULL;
	}
	if (!g_utf8_validate (text, len, NULL) || strlen (text) != len) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: not UTF-8 text", path);
		return NULL;
	}
	if (!check_syntax (config, text, error))
		return NULL;
	if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE,
					&local)) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: %s", path, local->message);
		return NULL;
	}
	if (!apply_file (config, kf, text, error) ||
	    !check_claim (config, text, error))
		return NULL;
	/* Settings without a value of their own that follow another one. */
	if (*config->bounce_address == '\0') {
		g_free (config->bounce_address);
		config->bounce_address = g_strdup (config->support_address);
	}
	return g_steal_pointer (&config);
}

gboolean
tg_settings_check (const TgSettings *config, GError **error)
{
	g_return_val_if_fail (config != NULL, FALSE);
	if (*config->support_address == '\0') {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [mail] support_address: not set",
			     config->path);
		return FALSE;
	}
	if (config->end_minute <= config->start_minute) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [hours] end: must be later than start",
			     config->path);
		return FALSE;
	}
	if (config->days_mask == 0) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [hours] days: no working day",
			     config->path);
		return FALSE;
	}
	if (tg_settings_is_staff_address (config, config->support_address) ||
	    g_strcmp0 (config->comment_address, config->support_address) == 0) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [mail] staff_address: must not be the "
			     "support or comment address (mail would loop)",
			     config->path);
		return FALSE;
	}
	return TRUE;
}

gboolean
tg_settings_is_staff_address (const TgSettings *config, const char *addr)
{
	g_return_val_if_fail (config != NULL, FALSE);
	return addr != NULL && config->staff_addresses != NULL &&
	       g_strv_contains ((const char *const *) config->staff_addresses,
				addr);
}

static char *
format_value (const TgSettings *config, const Setting *s)
{
	switch (s->type) {
	case T_INT:
	case T_PROCESSES:
	case T_PERCENT:
	case T_DURATION:
	case T_TIME:
		if (s->type == T_TIME) {
			int m = *FIELD (config, s, int);
			return g_strdup_printf ("%02d:%02d", m / 60, m % 60);
		}
		return g_strdup_printf ("%d%s", *FIELD (config, s, int),
					s->type == T_DURATION ? "s" : "");
	case T_SIZE:
		return g_strdup_printf ("%" G_GUINT64_FORMAT,
					*FIELD (config, s, guint64));
	case T_BOOL:
		return g_strdup (*FIELD (config, s, gboolean) ? "true"
							      : "false");
	case T_DAYS: {
		static const char *names[] = { "", "Mon", "Tue", "Wed",
					       "Thu", "Fri", "Sat", "Sun" };
		GString *out = g_string_new (NULL);

		for (int d = 1; d <= 7; d++)
			if (config->days_mask & TG_CALENDAR_DAY (d))
				g_string_append_printf (out, "%s%s",
							out->len ? "," : "",
							names[d]);
		return g_string_free (out, FALSE);
	}
	case T_ADDRESS_LIST:
		return g_strjoinv (", ", config->staff_addresses);
	case T_UNKNOWN_SENDER:
		return g_strdup (config->unknown_sender ==
						 TG_UNKNOWN_SENDER_REJECT
					 ? "reject"
					 : "ticket");
	case T_REPLY_TO:
		return g_strdup (reply_to_names[config->reply_to]);
	default:
		return g_strdup (*FIELD (config, s, char *));
	}
}

/* @value in key-file syntax, so that the dump loads back unchanged (a
 * backslash in a conninfo or a name would otherwise start an escape). */
static void
append_escaped (GString *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			g_string_append (out, "\\\\");
			break;
		case '\n':
			g_string_append (out, "\\n");
			break;
		case '\t':
			g_string_append (out, "\\t");
			break;
		case '\r':
			g_string_append (out, "\\r");
			break;
		default:
			g_string_append_c (out, *p);
		}
	}
}

static void
append_plan_recipients (GString *out, const TgSettings *config)
{
	g_autoptr (GList) plans = g_hash_table_get_keys (config->escalation_to);

	plans = g_list_sort (plans, (GCompareFunc) strcmp);
	for (GList *l = plans; l != NULL; l = l->next) {
		char **list = g_hash_table_lookup (config->escalation_to, l->data);
		g_autofree char *joined = g_strjoinv (", ", list);

		g_string_append_printf (out, "%s = %s\n",
					(const char *) l->data, joined);
	}
}

char *
tg_settings_dump (const TgSettings *config)
{
	GString *out = g_string_new (NULL);
	const char *group = NULL;

	g_string_append_printf (out, "# %s\n", config->path);
	for (gsize i = 0; i < G_N_ELEMENTS (settings); i++) {
		const Setting *s = &settings[i];
		g_autofree char *value = format_value (config, s);

		if (g_strcmp0 (group, s->group) != 0)
			g_string_append_printf (out, "%s[%s]\n",
						group ? "\n" : "", s->group);
		group = s->group;
		g_string_append_printf (out, "%s = ", s->key);
		append_escaped (out, value);
		g_string_append_c (out, '\n');
	}
	append_plan_recipients (out, config);
	return g_string_free (out, FALSE);
}

TgCalendar *
tg_settings_new_calendar (const TgSettings *config, GError **error)
{
	g_autoptr (GTimeZone) tz = NULL;
	g_autoptr (GError) local = NULL;
	TgCalendar *cal;

	g_return_val_if_fail (config != NULL, NULL);
	tz = g_time_zone_new_identifier (config->timezone);
	if (tz == NULL) {
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [hours] timezone: unknown time zone \"%s\"",
			     config->path, config->timezone);
		return NULL;
	}
	cal = tg_calendar_new (tz, config->days_mask, config->start_minute,
			       config->end_minute, &local);
	if (cal == NULL)
		g_set_error (error, TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
			     "%s: [hours]: %s", config->path, local->message);
	return cal;
}

void
tg_settings_free (TgSettings *config)
{
	if (config == NULL)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS (settings); i++) {
		const Setting *s = &settings[i];

		switch (s->type) {
		case T_ADDRESS_LIST:
			g_clear_pointer (FIELD (config, s, char **),
					 g_strfreev);
			break;
		case T_STRING:
		case T_TAG:
		case T_ADDRESS:
		case T_TIMEZONE:
		case T_PATH:
		case T_PLAN:
		case T_DELIMITER:
		case T_LISTEN:
		case T_SUBMIT:
			g_clear_pointer (FIELD (config, s, char *), g_free);
			break;
		default:
			break;
		}
	}
	g_clear_pointer (&config->escalation_to, g_hash_table_unref);
	g_free (config->path);
	g_free (config);
}
