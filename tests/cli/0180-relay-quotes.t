#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The staff part of a notification (plan, deadline, instructions) is
# marked, and a staff reply that quotes it relays the answer and the
# customer's quoted words, never that part: as Gmail, Thunderbird and
# Outlook quote, in plain text and in HTML.
. "$TG_TOP_SRCDIR/tests/lib/common.sh"
TG_STAFF_ADDRESS="staff@desk.example"
tg_setup

tap_plan 26

tg customer add "ACME Corp" --plan GOLD --from 2026-01-01 \
	--contact jane@acme.example --domain acme.example >/dev/null
tg staff add alice@desk.example "Alice Smith" >/dev/null

mail "Jane Doe <jane@acme.example>" "Calls to +44 fail" >"$TEST_DIR/c1.eml"
deliver "$TEST_DIR/c1.eml" --received-at 2026-11-27T10:00:00+02:00
n=$(last_to staff@desk.example)
notice=$(text_of "$n")
like "$notice" "^==== for staff only: never relayed to the customer ====" "the notification's staff part is marked where it begins"
like "$(printf '%s\n' "$notice" | grep -n 'end of the part for staff only' | cut -d: -f1)" "^[0-9]+$" "... and where it ends"
like "$(printf '%s\n' "$notice" | sed -n '/end of the part for staff only/,$p')" "something is wrong" \
	"... with the customer's text after it"
signed=$(signed_for 1000)
nid=$(hdr "$n" Message-ID)

# reply NAME TYPE BODY: Alice's reply, as a client sends it.
reply() {
	{
		printf 'From: Alice Smith <alice@desk.example>\nTo: %s\n' "$signed"
		printf 'Subject: Re: [Support #1000] Calls to +44 fail\n'
		printf 'Message-ID: <%s@desk.example>\nIn-Reply-To: %s\n' "$1" "$nid"
		printf 'MIME-Version: 1.0\n%s\n\n' "$2"
		cat
	} >"$TEST_DIR/$1.eml"
}
quoted() { printf '%s\n' "$notice" | sed "s/^/$1/"; }
# check NAME: the relay of NAME reached Jane with the answer and the
# customer's words, without the staff part, in text and in HTML.
check() {
	before=$(count_to jane@acme.example)
	deliver_to "$signed" "$TEST_DIR/$1.eml"
	r=$(last_to jane@acme.example)
	is "$rc:$(count_to jane@acme.example)" "0:$((before + 1))" "$1: relayed to the customer"
	all="$(text_of "$r") $(html_of "$r")"
	like "$all" "restart the trunk" "$1: with the answer"
	if printf '%s' "$all" | grep -Eq 'Plan:|reaction time|Reply to answer|staff only|#assign'; then
		ok 1 "$1: without the staff part"
		printf '%s\n' "$all" | sed 's/^/# /' | head -n 40
	else
		ok 0 "$1: without the staff part"
	fi
}

# Gmail, plain text: an attribution line, "> " before every line.
{
	printf 'Hello Jane, please restart the trunk.\n\n'
	printf 'On Fri, 27 Nov 2026 at 10:05, Example Support <support@desk.example> wrote:\n\n'
	quoted '> '
} | reply gmail-text 'Content-Type: text/plain; charset=utf-8'
check gmail-text
like "$(text_of "$r")" "> something is wrong" "gmail-text: the customer's quoted words stay"

# Thunderbird, plain text, format=flowed, ">" nested under an older quote.
{
	printf 'Hello Jane,\n\nplease restart the trunk.\n\n'
	printf 'On 27.11.26 10:05, Jane Doe via Example Support wrote:\n'
	quoted '>'
	printf '>> an older quote\n'
} | reply thunderbird 'Content-Type: text/plain; charset=utf-8; format=flowed'
check thunderbird

# Outlook, plain text: the original pasted unquoted under a header block.
{
	printf 'Hello Jane, please restart the trunk.\n\n'
	printf -- '-----Original Message-----\nFrom: Jane Doe via Example Support <support@desk.example>\n'
	printf 'Sent: Friday, November 27, 2026 10:05 AM\nTo: Staff <staff@desk.example>\n'
	printf 'Subject: [Support #1000] Calls to +44 fail\n\n'
	quoted ''
} | reply outlook-text 'Content-Type: text/plain; charset=utf-8'
check outlook-text
like "$(text_of "$r")" "something is wrong" "outlook-text: the customer's words stay"

# Outlook, HTML with a plain alternative: the original in <div>s and <br>.
html=$(printf '%s\n' "$notice" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/^/<p class="MsoPlainText">/; s/$/<o:p><\/o:p><\/p>/')
{
	printf -- '--alt\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello Jane, please restart the trunk.\n\n-----Original Message-----\n\n'
	quoted ''
	printf -- '--alt\nContent-Type: text/html; charset=utf-8\n\n'
	printf '<html><body><p>Hello Jane, please restart the trunk.</p>\n'
	printf '<div style="border-top:solid #E1E1E1 1.0pt"><p><b>From:</b> Example Support</p></div>\n'
	printf '%s\n' "$html"
	printf '</body></html>\n--alt--\n'
} | reply outlook-html 'Content-Type: multipart/alternative; boundary="alt"'
check outlook-html
is "$(html_of "$r" | grep -c .)" "0" "outlook-html: the HTML that quoted the staff part is dropped, the clean text sent"

# Outlook, HTML only (no plain alternative): turned into clean text.
{
	printf '<html><body><p>Hello Jane, please restart the trunk.</p><hr>\n'
	printf '%s\n' "$html"
	printf '</body></html>\n'
} | reply outlook-html-only 'Content-Type: text/html; charset=utf-8'
check outlook-html-only

# Gmail, HTML: the quote in a <blockquote>, no ">" in the text.
{
	printf -- '--alt\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello Jane, please restart the trunk.\n\nOn Fri, Example Support wrote:\n\n'
	quoted '> '
	printf -- '--alt\nContent-Type: text/html; charset=utf-8\n\n'
	printf '<div dir="ltr">Hello Jane, please restart the trunk.</div><br>'
	printf '<div class="gmail_quote"><blockquote class="gmail_quote">'
	printf '%s\n' "$notice" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/$/<br>/'
	printf '</blockquote></div>\n--alt--\n'
} | reply gmail-html 'Content-Type: multipart/alternative; boundary="alt"'
check gmail-html

# The stored copies of the relays (what ticket show prints) are clean.
is "$(sql "SELECT count(*) FROM messages WHERE kind = 'relay'")" "6" "six relays stored"
is "$(sql "SELECT count(*) FROM messages WHERE kind = 'relay' AND (body_text LIKE '%reaction time%' OR body_text LIKE '%staff only%')")" \
	"0" "... none with the staff part"

tg_done
