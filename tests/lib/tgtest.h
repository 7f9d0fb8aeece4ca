/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tgtest: shared helpers for the unit tests: fixture paths and reading,
 * and a private PostgreSQL cluster for the tests that need a database.
 */
#pragma once

#include <glib.h>

#include "calendar.h"
#include "message.h"
#include "reply.h"

/* Working days of the calendar tables (TG_CALENDAR_DAY() bits). */
#define TG_TEST_SUN_THU                                                        \
	(TG_CALENDAR_DAY (7) | TG_CALENDAR_DAY (1) | TG_CALENDAR_DAY (2) |     \
	 TG_CALENDAR_DAY (3) | TG_CALENDAR_DAY (4))
#define TG_TEST_ALL_DAYS                                                       \
	(TG_CALENDAR_MON_FRI | TG_CALENDAR_DAY (6) | TG_CALENDAR_DAY (7))
#define TG_TEST_MON_WED_FRI                                                    \
	(TG_CALENDAR_DAY (1) | TG_CALENDAR_DAY (3) | TG_CALENDAR_DAY (5))

/*
 * tg_test_read_fixture: (transfer full): the content of
 * tests/data/<area>/<name>; fails the test when it cannot be read.
 */
GBytes *tg_test_read_fixture (const char *area, const char *name);

/*
 * tg_test_list_fixtures: (transfer full): the sorted file names in
 * tests/data/<area> that end in @suffix.
 */
GPtrArray *tg_test_list_fixtures (const char *area, const char *suffix);

/*
 * tg_test_corpus_dir: (transfer full) (nullable): the shared real-world
 * corpus folder (TG_CORPUS_DIR, else ../shared/corpus beside the source
 * tree), or NULL when it is absent.
 */
char *tg_test_corpus_dir (void);

/*
 * tg_test_db_start: starts a private PostgreSQL (tests/lib/pg-cluster),
 * creates a database from the schema folder with "ticketgate db migrate"
 * semantics (tg_store_migrate) to use as a template, and returns its
 * socket folder. Skips the whole binary (exit 77) when PostgreSQL is not
 * installed. Stopped by tg_test_db_stop(), also registered with atexit().
 */
const char *tg_test_db_start (void);
void tg_test_db_stop (void);

/*
 * tg_test_db_fresh: (transfer full): the conninfo of a new database cloned
 * from the migrated template, for one test case.
 */
char *tg_test_db_fresh (void);

/*
 * tg_test_fail_row: marks the current test failed with a message (one
 * table row's "got X, want Y") and carries on, so that every failing row
 * of a table is reported, not just the first.
 */
void tg_test_fail_row (const char *format, ...) G_GNUC_PRINTF (1, 2);

/*
 * tg_test_load_replies: (transfer full): the templates and phrases of the
 * source tree (TG_TOP_SRCDIR/templates); fails the test when they do not
 * load.
 */
TgReplies *tg_test_load_replies (void);

/*
 * tg_test_parse_mail: (transfer full): @mail parsed as deliver parses
 * mail; fails the test when it does not parse.
 */
TgMessage *tg_test_parse_mail (GBytes *mail);
