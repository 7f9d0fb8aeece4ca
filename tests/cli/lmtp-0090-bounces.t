#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# cli/0090-bounces.t with every mail handed to "ticketgate lmtpd" over LMTP
# instead of piped to "ticketgate deliver" (tests/lib/lmtp-deliver).
TG_ENTRY=lmtp
export TG_ENTRY
exec sh "$TG_TOP_SRCDIR/tests/cli/0090-bounces.t"
