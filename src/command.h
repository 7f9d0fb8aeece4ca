/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * command: the commands staff write at the very top of a reply
 * ("#status resolved", "#priority high", "#assign ADDR", "#internal").
 * Pure: text in, a parsed list and the text without them out. Whether
 * an #assign address is staff is for the caller to check.
 */
#pragma once

#include <glib.h>

#include "domain.h"

#include "priority.h"

#define TG_COMMAND_ERROR (tg_command_error_quark ())
GQuark tg_command_error_quark (void);

/* Why a command line was refused; the caller tells staff in its words
 * (the phrases command-*), the message is for the log. */
typedef enum {
	TG_COMMAND_ERROR_INVALID,  /* a line looks like a command but is not
				      one we know (or has the wrong number
				      of words) */
	TG_COMMAND_ERROR_STATUS,   /* #status with a status we do not know */
	TG_COMMAND_ERROR_PRIORITY, /* #priority with a priority we do not
				      know */
	TG_COMMAND_ERROR_ADDRESS,  /* #assign with no address */
} TgCommandError;

typedef struct {
	gboolean has_status; /* a #status line was given */
	TgStatus status;     /* open, pending, resolved or closed */
	gboolean has_priority;
	TgPriority priority;
	char *assign;        /* NULL, or a lower-case address */
	gboolean internal;   /* store as a comment, do not relay */
	GPtrArray *lines;    /* char *: the command lines as written,
				NULL-terminated */
	char *text;          /* the text without the command block */
} TgCommands;

/*
 * tg_commands_parse: reads the command block at the top of @text: after
 * any blank lines, every line that starts with "#" and a letter, up to the
 * first other line. Blank lines inside the block are allowed.
 * A line of that shape that is not a valid command fails the whole block
 * with a TG_COMMAND_ERROR saying why, whose message names the line and
 * says what is accepted, so that nothing half-done happens.
 * Returns: (transfer full): the commands (possibly none), or NULL.
 */
TgCommands *tg_commands_parse (const char *text, GError **error)
	G_GNUC_WARN_UNUSED_RESULT;

/*
 * tg_commands_bad_line: (transfer full) (nullable): the line of @text's
 * command block that tg_commands_parse() refuses, as written without its
 * surrounding blanks; NULL when it refuses none.
 */
char *tg_commands_bad_line (const char *text);

/* tg_commands_is_empty: whether the block held no command at all. */
gboolean tg_commands_is_empty (const TgCommands *cmds);

/* tg_commands_free: NULL is allowed. */
void tg_commands_free (TgCommands *cmds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgCommands, tg_commands_free)
