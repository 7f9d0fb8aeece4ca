/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-exitcode: the one table of exit codes. Deliver defers (75, a
 * 4.x.x status) on every fault but a mail over the size limit, which is
 * the only refusal (65, 5.3.4); sweep and the admin commands tell usage,
 * data, configuration and database faults apart as doc/exit-codes.md
 * says; each module's errors land on the fault they stand for.
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
#include "tgtest.h"

static void
test_deliver_defers (void)
{
	for (TgFault f = 0; f < TG_FAULT_COUNT; f++) {
		int code = tg_exit_code (f, TG_CALLER_DELIVER);
		const char *status = tg_exit_status (f);

		if (f == TG_FAULT_TOO_BIG) {
			g_assert_cmpint (code, ==, EX_DATAERR);
			g_assert_cmpstr (status, ==, "5.3.4");
			continue;
		}
		g_assert_cmpint (code, ==, EX_TEMPFAIL);
		g_assert_true (g_str_has_prefix (status, "4.3."));
	}
	g_assert_cmpstr (tg_exit_status (TG_FAULT_CONFIG), ==, "4.3.5");
	g_assert_cmpstr (tg_exit_status (TG_FAULT_USAGE), ==, "4.3.5");
	g_assert_cmpstr (tg_exit_status (TG_FAULT_DB_DOWN), ==, "4.3.0");
}

/* lmtpd answers a recipient as deliver exits: 4xx keeps the mail in
 * Postfix's queue for every fault of ours; only a mail over the size
 * limit gets a 5xx (doc/exit-codes.md, "lmtpd"). */
static void
test_lmtp_defers (void)
{
	for (TgFault f = 0; f < TG_FAULT_COUNT; f++) {
		int code = tg_exit_code (f, TG_CALLER_LMTP);

		if (f == TG_FAULT_TOO_BIG)
			g_assert_cmpint (code, ==, 552);
		else
			g_assert_cmpint (code, ==, 451);
		/* The class of the reply and of the status agree. */
		g_assert_cmpint (code / 100, ==, tg_exit_status (f)[0] - '0');
	}
}

static const struct {
	TgFault fault;
	int sweep;
	int admin;
} rows[] = {
	{ TG_FAULT_USAGE, EX_USAGE, EX_USAGE },
	{ TG_FAULT_DATA, EX_DATAERR, EX_DATAERR },
	{ TG_FAULT_NOT_FOUND, EX_NOINPUT, EX_NOINPUT },
	{ TG_FAULT_DB_DOWN, EX_TEMPFAIL, EX_UNAVAILABLE },
	{ TG_FAULT_SOFTWARE, EX_TEMPFAIL, EX_SOFTWARE },
	{ TG_FAULT_CONFLICT, EX_TEMPFAIL, EX_TEMPFAIL },
	{ TG_FAULT_CONFIG, EX_CONFIG, EX_CONFIG },
	{ TG_FAULT_LOCAL, EX_TEMPFAIL, EX_IOERR },
	{ TG_FAULT_TIME_LIMIT, EX_TEMPFAIL, EX_TEMPFAIL },
	{ TG_FAULT_TOO_BIG, EX_DATAERR, EX_DATAERR },
};

/* doc/exit-codes.md's tables for sweep and the admin commands. */
static void
test_commands (void)
{
	g_assert_cmpuint (G_N_ELEMENTS (rows), ==, TG_FAULT_COUNT);
	for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_test_message ("fault %d", rows[i].fault);
		g_assert_cmpint (tg_exit_code (rows[i].fault, TG_CALLER_SWEEP),
				 ==, rows[i].sweep);
		g_assert_cmpint (tg_exit_code (rows[i].fault, TG_CALLER_ADMIN),
				 ==, rows[i].admin);
	}
}

static void
check_fault (GQuark domain, int code, TgFault want)
{
	g_autoptr (GError) error = g_error_new_literal (domain, code, "x");

	g_assert_cmpint (tg_exit_fault (error), ==, want);
}

static void
test_errors (void)
{
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_TEMPORARY, TG_FAULT_DB_DOWN);
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_RETRY, TG_FAULT_CONFLICT);
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_DUPLICATE, TG_FAULT_DATA);
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_INVALID, TG_FAULT_DATA);
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_NOT_FOUND,
		     TG_FAULT_NOT_FOUND);
	check_fault (TG_STORE_ERROR, TG_STORE_ERROR_FAILED, TG_FAULT_SOFTWARE);
	check_fault (TG_SPOOL_ERROR, TG_SPOOL_ERROR_TOO_BIG, TG_FAULT_TOO_BIG);
	check_fault (TG_SPOOL_ERROR, TG_SPOOL_ERROR_TEMPORARY, TG_FAULT_LOCAL);
	check_fault (TG_SETTINGS_ERROR, TG_SETTINGS_ERROR_INVALID,
		     TG_FAULT_CONFIG);
	check_fault (TG_TEMPLATE_ERROR, TG_TEMPLATE_ERROR_UNREADABLE,
		     TG_FAULT_CONFIG);
	check_fault (TG_REPLY_ERROR, TG_REPLY_ERROR_INVALID, TG_FAULT_CONFIG);
	check_fault (TG_CALENDAR_ERROR, 0, TG_FAULT_CONFIG);
	check_fault (TG_COMPOSE_ERROR, TG_COMPOSE_ERROR_TEMPORARY,
		     TG_FAULT_LOCAL);
	check_fault (G_FILE_ERROR, G_FILE_ERROR_NOENT, TG_FAULT_SOFTWARE);
	g_assert_cmpint (tg_exit_for_error (NULL, TG_CALLER_DELIVER), ==,
			 EX_TEMPFAIL);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/exitcode/deliver-defers", test_deliver_defers);
	g_test_add_func ("/exitcode/lmtp-defers", test_lmtp_defers);
	g_test_add_func ("/exitcode/commands", test_commands);
	g_test_add_func ("/exitcode/errors", test_errors);
	return g_test_run ();
}
