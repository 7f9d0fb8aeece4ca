/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exitcode: the one table of exit codes (doc/exit-codes.md says why
 * each is what it is). Deliver's column never holds a permanent code
 * for a fault of ours: Postfix bounces on anything but 75, and our bug
 * or misconfiguration must never bounce a customer's mail; neither does
 * lmtpd's column (SMTP reply codes: 4xx keeps the mail in the queue).
 */
#include "exitcode.h"

#include <sysexits.h>

#include "calendar.h"
#include "compose.h"
#include "reply.h"
#include "settings.h"
#include "spool.h"
#include "store.h"
#include "template.h"

static const struct {
	int deliver;
	const char *status;
	int sweep;
	int admin;
	int lmtp;
} table[TG_FAULT_COUNT] = {
	[TG_FAULT_USAGE] = { EX_TEMPFAIL, "4.3.5", EX_USAGE, EX_USAGE, 451 },
	[TG_FAULT_DATA] = { EX_TEMPFAIL, "4.3.0", EX_DATAERR, EX_DATAERR,
			    451 },
	[TG_FAULT_NOT_FOUND] = { EX_TEMPFAIL, "4.3.0", EX_NOINPUT,
				 EX_NOINPUT, 451 },
	[TG_FAULT_DB_DOWN] = { EX_TEMPFAIL, "4.3.0", EX_TEMPFAIL,
			       EX_UNAVAILABLE, 451 },
	[TG_FAULT_SOFTWARE] = { EX_TEMPFAIL, "4.3.0", EX_TEMPFAIL,
				EX_SOFTWARE, 451 },
	[TG_FAULT_CONFLICT] = { EX_TEMPFAIL, "4.3.0", EX_TEMPFAIL,
				EX_TEMPFAIL, 451 },
	[TG_FAULT_CONFIG] = { EX_TEMPFAIL, "4.3.5", EX_CONFIG, EX_CONFIG,
			      451 },
	[TG_FAULT_LOCAL] = { EX_TEMPFAIL, "4.3.0", EX_TEMPFAIL, EX_IOERR,
			     451 },
	[TG_FAULT_TIME_LIMIT] = { EX_TEMPFAIL, "4.3.0", EX_TEMPFAIL,
				  EX_TEMPFAIL, 451 },
	[TG_FAULT_TOO_BIG] = { EX_DATAERR, "5.3.4", EX_DATAERR, EX_DATAERR,
			       552 },
};
int
tg_exit_code (TgFault fault, TgCaller caller)
{
	g_return_val_if_fail (fault < TG_FAULT_COUNT, EX_SOFTWARE);
	switch (caller) {
	case TG_CALLER_DELIVER:
		return table[fault].deliver;
	case TG_CALLER_SWEEP:
		return table[fault].sweep;
	case TG_CALLER_ADMIN:
		return table[fault].admin;
	case TG_CALLER_LMTP:
		return table[fault].lmtp;
	}
	return EX_SOFTWARE;
}

const char *
tg_exit_status (TgFault fault)
{
	g_return_val_if_fail (fault < TG_FAULT_COUNT, "4.3.0");
	return table[fault].status;
}

static TgFault
store_fault (TgStoreError code)
{
	switch (code) {
	case TG_STORE_ERROR_TEMPORARY:
		return TG_FAULT_DB_DOWN;
	case TG_STORE_ERROR_RETRY:
		return TG_FAULT_CONFLICT;
	case TG_STORE_ERROR_DUPLICATE:
	case TG_STORE_ERROR_INVALID:
		return TG_FAULT_DATA;
	case TG_STORE_ERROR_NOT_FOUND:
		return TG_FAULT_NOT_FOUND;
	case TG_STORE_ERROR_FAILED:
		break;
	}
	return TG_FAULT_SOFTWARE;
}

TgFault
tg_exit_fault (const GError *error)
{
	if (error == NULL)
		return TG_FAULT_SOFTWARE;
	if (error->domain == TG_STORE_ERROR)
		return store_fault ((TgStoreError) error->code);
	if (error->domain == TG_SPOOL_ERROR)
		return error->code == TG_SPOOL_ERROR_TOO_BIG ? TG_FAULT_TOO_BIG
							     : TG_FAULT_LOCAL;
	if (error->domain == TG_COMPOSE_ERROR)
		return TG_FAULT_LOCAL;
	if (error->domain == TG_SETTINGS_ERROR ||
	    error->domain == TG_CALENDAR_ERROR ||
	    error->domain == TG_TEMPLATE_ERROR ||
	    error->domain == TG_REPLY_ERROR)
		return TG_FAULT_CONFIG;
	return TG_FAULT_SOFTWARE;
}

int
tg_exit_for_error (const GError *error, TgCaller caller)
{
	return tg_exit_code (tg_exit_fault (error), caller);
}
