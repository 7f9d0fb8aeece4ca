/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * settings: ticketgate.conf (a GKeyFile) read once into a TgSettings, with
 * every key's default in one table. Unknown groups and keys are errors,
 * so that a typo never silently falls back to a default. GLib only.
 */
#pragma once

#include <glib.h>

#define TG_SETTINGS_ERROR (tg_settings_error_quark ())

/* How long deliver and sweep keep trying to record an answer as sent
 * when the database went away just after sendmail took it, before they
 * leave the record to the journal (journal.h): long enough for a server
 * restart. [limits] outbox_claim must leave room for it after a send. */
#define TG_OUTBOX_SENT_PATIENCE 10

/* The most lmtpd processes ([lmtpd] processes). */
#define TG_SETTINGS_MAX_PROCESSES 256
GQuark tg_settings_error_quark (void);

typedef enum {
	TG_SETTINGS_ERROR_UNREADABLE, /* the file cannot be opened or read */
	TG_SETTINGS_ERROR_INVALID,    /* syntax, unknown key, bad value */
} TgSettingsError;

typedef enum {
	TG_UNKNOWN_SENDER_TICKET, /* a ticket without a plan */
	TG_UNKNOWN_SENDER_REJECT, /* no ticket, a polite answer */
} TgUnknownSenderPolicy;

/* Whether answers may go to a mail's Reply-To instead of its From. */
typedef enum {
	TG_REPLY_TO_SAME_DOMAIN, /* only within the From address's domain */
	TG_REPLY_TO_NEVER,
	TG_REPLY_TO_ALWAYS,
} TgReplyToPolicy;

typedef struct {
	char *path; /* the file it was read from */

	/* [database] */
	char *conninfo;         /* libpq conninfo string or "service=..." */
	int connect_timeout;    /* seconds */
	int statement_timeout;  /* seconds */
	char *schema_directory; /* db migrate's and check-config's schema/ */

	/* [mail] */
	char *support_address;  /* lower case */
	char *from_name;
	char *sendmail;
	char *submit;           /* "sendmail", or an SMTP server's address
				   (tg_smtp_check_address) */
	char *subject_tag;
	char **staff_addresses; /* NULL-terminated, lower case, may be empty */
	char *comment_address;  /* lower case, "" when unset */
	char *bounce_address;   /* envelope sender of our mail */
	int sendmail_timeout;   /* seconds one hand-off may take, through
				   sendmail or SMTP */
	int retry_for;          /* seconds sweep keeps retrying a mail */
	char *recipient_delimiter; /* Postfix's: starts an address extension */

	/* [hours] */
	char *timezone;
	guint days_mask;        /* TG_CALENDAR_DAY() bits */
	int start_minute;
	int end_minute;

	/* [templates] */
	char *templates_directory;

	/* [limits] */
	guint64 max_message_size;
	guint64 spool_memory;
	guint64 attachment_limit; /* larger ones are not forwarded */
	char *spool_directory;  /* "" means $TMPDIR */
	int time_limit;         /* seconds deliver may take in all */
	int outbox_claim;       /* seconds an answer being sent is held;
				   longer than time_limit */
	char *state_directory;  /* the journal of answers sent (journal.h) */
	int queue_lifetime;     /* seconds; older Received dates are implausible */
	int max_ccs;            /* CC addresses a ticket keeps */

	/* [policy] */
	TgUnknownSenderPolicy unknown_sender;
	char *fallback_plan;    /* plan of customers without a subscription */
	int reopen_days;
	gboolean ack_followups;
	int cap_per_hour;       /* mail to one address per rolling hour */
	int cap_per_day;        /* ... and per rolling day */
	int machine_notify_interval; /* seconds between staff notices of
					machine mail on one ticket */

	/* [security] */
	char *authserv_id;      /* our MTA's Authentication-Results id, "" */
	TgReplyToPolicy reply_to;
	int secret_grace;       /* seconds a replaced signing secret still
				   verifies reply addresses */

	/* [escalation] */
	int warn_at;            /* percent of the reaction time */
	gboolean daily_queue;   /* the morning queue mail */

	/* [lmtpd] */
	char *lmtpd_listen;     /* endpoint.h addresses, comma-separated */
	int lmtpd_processes;    /* sessions served at once */
	int lmtpd_timeout;      /* seconds a client may stay silent */
	char *lmtpd_user;       /* whom a server started as root runs as */
	GHashTable *escalation_to; /* plan name -> char **: more recipients
				      of that plan's notices */
} TgSettings;

/*
 * tg_settings_default_path: (transfer full): the file to read: @option when
 * given, else $TICKETGATE_CONFIG, else SYSCONFDIR/ticketgate/ticketgate.conf.
 */
char *tg_settings_default_path (const char *option);

/*
 * tg_settings_load: reads and checks @path. Relative paths inside the file
 * (templates, spool) are taken relative to the file's folder.
 * Errors read "FILE:LINE: [group] key: what is wrong" (LINE when known).
 * Returns: (transfer full): the configuration, or NULL with
 * TG_SETTINGS_ERROR_UNREADABLE or TG_SETTINGS_ERROR_INVALID.
 */
TgSettings *tg_settings_load (const char *path, GError **error)
	G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_settings_new_default: (transfer full): every key at its default, as if
 * read from an empty file called @path (support_address is then empty,
 * which tg_settings_check() reports).
 */
TgSettings *tg_settings_new_default (const char *path) G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_settings_check: the checks that need more than one key, or that only
 * matter for delivering mail (a support address is set, the staff and
 * comment addresses differ from it). Returns FALSE with
 * TG_SETTINGS_ERROR_INVALID.
 */
gboolean tg_settings_check (const TgSettings *config, GError **error);

/*
 * tg_settings_new_calendar: (transfer full): the [hours] of @config as a
 * calendar without holidays (those are in the database), or NULL with
 * TG_SETTINGS_ERROR_INVALID.
 */
struct _TgCalendar *tg_settings_new_calendar (const TgSettings *config,
					    GError **error);

/* tg_settings_free: releases @config; NULL is allowed. */
void tg_settings_free (TgSettings *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSettings, tg_settings_free)

/*
 * tg_settings_is_staff_address: whether @addr (lower case) is one of
 * [mail] staff_address. The staff table in the database is the other
 * source of staff; this only spares a lookup for the desk's own lists.
 */
gboolean tg_settings_is_staff_address (const TgSettings *config, const char *addr);

/*
 * tg_settings_parse_duration: "90", "90s", "15m", "2h", "5d" into seconds.
 * tg_settings_parse_size: "1048576", "64k", "10M", "1G" (binary) into bytes.
 * Both return FALSE on bad or overflowing input, leaving the output alone.
 */
gboolean tg_settings_parse_duration (const char *text, int *seconds_out);
gboolean tg_settings_parse_size (const char *text, guint64 *bytes_out);

/*
 * tg_settings_dump: (transfer full): every key with its effective value,
 * in key-file syntax, for "ticketgate check-config --dump".
 */
char *tg_settings_dump (const TgSettings *config);
