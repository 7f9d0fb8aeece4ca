/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lmtpd: the resident entry for busy desks. Postfix's lmtp(8) hands it
 * mail over LMTP (RFC 2033) on a unix socket or loopback TCP; a fixed
 * number of worker processes, each with a warm database connection,
 * takes every mail in exactly as deliver does (intake.h) and answers each
 * recipient once the mail is committed: 250, or 4xx for any fault of
 * ours, 5xx only for a mail over the size limit. The master process
 * holds the sockets, keeps the workers running, rereads the
 * configuration on SIGHUP and lets the sessions in flight finish on
 * SIGTERM. ticketgate-lmtpd(8).
 */
#pragma once

/*
 * tg_lmtpd_main: "ticketgate lmtpd [--stdio] [--listen ADDR]...".
 * @config_path: (nullable): from --config; NULL for the default
 * Returns: the exit code (sysexits.h).
 */
int tg_lmtpd_main (const char *config_path, int argc, char **argv);
