# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the quick-start scripts: install what is missing, build.

top=$(cd "$(dirname "$0")/../.." && pwd)

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the demo need.
PACKAGES="gcc make autoconf automake pkg-config libglib2.0-dev
libgmime-3.0-dev libgpgme-dev libassuan-dev libidn2-dev libunistring-dev
zlib1g-dev libpq-dev libssl-dev postgresql-server-dev-all postgresql
postgresql-client tzdata python3 opendkim opendkim-tools chromium poppler-utils
util-linux ca-certificates clang libclang-rt-14-dev"

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Postfix, for the end-to-end tests (they start a private instance), but
# never in place of another mail server this machine already has: those
# tests then skip themselves.
postfix_wanted() {
	for mta in exim4-daemon-light exim4-daemon-heavy sendmail-bin opensmtpd \
		courier-mta dma nullmailer; do
		installed "$mta" && return 1
	done
	return 0
}

install_missing() {
	missing=""
	extra=""
	postfix_wanted && extra=postfix
	for p in $PACKAGES $extra "$@"; do
		installed "$p" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	[ "$(id -u)" = 0 ] || die "run as root (or with sudo) to install:$missing"
	# Installing postgresql must not start or enable the system cluster:
	# ticketgate runs its own, private ones.
	policy=/usr/sbin/policy-rc.d
	restore=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		restore=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# No system mail configuration: the tests run their own instance.
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections 2>/dev/null || :
	apt-get update -q >/dev/null &&
		apt-get install -y -q --no-install-recommends $missing >/dev/null ||
		{ [ -n "$restore" ] && rm -f "$policy"; die "apt-get install failed"; }
	[ -n "$restore" ] && rm -f "$policy"
	return 0
}

build() {
	cd "$top"
	if [ ! -x configure ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	if [ ! -f Makefile ]; then
		say "configure"
		./configure -q --enable-werror "$@"
	fi
	say "make"
	make -s -j"$(nproc)" >/dev/null
}
