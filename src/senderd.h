/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * senderd: "ticketgate sender", the resident sender (ticketgate-sender(8)).
 * While it runs, deliver and lmtpd leave their answers to it: they commit
 * the outbox row unclaimed and NOTIFY, and return without waiting for
 * sendmail or SMTP (store.h, tg_store_add_outgoing()). Only one sender
 * sends per database; a second one stands by until the first is gone.
 */
#pragma once

/*
 * tg_senderd_main: "ticketgate sender". Runs until SIGTERM or SIGINT
 * (then exits 0 once the answer in hand is sent and recorded); SIGHUP
 * reads the configuration again, keeping the old one if the new one does
 * not load. Returns 78 for a bad configuration at start, 64 for bad
 * arguments.
 */
int tg_senderd_main (const char *config_path, int argc, char **argv);
