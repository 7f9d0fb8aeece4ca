/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-owner: a process's name, and whether it still runs: this process,
 * a child running, the same child once exited (before and after it was
 * reaped), a pid with another start time (a reused pid), and names from
 * another host, boot or namespace, or malformed, which are never "gone".
 */
#include "owner.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tgtest.h"

static const char *
state_name (TgOwnerState s)
{
	switch (s) {
	case TG_OWNER_RUNNING:
		return "running";
	case TG_OWNER_GONE:
		return "gone";
	case TG_OWNER_ELSEWHERE:
		return "elsewhere";
	}
	return "?";
}

#define assert_state(owner, want)                                            \
	g_assert_cmpstr (state_name (tg_owner_state (owner)), ==,           \
			 state_name (want))

static void
test_self (void)
{
	const char *self = tg_owner_self ();
	g_auto (GStrv) parts = g_strsplit (self, ":", 0);
	g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
	g_autofree char *again = tg_owner_of_pid (getpid ());

	g_test_message ("self: %s", self);
	g_assert_cmpuint (g_strv_length (parts), ==, 5);
	g_assert_cmpstr (parts[3], ==, pid);
	g_assert_cmpstr (again, ==, self);
	g_assert_true (tg_owner_is_local (self));
	assert_state (self, TG_OWNER_RUNNING);
}

static pid_t
start_child (void)
{
	pid_t pid = fork ();

	g_assert_cmpint (pid, >=, 0);
	if (pid == 0) {
		pause ();
		_exit (0);
	}
	return pid;
}

/* A child that runs, then exits: a zombie first, then reaped. */
static void
test_child (void)
{
	pid_t pid = start_child ();
	g_autofree char *owner = tg_owner_of_pid (pid);
	siginfo_t info;

	g_assert_nonnull (owner);
	assert_state (owner, TG_OWNER_RUNNING);
	kill (pid, SIGKILL);
	/* Exited, not yet reaped: it can no longer do anything. */
	g_assert_cmpint (waitid (P_PID, pid, &info, WEXITED | WNOWAIT), ==, 0);
	assert_state (owner, TG_OWNER_GONE);
	g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);
	assert_state (owner, TG_OWNER_GONE);
	g_assert_null (tg_owner_of_pid (pid));
}

/* The same pid with another start time is another process. */
static void
test_reused_pid (void)
{
	g_auto (GStrv) parts = g_strsplit (tg_owner_self (), ":", 0);
	g_autofree char *earlier = NULL;
	guint64 start = g_ascii_strtoull (parts[4], NULL, 10);

	earlier = g_strdup_printf ("%s:%s:%s:%s:%" G_GUINT64_FORMAT, parts[0],
				   parts[1], parts[2], parts[3], start + 1);
	assert_state (earlier, TG_OWNER_GONE);
}

/* What this host cannot check is never "gone": a pid that does not run
 * here, named from another host, boot or namespace. */
static void
test_elsewhere (void)
{
	g_auto (GStrv) p = g_strsplit (tg_owner_self (), ":", 0);
	const char *other = "4194305"; /* above any pid_max */
	struct {
		const char *label;
		char *owner;
	} rows[] = {
		{ "other host", g_strjoin (":", "mx2.example", p[1], p[2], other,
					   p[4], NULL) },
		{ "other boot", g_strjoin (":", p[0], "0-0-0-0-0", p[2], other,
					   p[4], NULL) },
		{ "other namespace", g_strjoin (":", p[0], p[1], "1", other, p[4],
						NULL) },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		TgOwnerState got = tg_owner_state (rows[i].owner);

		if (got != TG_OWNER_ELSEWHERE || tg_owner_is_local (rows[i].owner))
			tg_test_fail_row ("%s (%s): got %s, want elsewhere",
					  rows[i].label, rows[i].owner,
					  state_name (got));
		if (tg_owner_is_earlier_boot (rows[i].owner) != (i == 1))
			tg_test_fail_row ("%s: earlier boot: got %d", rows[i].label,
					  tg_owner_is_earlier_boot (rows[i].owner));
		g_free (rows[i].owner);
	}
	/* The same name with this place is checked, and found gone. */
	{
		g_autofree char *here = g_strjoin (":", p[0], p[1], p[2], other,
						   p[4], NULL);

		g_assert_true (tg_owner_is_local (here));
		g_assert_false (tg_owner_is_earlier_boot (here));
		assert_state (here, TG_OWNER_GONE);
	}
}

static void
test_malformed (void)
{
	const char *rows[] = {
		"",
		"host",
		"a:b:c:d",
		"a:b:c:d:e:f",
		"a:b:c:12x:5",
		"a:b:c:0:5",
		"a:b:c:-1:5",
		"a:b:c:12:-",
		"a:b:c:99999999999:5",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
		if (tg_owner_state (rows[i]) != TG_OWNER_ELSEWHERE)
			tg_test_fail_row ("\"%s\": got %s, want elsewhere",
					  rows[i],
					  state_name (tg_owner_state (rows[i])));
	g_assert_cmpint (tg_owner_state (NULL), ==, TG_OWNER_ELSEWHERE);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/owner/self", test_self);
	g_test_add_func ("/owner/child", test_child);
	g_test_add_func ("/owner/reused-pid", test_reused_pid);
	g_test_add_func ("/owner/elsewhere", test_elsewhere);
	g_test_add_func ("/owner/malformed", test_malformed);
	return g_test_run ();
}
