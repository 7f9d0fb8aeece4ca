/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lmtp: the server side of one LMTP session (RFC 2033) on a pair of
 * descriptors. It speaks the protocol, reads the mail into a spool
 * (undoing dot-stuffing, CRLF to LF) and asks its caller for one reply
 * per recipient after DATA; it knows nothing of tickets or databases.
 * Every read and write has a deadline, a line and a mail have a size
 * limit, a transaction a number of recipients: a client cannot hold the
 * session longer or make it larger than those.
 */
#pragma once

#include <glib.h>

#include "spool.h"

/* One mail as the client handed it over. */
typedef struct {
	const char *sender;	     /* "" for the null sender <> */
	const char *const *recipients; /* NULL-terminated */
	const char *queue_id;	     /* nullable: XFORWARD IDENT */
	const TgSpool *spool;	     /* the mail, LF line ends */
} TgLmtpMail;

/* The reply for one recipient: @code (250, 451, 552, ...) and the text
 * after it, which starts with the enhanced status code. */
typedef struct {
	int code;
	char *text;
} TgLmtpReply;

typedef struct {
	const char *hostname;	/* in the greeting and LHLO's reply */
	gsize max_size;		/* SIZE, announced and enforced; 0: none */
	gsize spool_memory;	/* [limits] spool_memory */
	const char *spool_directory; /* nullable */
	guint max_recipients;	/* per transaction */
	int timeout;		/* seconds for each read and write */
	/*
	 * deliver: called after the end of the data, once for each
	 * recipient in turn (@index into mail->recipients); fills @reply.
	 * Returns FALSE when the session must end after this transaction
	 * (the process is to exit; lmtpd says why).
	 */
	gboolean (*deliver) (gpointer data, const TgLmtpMail *mail,
			     guint index, TgLmtpReply *reply);
	/* stopping: whether the server shuts down: an idle session is
	 * then closed with 421 at the next command. Checked whenever a
	 * wait is interrupted by a signal. */
	gboolean (*stopping) (gpointer data);
	gpointer data;
} TgLmtpServer;

typedef enum {
	TG_LMTP_END_QUIT,	/* the client said QUIT */
	TG_LMTP_END_CLOSED,	/* the client went away */
	TG_LMTP_END_TIMEOUT,	/* the client was silent too long */
	TG_LMTP_END_ERRORS,	/* too many bad commands */
	TG_LMTP_END_STOPPING,	/* the server shuts down */
	TG_LMTP_END_DELIVER,	/* deliver asked to end */
	TG_LMTP_END_IO,		/* a read or write failed */
} TgLmtpEnd;

/*
 * tg_lmtp_serve: greets and serves one session, reading @in_fd and
 * writing @out_fd (the same socket, or a pipe pair), until it ends.
 * Neither descriptor is closed.
 */
TgLmtpEnd tg_lmtp_serve (const TgLmtpServer *server, int in_fd, int out_fd);

/* tg_lmtp_end_name: "quit", "closed", "timeout", ... for the log. */
const char *tg_lmtp_end_name (TgLmtpEnd end);

/*
 * tg_lmtp_write_now: writes @line (with CRLF added) to @fd with write(2)
 * only, for a signal handler's last word ("421 ... time limit"). The
 * line must be prepared beforehand.
 */
void tg_lmtp_write_now (int fd, const char *line_crlf, gsize len);
