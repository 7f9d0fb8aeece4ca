/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * owner: names a process so that another process can later tell whether
 * it still runs: the host, its boot, its PID namespace, the pid and the
 * moment the process started (a pid alone is reused). Claims on answers
 * being sent and the files of the sent journal carry such a name, so
 * that what a dead process held can be taken over at once instead of
 * after a timeout. GLib and Linux's /proc only.
 */
#pragma once

#include <glib.h>

typedef enum {
	TG_OWNER_RUNNING,   /* the process runs (or cannot be seen: assumed) */
	TG_OWNER_GONE,      /* it ran here and has exited */
	TG_OWNER_ELSEWHERE, /* another host, boot or PID namespace, or a name
			       this host cannot read: nothing is known */
} TgOwnerState;

/*
 * tg_owner_self: (transfer none): this process's name,
 * "HOST:BOOT-ID:PIDNS:PID:START". When a part cannot be read (no /proc),
 * it is "-", and tg_owner_state() then answers TG_OWNER_ELSEWHERE for
 * every name: without it, "gone" cannot be told apart from "unknown".
 */
const char *tg_owner_self (void);

/*
 * tg_owner_of_pid: (transfer full) (nullable): the name of process @pid
 * of this host as tg_owner_self() would give it in that process, or NULL
 * when it does not run or cannot be read.
 */
char *tg_owner_of_pid (GPid pid);

/*
 * tg_owner_state: what is known of the process named @owner (from
 * tg_owner_self() in that process). Only a process of this host, boot
 * and PID namespace can be found GONE; a process still present but not
 * readable (another user's, under /proc's hidepid) counts as RUNNING.
 */
TgOwnerState tg_owner_state (const char *owner);

/*
 * tg_owner_is_local: whether @owner names a process of this host, boot
 * and PID namespace (running or not).
 */
gboolean tg_owner_is_local (const char *owner);

/*
 * tg_owner_is_earlier_boot: whether @owner names a process of a host
 * with this host's name but another boot. For what only this host keeps
 * (its own files), that is an earlier boot of this host, and the process
 * is gone; in the database it may be another machine of the same name.
 */
gboolean tg_owner_is_earlier_boot (const char *owner);
