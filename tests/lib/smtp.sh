# SPDX-License-Identifier: GPL-3.0-or-later
#
# smtp.sh: the recording SMTP server (smtp_sink.py) for the tests/cli/*.t
# scripts that submit over SMTP. Source it after common.sh and tg_setup.
#
#   smtp_sink_start   starts the sink on 127.0.0.1, recording into
#                     $TG_SENDMAIL_DIR, so that sent_count, sent_mail,
#                     sent_args, last_to and count_to read what it took;
#                     sets $SINK_PORT and $SINK_PID, and stops it at exit
#   smtp_submit_config  points [mail] submit at the sink, and sendmail at
#                     a program that does not exist, so that a mail that
#                     went the old way would fail rather than be counted
#   smtp_sink_log     the sink's log: one line per connection and command

smtp_sink_stop() {
	if [ -n "${SINK_PID:-}" ]; then
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
		SINK_PID=
	fi
}

smtp_sink_start() {
	rm -f "$TEST_DIR/sink.port"
	python3 "$LIB/smtp_sink.py" --dir "$TG_SENDMAIL_DIR" \
		--port-file "$TEST_DIR/sink.port" --lifetime 600 &
	SINK_PID=$!
	trap 'smtp_sink_stop; tg_cleanup' EXIT
	wait_for 10 test -s "$TEST_DIR/sink.port" || bail "the SMTP sink did not start"
	SINK_PORT=$(cat "$TEST_DIR/sink.port")
}

smtp_submit_config() {
	sed -i "s|^sendmail = .*|sendmail = $TEST_DIR/no-sendmail\nsubmit = inet:127.0.0.1:$SINK_PORT|" \
		"$TICKETGATE_CONFIG"
}

smtp_sink_log() { cat "$TG_SENDMAIL_DIR/log" 2>/dev/null || true; }
