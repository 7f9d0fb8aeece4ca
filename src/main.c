/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main: the one ticketgate binary. Parses the global options, starts
 * logging and GMime, and hands the rest of the command line to the
 * subcommand. Only main() exits.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "admin.h"
#include "deliver.h"
#include "exitcode.h"
#include "lmtpd.h"
#include "senderd.h"
#include "log.h"
#include "message.h"
#include "store.h"
#include "sweep.h"

typedef struct {
	char *config;
	gboolean verbose;
	gboolean version;
} Globals;

static const char description[] =
	"Commands:\n"
	"  deliver              store one mail from standard input (for Postfix)\n"
	"  lmtpd                serve LMTP for Postfix's lmtp(8): the resident way\n"
	"  sender               send answers as they are written (resident)\n"
	"  sweep                send outgoing mail that is due\n";

/*
 * Global options come before the command; everything from the command
 * on belongs to it (strict POSIX parsing stops at the first word).
 */
static gboolean
parse_globals (int *argc, char ***argv, Globals *g, GError **error)
{
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &g->config,
		  "Configuration file (default: $TICKETGATE_CONFIG, else "
		  TG_SYSCONFDIR "/ticketgate/ticketgate.conf)", "FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &g->verbose,
		  "Log debug messages too", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &g->version,
		  "Print the version and exit", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr (GOptionContext) ctx =
		g_option_context_new ("COMMAND [ARGS...]");
	g_autofree char *full = g_strdup_printf ("%s%s", description,
						 tg_admin_usage ());

	g_option_context_add_main_entries (ctx, entries, NULL);
	g_option_context_set_strict_posix (ctx, TRUE);
	g_option_context_set_summary (ctx,
				      "An e-mail ticket desk with reaction-time "
				      "deadlines, run by Postfix.");
	g_option_context_set_description (ctx, full);
	return g_option_context_parse (ctx, argc, argv, error);
}

static int
dispatch (const Globals *g, int argc, char **argv)
{
	const char *command = argv[0];

	if (strcmp (command, "deliver") == 0)
		return tg_deliver_main (g->config, argc, argv);
	if (strcmp (command, "sweep") == 0)
		return tg_sweep_main (g->config, argc, argv);
	if (strcmp (command, "lmtpd") == 0)
		return tg_lmtpd_main (g->config, argc, argv);
	if (strcmp (command, "sender") == 0)
		return tg_senderd_main (g->config, argc, argv);
	if (tg_admin_is_command (command))
		return tg_admin_main (g->config, command, argc, argv);
	g_printerr ("ticketgate: unknown command \"%s\" "
		    "(see ticketgate --help)\n",
		    command);
	return EX_USAGE;
}

/*
 * A bad global option. The parse stopped before the command was found,
 * so any word "deliver" counts: deliver's caller is Postfix, and our
 * misconfiguration defers the mail instead of bouncing it. Everyone
 * else is a person or a timer, told 64.
 */
static int
globals_failed (int argc, char **argv, const GError *error)
{
	for (int i = 1; i < argc; i++)
		if (strcmp (argv[i], "deliver") == 0) {
			g_printerr ("%s ticketgate: bad arguments: %s\n",
				    tg_exit_status (TG_FAULT_USAGE),
				    error->message);
			return tg_exit_code (TG_FAULT_USAGE,
					     TG_CALLER_DELIVER);
		}
	g_printerr ("ticketgate: %s (see ticketgate --help)\n",
		    error->message);
	return EX_USAGE;
}

int
main (int argc, char **argv)
{
	Globals g = { 0 };
	g_autoptr (GError) error = NULL;
	gboolean is_deliver;
	int code;

	/* A sendmail that dies early must be an EPIPE, not our death; a
	 * spool file over the file size limit an EFBIG, so that deliver
	 * exits 75 with a reason. */
	signal (SIGPIPE, SIG_IGN);
	signal (SIGXFSZ, SIG_IGN);
	if (!parse_globals (&argc, &argv, &g, &error))
		return globals_failed (argc, argv, error);
	if (g.version) {
		printf ("ticketgate %s\n", PACKAGE_VERSION);
		g_autofree char *client = tg_store_client_version ();
		g_autofree char *mime = tg_message_library_version ();
		printf ("%s\n%s\n", client, mime);
		return EX_OK;
	}
	if (argc < 2) {
		g_printerr ("ticketgate: no command (see ticketgate --help)\n");
		return EX_USAGE;
	}
	is_deliver = strcmp (argv[1], "deliver") == 0 ||
		     strcmp (argv[1], "sweep") == 0 ||
		     strcmp (argv[1], "lmtpd") == 0 ||
		     strcmp (argv[1], "sender") == 0;
	/* The admin commands print for people; deliver and sweep only log,
	 * and loading a locale is a cost every delivery would pay. */
	if (!is_deliver)
		setlocale (LC_ALL, "");
	tg_log_init ("ticketgate", is_deliver ? TG_LOG_SYSLOG : TG_LOG_STDERR,
		     g.verbose);
	tg_message_init ();
	code = dispatch (&g, argc - 1, argv + 1);
	tg_message_shutdown ();
	g_free (g.config);
	return code;
}
