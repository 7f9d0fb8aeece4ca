#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A mail's bytes are stored once (doc/design.md, "Forwarding without a
# copy"): a 40 MB mail with attachments grows the database by at most
# 1.1 times its size, and the staff notification that forwards it still
# arrives whole: from deliver, which forwards it from its spool, and from
# sweep after sendmail failed, which reads the stored mail back.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 14

sed -i 's|^max_message_size = .*|max_message_size = 50M|' "$TICKETGATE_CONFIG"
# sweep runs at whatever time the suite runs: no daily queue to staff
# among the notifications counted here.
printf '\n[escalation]\ndaily_queue = false\n' >>"$TICKETGATE_CONFIG"

# big_mail SEED FILE: a mail of about 40 MB: a text part and five
# attachments of 6,000,000 random bytes each (under the default
# forward_attachment_max of 10M, so all are forwarded), base64 as mail
# clients write it. Random bytes do not compress, so the database keeps
# every byte and the figure below is not flattered.
big_mail() {
	python3 - "$1" "$2" <<'PY'
import base64, random, sys
seed, path = sys.argv[1], sys.argv[2]
rnd = random.Random(seed)
b = '=-boundary-' + seed
with open(path, 'w') as f:
    f.write('From: Jane Doe <jane@example.net>\nTo: support@desk.example\n'
            'Subject: Logs of the crash (%s)\n'
            'Date: Fri, 27 Nov 2026 17:30:00 +0200\n'
            'Message-ID: <big-%s@example.net>\nMIME-Version: 1.0\n'
            'Content-Type: multipart/mixed; boundary="%s"\n\n' % (seed, seed, b))
    f.write('--%s\nContent-Type: text/plain; charset=utf-8\n\n'
            'The switch crashed again; the dumps are attached.\n' % b)
    for i in range(1, 6):
        data = base64.encodebytes(rnd.randbytes(6000000)).decode()
        f.write('--%s\nContent-Type: application/octet-stream\n'
                'Content-Disposition: attachment; filename="dump-%d.bin"\n'
                'Content-Transfer-Encoding: base64\n\n%s' % (b, i, data))
    f.write('--%s--\n' % b)
PY
}

db_size() { sql "SELECT pg_database_size(current_database())"; }
# within LIMIT GROWTH SIZE: GROWTH <= LIMIT * SIZE; prints the ratio.
ratio() { python3 -c "import sys; print('%.3f' % (int(sys.argv[1]) / int(sys.argv[2])))" "$1" "$2"; }
at_most() { python3 -c "import sys; sys.exit(not float(sys.argv[1]) <= float(sys.argv[2]))" "$1" "$2"; }

big_mail one "$TEST_DIR/one.eml"
size_one=$(wc -c <"$TEST_DIR/one.eml")
python3 "$LIB/mailinfo.py" digests "$TEST_DIR/one.eml" >"$TEST_DIR/one.digests"
is "$(wc -l <"$TEST_DIR/one.digests")" "5" "the mail has its five attachments ($size_one bytes)"

# 1. deliver sends the notification at once, forwarding from its spool.
before=$(db_size)
deliver "$TEST_DIR/one.eml"
is "$rc" "0" "a 40 MB mail is stored"
note=$(last_to staff@desk.example)
is "$(count_to staff@desk.example)" "1" "staff get one notification"
python3 "$LIB/mailinfo.py" digests "$note" >"$TEST_DIR/note.digests"
is "$(cat "$TEST_DIR/note.digests")" "$(cat "$TEST_DIR/one.digests")" \
	"it forwards every attachment whole (the same SHA-256 once decoded)"
like "$(text_of "$note")" "The switch crashed again" "and the customer's text"
tg sweep >/dev/null 2>&1
growth=$(( $(db_size) - before ))
r=$(ratio "$growth" "$size_one")
echo "# the database grew by $growth bytes for a mail of $size_one bytes: $r times"
at_most "$r" 1.1
ok $? "the database grows by at most 1.1 times the mail ($r)"
got=$(sql "SELECT max(length(raw)) < 65536, count(*) FILTER (WHERE encloses IS NOT NULL)
	   FROM messages WHERE direction = 'out'")
is "$got" "t|1" "the stored notification is small, and names the mail it encloses"

# 2. sendmail fails: the notification waits in the outbox, and sweep
# makes it whole from the stored mail.
big_mail two "$TEST_DIR/two.eml"
size_two=$(wc -c <"$TEST_DIR/two.eml")
python3 "$LIB/mailinfo.py" digests "$TEST_DIR/two.eml" >"$TEST_DIR/two.digests"
before=$(db_size)
echo "4.3.0 queue full" >"$TG_SENDMAIL_DIR/fail"
deliver "$TEST_DIR/two.eml"
rm -f "$TG_SENDMAIL_DIR/fail"
is "$rc:$(count_to staff@desk.example)" "0:1" "stored while sendmail fails; the notification waits"
tg sweep --flush >/dev/null 2>&1 && rc=0 || rc=$?
note=$(last_to staff@desk.example)
is "$rc:$(count_to staff@desk.example)" "0:2" "sweep sends it"
python3 "$LIB/mailinfo.py" digests "$note" >"$TEST_DIR/note.digests"
is "$(cat "$TEST_DIR/note.digests")" "$(cat "$TEST_DIR/two.digests")" \
	"read back from the database, every attachment arrives whole"
want=$(sql "SELECT '<' || message_id || '>' FROM messages WHERE direction = 'out'
	    AND kind = 'notice' AND encloses = (SELECT id FROM messages
	    WHERE message_id = 'big-two@example.net')")
is "$(hdr "$note" Message-ID)" "$want" "with the Message-ID fixed when it was stored"
growth=$(( $(db_size) - before ))
r=$(ratio "$growth" "$size_two")
echo "# the database grew by $growth bytes for a mail of $size_two bytes: $r times"
at_most "$r" 1.1
ok $? "the database grows by at most 1.1 times the mail here too ($r)"
tg sweep --flush >/dev/null 2>&1
is "$(count_to staff@desk.example)" "2" "a second sweep sends nothing again"

# 3. A redelivery of the mail sends nothing twice.
deliver "$TEST_DIR/two.eml"
is "$rc:$(count_to staff@desk.example):$(sql 'SELECT count(*) FROM tickets')" "0:2:2" \
	"a redelivered 40 MB mail: no second ticket, no second notification"

tg_done
