/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * owner: a process's name (host, boot, PID namespace, pid, start time)
 * and whether the process it names still runs, from /proc and kill(2).
 * It answers "gone" only when it is sure: anything it cannot see is
 * running, or elsewhere.
 */
#include "owner.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define UNKNOWN "-"

typedef struct {
	char *host;
	char *boot;
	char *pidns;
} Place;

/* This host, boot and PID namespace, read once. */
static const Place *
here (void)
{
	static Place place;
	static gsize done = 0;

	if (g_once_init_enter (&done)) {
		g_autofree char *boot = NULL;
		char link[64] = "";
		ssize_t n = readlink ("/proc/self/ns/pid", link,
				      sizeof link - 1);
		const char *open = n > 0 ? strchr (link, '[') : NULL;

		place.host = g_strdup (g_get_host_name ());
		g_strdelimit (place.host, ":", '_');
		if (g_file_get_contents ("/proc/sys/kernel/random/boot_id",
					 &boot, NULL, NULL) &&
		    *g_strstrip (boot) != '\0')
			place.boot = g_strdup (boot);
		else
			place.boot = g_strdup (UNKNOWN);
		if (open != NULL) {
			link[n] = '\0';
			place.pidns = g_strndup (open + 1, strcspn (open + 1, "]"));
		} else {
			place.pidns = g_strdup (UNKNOWN);
		}
		g_once_init_leave (&done, 1);
	}
	return &place;
}

static gboolean
place_known (const Place *p)
{
	return strcmp (p->boot, UNKNOWN) != 0 && strcmp (p->pidns, UNKNOWN) != 0;
}

/*
 * The state letter and the start time (clock ticks after boot) of @pid,
 * from /proc/PID/stat: "PID (COMM) S PPID ..." with the start time the
 * 22nd field. COMM may hold blanks and parentheses, hence the last ')'.
 */
static gboolean
read_stat (GPid pid, char *state_out, guint64 *start_out)
{
	g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
	g_autofree char *text = NULL;
	g_auto (GStrv) fields = NULL;
	const char *close;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return FALSE;
	close = strrchr (text, ')');
	if (close == NULL || close[1] != ' ')
		return FALSE;
	fields = g_strsplit (close + 2, " ", 21);
	if (g_strv_length (fields) < 21 || !g_ascii_isdigit (fields[19][0]))
		return FALSE;
	*state_out = fields[0][0];
	*start_out = g_ascii_strtoull (fields[19], NULL, 10);
	return TRUE;
}

char *
tg_owner_of_pid (GPid pid)
{
	const Place *p = here ();
	char state = 0;
	guint64 start = 0;

	if (!read_stat (pid, &state, &start))
		return NULL;
	return g_strdup_printf ("%s:%s:%s:%d:%" G_GUINT64_FORMAT, p->host,
				p->boot, p->pidns, (int) pid, start);
}

const char *
tg_owner_self (void)
{
	static char *self;
	static gsize done = 0;

	if (g_once_init_enter (&done)) {
		const Place *p = here ();

		self = tg_owner_of_pid (getpid ());
		if (self == NULL)
			self = g_strdup_printf ("%s:%s:%s:%d:" UNKNOWN, p->host,
						p->boot, p->pidns,
						(int) getpid ());
		g_once_init_leave (&done, 1);
	}
	return self;
}

/* Splits @owner into its place and pid/start; FALSE when malformed. */
static gboolean
parse (const char *owner, GStrv *parts_out, GPid *pid_out,
       guint64 *start_out)
{
	g_auto (GStrv) parts = g_strsplit (owner != NULL ? owner : "", ":", 0);
	char *end = NULL;
	gint64 pid;

	if (g_strv_length (parts) != 5 || !g_ascii_isdigit (parts[3][0]) ||
	    !g_ascii_isdigit (parts[4][0]))
		return FALSE;
	pid = g_ascii_strtoll (parts[3], &end, 10);
	if (*end != '\0' || pid <= 0 || pid > G_MAXINT)
		return FALSE;
	*start_out = g_ascii_strtoull (parts[4], &end, 10);
	if (*end != '\0')
		return FALSE;
	*pid_out = (GPid) pid;
	*parts_out = g_steal_pointer (&parts);
	return TRUE;
}

static gboolean
same_place (const Place *p, char **parts)
{
	return place_known (p) && strcmp (parts[0], p->host) == 0 &&
	       strcmp (parts[1], p->boot) == 0 &&
	       strcmp (parts[2], p->pidns) == 0;
}

gboolean
tg_owner_is_local (const char *owner)
{
	g_auto (GStrv) parts = NULL;
	GPid pid = 0;
	guint64 start = 0;

	return parse (owner, &parts, &pid, &start) && same_place (here (), parts);
}

gboolean
tg_owner_is_earlier_boot (const char *owner)
{
	const Place *p = here ();
	g_auto (GStrv) parts = NULL;
	GPid pid = 0;
	guint64 start = 0;

	return place_known (p) && parse (owner, &parts, &pid, &start) &&
	       strcmp (parts[0], p->host) == 0 && strcmp (parts[1], p->boot) != 0;
}

TgOwnerState
tg_owner_state (const char *owner)
{
	g_auto (GStrv) parts = NULL;
	GPid pid = 0;
	guint64 start = 0, now_start = 0;
	char state = 0;

	if (!parse (owner, &parts, &pid, &start) || !same_place (here (), parts))
		return TG_OWNER_ELSEWHERE;
	/* kill(2) sees every process, also where /proc hides them. */
	if (kill (pid, 0) < 0 && errno == ESRCH)
		return TG_OWNER_GONE;
	if (!read_stat (pid, &state, &now_start))
		return TG_OWNER_RUNNING;
	/* Another process under a reused pid, or one that has exited and
	 * waits for its parent to reap it. */
	if (now_start != start || state == 'Z' || state == 'X')
		return TG_OWNER_GONE;
	return TG_OWNER_RUNNING;
}
