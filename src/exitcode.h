/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exitcode: how each kind of failure ends the program, for each of its
 * callers, in one table (doc/exit-codes.md). Postfix reads deliver's
 * code and the enhanced status code (RFC 3463) that starts its line;
 * cron reads sweep's; a person reads the admin commands'. Everything
 * that ends a run with a failure asks this module for its code.
 */
#ifndef TG_EXITCODE_H
#define TG_EXITCODE_H

#include <glib.h>

typedef enum {
	TG_FAULT_USAGE,      /* the command line is not in its form */
	TG_FAULT_DATA,       /* a value the desk would store is wrong */
	TG_FAULT_NOT_FOUND,  /* no such customer, ticket, file, ... */
	TG_FAULT_DB_DOWN,    /* the database is unreachable or went away */
	TG_FAULT_SOFTWARE,   /* any other failure: our bug */
	TG_FAULT_CONFLICT,   /* a transaction conflict: run it again */
	TG_FAULT_CONFIG,     /* our configuration or a template */
	TG_FAULT_LOCAL,      /* reading the mail, the spool, the disk */
	TG_FAULT_TIME_LIMIT, /* our own time limit ran out */
	TG_FAULT_TOO_BIG,    /* a mail over max_message_size */
	TG_FAULT_COUNT
} TgFault;

typedef enum {
	TG_CALLER_DELIVER, /* Postfix: 75 defers, anything else bounces */
	TG_CALLER_SWEEP,   /* cron */
	TG_CALLER_ADMIN,   /* a person at the command line */
	TG_CALLER_LMTP,    /* lmtpd's reply to a recipient after DATA: an
			      SMTP reply code, 4xx defers, 5xx bounces */
} TgCaller;

/* The exit code (sysexits.h) for @fault when @caller is running; for
 * TG_CALLER_LMTP, the SMTP reply code. */
int tg_exit_code (TgFault fault, TgCaller caller);

/* The enhanced status code that starts deliver's line for @fault:
 * "4.3.0", "4.3.5" or "5.3.4". */
const char *tg_exit_status (TgFault fault);

/* The fault an error of the store, spool, settings, template or reply
 * module stands for; TG_FAULT_SOFTWARE for anything else. */
TgFault tg_exit_fault (const GError *error);

/* The exit code for @error when @caller is running: the two above. */
int tg_exit_for_error (const GError *error, TgCaller caller);

#endif
