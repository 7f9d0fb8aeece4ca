/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-sweep: the arithmetic sweep decides by: the backoff between
 * attempts, and whether a send still ends inside its batch's claim.
 * Sending itself is tested end to end (cli/0080-faults.t, 0090).
 */
#include "sweep.h"

#include "../src/settings.h"
#include "tgtest.h"

static void
test_backoff (void)
{
	static const struct {
		int attempts, want;
	} rows[] = {
		{ 0, 60 }, { 1, 60 }, { 2, 120 }, { 3, 240 }, { 6, 1920 },
		{ 7, 3600 }, { 30, 3600 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		int got = tg_sweep_backoff (rows[i].attempts);

		if (got != rows[i].want)
			tg_test_fail_row ("attempts %d: got %d, want %d",
					  rows[i].attempts, got, rows[i].want);
	}
}

static void
test_in_claim (void)
{
	static const struct {
		gint64 elapsed_s;
		int timeout, claim;
		gboolean want;
	} rows[] = {
		{ 0, 60, 600, TRUE },
		{ 529, 60, 600, TRUE },
		/* sent in 60 s and recorded in 10: ends exactly with the claim */
		{ 530, 60, 600, FALSE },
		{ 700, 60, 600, FALSE },
		{ 0, 600 - TG_OUTBOX_SENT_PATIENCE - 1, 600, TRUE },
		{ 0, 600 - TG_OUTBOX_SENT_PATIENCE, 600, FALSE },
		/* a short claim, as a test or an impatient desk sets it */
		{ 4, 5, 20, TRUE },
		{ 5, 5, 20, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		gboolean got = tg_sweep_in_claim (rows[i].elapsed_s * G_USEC_PER_SEC,
						  rows[i].timeout, rows[i].claim);

		if (got != rows[i].want)
			tg_test_fail_row ("%" G_GINT64_FORMAT " s + %d s in %d s: "
					  "got %d",
					  rows[i].elapsed_s, rows[i].timeout,
					  rows[i].claim, got);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/sweep/backoff", test_backoff);
	g_test_add_func ("/sweep/in-claim", test_in_claim);
	return g_test_run ();
}
