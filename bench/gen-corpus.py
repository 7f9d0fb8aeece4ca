#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen-corpus.py: the benchmark's mail, deterministic from a seed.

    gen-corpus.py --out DIR [--seed N] [--mails N] [--customers N]
                  [--large 25,100] [--hostile 1,10,40]

writes
    DIR/desk.sql      customers (all plans), their domains, contacts and
                      subscriptions, and the desk's public holidays
    DIR/mails/*.eml   the corpus, one mail a file, as Postfix's pipe(8)
                      hands it over (LF line ends, Delivered-To and
                      Received on top)
    DIR/list.tsv      PATH<TAB>SENDER<TAB>RECIPIENT per mail, in order
    DIR/summary.json  what the corpus holds (kinds, sizes, charsets)
    DIR/large/*.eml   with --large: one mail per size, each with one
                      attachment of that many MiB (and large.tsv)
    DIR/hostile/*.eml with --hostile: for each size in MB, an ordinary
                      mail (a base64 attachment) and the pathological
                      shapes of HOSTILE_SHAPES, each as large (and
                      hostile.tsv: PATH, SENDER, RECIPIENT, shape, MB)

The mix (issue 6): about 68 % new tickets from known customers across
all plans (by contact address, by domain and by subdomain), 25 % replies
into earlier tickets, 3 % new tickets from unknown senders and 4 %
machine mail (bounces as multipart/report delivery-status, auto-replies
with Auto-Submitted). Sizes run from 2 KB to a few hundred KB: plain
text, text plus HTML, HTML only, and base64 attachments. Charsets:
UTF-8, ISO-8859-1, KOI8-R and US-ASCII, with RFC 2047 subjects and
names, in 7bit, 8bit, quoted-printable and base64.

Every Message-ID holds the 8 bytes "BENCHRUN", which bench/tg-runner
replaces per pass, so one corpus can be delivered many times into one
database; replies point at earlier mails of the same pass by their
Message-ID (In-Reply-To/References) and at acknowledgments whose ids
ticketgate generated (ticketgate.<hex>@desk.example, never stored, as
the real ones are unknown in advance), so threading walks the same path
as in production. Replies come at least REPLY_GAP mails after what they
answer, so that with a few concurrent workers the original is stored.
"""

import argparse
import base64
import binascii
import datetime
import email.utils
import json
import os
import random
import sys

SUPPORT = "support@desk.example"
PLACEHOLDER = "BENCHRUN"
REPLY_GAP = 12

PLAN_MIX = [("PLATINUM", 10), ("GOLD", 20), ("SILVER", 25), ("BRONZE", 25),
            ("NONE", 10), ("FREE", 10)]
CHARSET_MIX = [("utf-8", 55), ("iso-8859-1", 20), ("koi8-r", 10),
               ("us-ascii", 15)]

FIRST = ["Anna", "Jonas", "Marie", "Lukas", "Sophie", "Paul", "Laura",
         "Felix", "Emma", "David", "Clara", "Simon", "Julia", "Tomas",
         "Ieva", "Mantas", "Olga", "Pierre", "Chloé", "Jürgen", "Renée"]
LAST = ["Müller", "Schmidt", "Kazlauskas", "Petrauskas", "Dubois", "Martin",
        "Novak", "Ivanova", "Smith", "Jones", "Lefèvre", "Weiß", "Berg",
        "Jansen", "Rossi", "Fischer"]
RU_NAMES = ["Ольга Иванова", "Сергей Петров", "Анна Смирнова",
            "Дмитрий Кузнецов"]
WORDS = ["telecom", "logistics", "media", "clinic", "foods", "systems",
         "energy", "travel", "retail", "finance", "studio", "labs"]

EN = [
    "Since the update to version {v} our call queue stops answering after about {n} minutes.",
    "The web console shows error {e} when we open the trunk settings.",
    "Could you please check why outgoing calls fail for extension {n}?",
    "We restarted the service twice, but the problem came back within an hour.",
    "Attached is the log from this morning; the failure starts at 09:{n:02d}.",
    "Our users report one-way audio on roughly {n} percent of external calls.",
    "Is there a known issue with the voicemail to e-mail feature in {v}?",
    "The licence page says the licence expires, although we renewed it last month.",
    "Please advise how to move the recordings to a second disk.",
    "After changing the time zone the reports show calls one hour late.",
    "Nothing changed on our side except the new certificate.",
    "We would appreciate a quick answer, since the sales team depends on it.",
]
EN_SCOPE = [
    "We also need help with the firewall rules on the new router.",
    "Part of this is a server migration to new hardware next week.",
    "Could you quote custom development of a report for our call centre?",
    "Our SNMP monitoring no longer sees the box.",
    "We are planning a redundancy set-up with a second node.",
]
DE = [
    "Seit dem Update auf Version {v} funktioniert die Weiterleitung nicht mehr.",
    "Können Sie bitte prüfen, ob unsere Konfiguration gültig ist?",
    "Die Anrufe werden nach {n} Sekunden ohne Ansage getrennt.",
    "Im Protokoll erscheint der Fehler {e}; wir wissen nicht, woher er kommt.",
    "Für eine schnelle Rückmeldung wären wir sehr dankbar.",
    "Außerdem möchten wir wissen, wie man die Sprachbox für Gruppen einrichtet.",
]
FR = [
    "Depuis la mise à jour {v}, le serveur ne répond plus après {n} minutes.",
    "Pourriez-vous vérifier la configuration des files d'attente ?",
    "Les appels entrants sont coupés dès qu'ils sont transférés.",
    "Nous avons redémarré le service, sans succès. Le journal affiche {e}.",
    "Merci d'avance pour votre aide rapide, c'est assez urgent.",
]
RU = [
    "После обновления до версии {v} сервер перестал принимать звонки.",
    "Проверьте, пожалуйста, настройки очереди, ошибка {e} повторяется.",
    "Звонки обрываются примерно через {n} секунд после ответа.",
    "Мы уже перезапускали службу, но это не помогло.",
    "Будем благодарны за быстрый ответ, это срочно.",
]
SUBJECTS = {
    "en": ["Call queue stops answering", "Error {e} in the web console",
           "Outgoing calls fail", "One-way audio on external calls",
           "Voicemail to e-mail broken after update", "Licence shows expired",
           "Reports one hour late", "Question about recordings storage"],
    "de": ["Weiterleitung funktioniert nicht", "Fehler {e} nach dem Update",
           "Anrufe werden getrennt – dringend", "Frage zur Sprachbox für Gruppen"],
    "fr": ["Le serveur ne répond plus", "Problème de file d'attente",
           "Appels coupés après transfert – urgent"],
    "ru": ["Сервер не принимает звонки", "Ошибка {e} после обновления",
           "Обрываются звонки"],
}
GREETING = {"en": "Hello support,", "de": "Guten Tag,", "fr": "Bonjour,",
            "ru": "Здравствуйте!"}
CLOSING = {"en": "Best regards,", "de": "Mit freundlichen Grüßen",
           "fr": "Cordialement,", "ru": "С уважением,"}
DISCLAIMER = ("This e-mail and any attachments are confidential and may be "
              "privileged. If you are not the intended recipient, please "
              "notify the sender immediately and delete this e-mail. Any "
              "use, disclosure or copying is prohibited. ")
ATTACHMENTS = [("application/pdf", "report-{n}.pdf"),
               ("image/png", "screenshot-{n}.png"),
               ("image/jpeg", "photo-{n}.jpg"),
               ("application/zip", "logs-{n}.zip"),
               ("text/plain", "debug-{n}.log")]
MAILERS = ["Microsoft Outlook 16.0", "Mozilla Thunderbird 115.6.0",
           "Apple Mail (2.3774)", "Roundcube Webmail/1.6.5",
           "Evolution 3.46.4"]


def weighted(rng, mix):
    total = sum(w for _, w in mix)
    r = rng.uniform(0, total)
    for item, w in mix:
        r -= w
        if r <= 0:
            return item
    return mix[-1][0]


def rfc2047(text, charset):
    """Encoded words of at most 75 characters, folded (RFC 2047 2, 5)."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        pass
    q = charset == "iso-8859-1"
    words, chunk = [], ""
    for ch in text:
        cand = chunk + ch
        raw = cand.encode(charset)
        enc = (binascii.b2a_qp(raw, header=True).decode().replace("?", "=3F")
               if q else base64.b64encode(raw).decode())
        if len(enc) + len(charset) + 7 > 75 and chunk:
            words.append(chunk)
            chunk = ch
        else:
            chunk = cand
    words.append(chunk)
    out = []
    for w in words:
        raw = w.encode(charset)
        if q:
            enc = binascii.b2a_qp(raw, header=True).decode().replace("?", "=3F")
            out.append("=?%s?Q?%s?=" % (charset, enc))
        else:
            out.append("=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode()))
    return "\n ".join(out)


def address(name, addr, charset):
    if name is None:
        return addr
    try:
        name.encode("ascii")
        return '"%s" <%s>' % (name, addr) if "," in name else "%s <%s>" % (name, addr)
    except UnicodeEncodeError:
        cs = charset if charset != "us-ascii" else "utf-8"
        try:
            name.encode(cs)
        except UnicodeEncodeError:
            cs = "utf-8"
        return "%s <%s>" % (rfc2047(name, cs), addr)


def encode(text, charset):
    """text in charset; names and words it cannot hold lose their accents
    (a Lithuanian name in a KOI8-R mail), as mail clients do."""
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        return ascii_local(text, lower=False).encode(charset, errors="replace")


class Corpus:
    def __init__(self, seed, n_customers):
        self.rng = random.Random(seed)
        self.seed = seed
        self.customers = []
        self.base = datetime.datetime(2026, 3, 2, 8, 0, 0,
                                      tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
        rng = self.rng
        for c in range(n_customers):
            plan = weighted(rng, PLAN_MIX)
            domain = "c%03d-%s.example" % (c, rng.choice(WORDS))
            contacts = []
            for _ in range(rng.randint(1, 3)):
                f, l = rng.choice(FIRST), rng.choice(LAST)
                local = ascii_local(f) + "." + ascii_local(l)
                contacts.append((f + " " + l, "%s@%s" % (local, domain)))
            self.customers.append({
                "name": "Customer %03d %s" % (c, domain.split("-")[1].split(".")[0].title()),
                "domain": domain, "plan": plan, "contacts": contacts,
                # NONE customers: half have no subscription at all (the
                # fallback plan), half an explicit NONE row.
                "subscribe": not (plan == "NONE" and c % 2 == 0),
                "history": c % 5 == 0,
            })

    def desk_sql(self):
        out = ["-- generated by bench/gen-corpus.py --seed %d" % self.seed,
               "BEGIN;"]
        esc = lambda s: s.replace("'", "''")
        rows = ",\n".join("('%s')" % esc(c["name"]) for c in self.customers)
        out.append("INSERT INTO customers (name) VALUES\n%s;" % rows)
        rows = ",\n".join("('%s', '%s')" % (esc(c["name"]), c["domain"])
                          for c in self.customers)
        out.append("INSERT INTO customer_domains (domain, customer_id)\n"
                   " SELECT v.d, c.id FROM (VALUES\n%s) AS v (n, d)\n"
                   " JOIN customers c ON c.name = v.n;" % rows)
        rows = ",\n".join("('%s', '%s', '%s')" % (esc(c["name"]), a, esc(n))
                          for c in self.customers for n, a in c["contacts"])
        out.append("INSERT INTO contacts (address, customer_id, name)\n"
                   " SELECT v.a, c.id, v.m FROM (VALUES\n%s) AS v (n, a, m)\n"
                   " JOIN customers c ON c.name = v.n ON CONFLICT DO NOTHING;" % rows)
        subs = []
        for c in self.customers:
            if c["history"]:
                subs.append("('%s', 'BRONZE', '2024-01-01', '2025-12-31')" % esc(c["name"]))
            if c["subscribe"]:
                subs.append("('%s', '%s', '2026-01-01', NULL)" % (esc(c["name"]), c["plan"]))
        out.append("INSERT INTO subscriptions (customer_id, plan, valid_from, valid_until)\n"
                   " SELECT c.id, v.p, v.f::date, v.u::date FROM (VALUES\n%s) AS v (n, p, f, u)\n"
                   " JOIN customers c ON c.name = v.n;" % ",\n".join(subs))
        holidays = ["2026-01-01", "2026-02-16", "2026-03-11", "2026-04-05",
                    "2026-04-06", "2026-05-01", "2026-06-24", "2026-07-06",
                    "2026-08-15", "2026-11-01", "2026-11-02", "2026-12-24",
                    "2026-12-25", "2026-12-26", "2027-01-01", "2027-02-16",
                    "2027-03-11", "2027-03-28", "2027-03-29", "2027-05-01"]
        out.append("INSERT INTO holidays (day, name) VALUES\n%s\n"
                   " ON CONFLICT DO NOTHING;" %
                   ",\n".join("('%s', 'holiday')" % d for d in holidays))
        out.append("INSERT INTO staff (address, name) VALUES "
                   "('alice@desk.example', 'Alice') ON CONFLICT DO NOTHING;")
        out.append("COMMIT;")
        return "\n".join(out) + "\n"

    # ---- pieces of a mail ------------------------------------------------

    def qid(self):
        alphabet = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
        return "4" + "".join(self.rng.choice(alphabet) for _ in range(12))

    def date(self, i):
        return self.base + datetime.timedelta(seconds=97 * i)

    def message_id(self, i, domain):
        return "<%08x.%05d.%s@mail.%s>" % (self.rng.getrandbits(32), i,
                                           PLACEHOLDER, domain)

    def ack_id(self):
        return "<ticketgate.%032x@desk.example>" % self.rng.getrandbits(128)

    def lang_for(self, charset):
        rng = self.rng
        if charset == "us-ascii":
            return "en"
        if charset == "koi8-r":
            return "ru"
        if charset == "iso-8859-1":
            return rng.choice(["de", "fr", "en"])
        return rng.choice(["en", "en", "de", "fr", "ru"])

    def fill(self, s):
        rng = self.rng
        return s.format(v="%d.%d.%d" % (rng.randint(14, 18), rng.randint(0, 9),
                                        rng.randint(0, 30)),
                        n=rng.randint(2, 59), e="E%04d" % rng.randint(100, 9999))

    def text(self, lang, target, name):
        rng = self.rng
        pool = {"en": EN, "de": DE, "fr": FR, "ru": RU}[lang]
        paras = [GREETING[lang], ""]
        size = 0
        while size < target:
            sentences = [self.fill(rng.choice(pool)) for _ in range(rng.randint(2, 5))]
            if lang == "en" and rng.random() < 0.08:
                sentences.append(rng.choice(EN_SCOPE))
            p = wrap(" ".join(sentences))
            paras += [p, ""]
            size += len(p.encode("utf-8")) + 1
        paras += [CLOSING[lang], name, "", "-- ", name,
                  "Phone +370 5 %03d %04d" % (rng.randint(100, 999), rng.randint(0, 9999)),
                  wrap(DISCLAIMER * rng.randint(1, 2))]
        return "\n".join(paras) + "\n"

    def html(self, text):
        paras = "".join("<p class=MsoNormal>%s</p>\n" % p.replace("&", "&amp;")
                        .replace("<", "&lt;").replace("\n", "<br>\n")
                        for p in text.split("\n\n"))
        style = ("<style><!--\n/* Font Definitions */\n@font-face {font-family:Calibri;}\n"
                 "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt;"
                 " font-family:\"Calibri\",sans-serif;}\n"
                 "a:link, span.MsoHyperlink {color:#0563C1; text-decoration:underline;}\n"
                 ".MsoChpDefault {mso-style-type:export-only;}\n--></style>\n")
        return ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">\n"
                "<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
                + style + "</head>\n<body lang=EN-US link=\"#0563C1\">\n"
                "<div class=WordSection1>\n" + paras + "</div>\n</body>\n</html>\n")

    def encode_text(self, text, charset, subtype="plain"):
        """A text part's headers and body bytes, in a transfer encoding
        the charset suggests."""
        rng = self.rng
        raw = encode(text, charset)
        if charset == "us-ascii":
            cte, body = "7bit", raw
        elif charset == "iso-8859-1" or (charset == "utf-8" and rng.random() < 0.5):
            cte, body = "quoted-printable", binascii.b2a_qp(raw)
        elif rng.random() < 0.5:
            cte, body = "base64", base64.encodebytes(raw)
        else:
            cte, body = "8bit", raw
        head = "Content-Type: text/%s; charset=%s%s\nContent-Transfer-Encoding: %s\n" % (
            subtype, charset, "; format=flowed" if subtype == "plain" and rng.random() < 0.2 else "",
            cte)
        return head, body

    def attachment(self, size):
        rng = self.rng
        ctype, name = rng.choice(ATTACHMENTS)
        name = name.format(n=rng.randint(1, 999))
        if ctype == "text/plain":
            lines, n = [], 0
            while n < size:
                l = "2026-03-02 09:%02d:%02d.%03d [%s] chan_sip.c:%d handle_request: %s\n" % (
                    rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
                    rng.choice(["NOTICE", "WARNING", "DEBUG", "ERROR"]),
                    rng.randint(100, 30000),
                    rng.choice(["Registration from '<sip:%d@10.0.0.%d>' failed" % (
                        rng.randint(100, 999), rng.randint(1, 254)),
                        "Retransmission timeout reached on transmission",
                        "Got SIP response 486 \"Busy Here\" back",
                        "Call-ID %x marked for destruction" % rng.getrandbits(64)]))
                lines.append(l)
                n += len(l)
            data = "".join(lines).encode()
        else:
            data = rng.randbytes(size)
        return ("Content-Type: %s; name=\"%s\"\nContent-Disposition: attachment; "
                "filename=\"%s\"\nContent-Transfer-Encoding: base64\n" % (ctype, name, name),
                base64.encodebytes(data))

    def boundary(self):
        return "----=_Part_%d_%d.%d" % (self.rng.getrandbits(24), self.rng.getrandbits(30),
                                         self.rng.getrandbits(40))

    def body(self, lang, charset, name, quoted=None):
        """Content-Type headers and body bytes of a person's mail, in one
        of the shapes real mail has; returns (head, body, shape)."""
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            shape, target = "plain", rng.randint(1200, 4500)
        elif r < 0.78:
            shape, target = "alternative", rng.randint(1500, 9000)
        elif r < 0.83:
            shape, target = "html", rng.randint(1500, 9000)
        else:
            shape, target = "attachment", rng.randint(500, 3000)
        text = self.text(lang, target, name)
        if quoted:
            text += "\n" + "\n".join("> " + l for l in quoted.splitlines()) + "\n"
        if shape == "plain":
            head, body = self.encode_text(text, charset)
            return head, body, shape
        if shape == "html":
            head, body = self.encode_text(self.html(text), "utf-8", "html")
            return head, body, shape
        b = self.boundary()
        parts = [self.encode_text(text, charset)]
        if shape == "alternative":
            parts.append(self.encode_text(self.html(text), "utf-8", "html"))
            ctype = "multipart/alternative"
        else:
            for _ in range(1 if rng.random() < 0.8 else 2):
                # log-uniform from 16 KiB to 320 KiB before base64
                size = int(16384 * (20 ** rng.random()))
                parts.append(self.attachment(size))
            ctype = "multipart/mixed"
        out = [b"This is a multi-part message in MIME format.\n"]
        for h, bd in parts:
            out.append(("\n--%s\n%s\n" % (b, h)).encode("ascii") + bd)
        out.append(("\n--%s--\n" % b).encode("ascii"))
        return ("Content-Type: %s;\n boundary=\"%s\"\n" % (ctype, b), b"".join(out),
                shape)

    def envelope_head(self, i, sender_domain):
        """What our Postfix adds on top: Delivered-To, Received (ours on
        top, then the customer's outbound relay)."""
        rng = self.rng
        d = email.utils.format_datetime(self.date(i))
        ip = "198.51.100.%d" % rng.randint(1, 254)
        return ("Delivered-To: %s\n"
                "Received: from mail.%s (mail.%s [%s])\n"
                "\tby mx.desk.example (Postfix) with ESMTPS id %s\n"
                "\tfor <%s>; %s\n"
                "Received: from [10.1.%d.%d] (unknown [10.1.%d.%d])\n"
                "\tby mail.%s (Postfix) with ESMTPSA id %s;\n\t%s\n" % (
                    SUPPORT, sender_domain, sender_domain, ip, self.qid(),
                    SUPPORT, d, rng.randint(0, 9), rng.randint(2, 250),
                    rng.randint(0, 9), rng.randint(2, 250), sender_domain,
                    self.qid(), d))

    def person_mail(self, i, frm_name, frm, subject, charset, lang, extra="",
                    quoted=None, cc=None):
        rng = self.rng
        domain = frm.split("@", 1)[1]
        mid = self.message_id(i, domain)
        head, body, shape = self.body(lang, charset, frm_name, quoted)
        scs = charset if charset != "us-ascii" else "utf-8"
        try:
            subject.encode(scs)
        except UnicodeEncodeError:
            scs = "utf-8"
        h = [self.envelope_head(i, domain),
             "From: %s\n" % address(frm_name, frm, charset),
             "To: Example Support <%s>\n" % SUPPORT]
        if cc:
            h.append("Cc: %s\n" % cc)
        h.append("Subject: %s\n" % rfc2047(subject, scs))
        h.append("Date: %s\n" % email.utils.format_datetime(self.date(i) - datetime.timedelta(seconds=rng.randint(2, 40))))
        h.append("Message-ID: %s\n" % mid)
        h.append(extra)
        if rng.random() < 0.05:
            h.append("X-Priority: 1 (Highest)\nImportance: high\n")
        h.append("User-Agent: %s\nMIME-Version: 1.0\n" % rng.choice(MAILERS))
        h.append(head)
        return mid, ("".join(h) + "\n").encode("ascii") + body, shape

    # ---- kinds of mail ---------------------------------------------------

    def new_ticket(self, i, unknown=False):
        rng = self.rng
        charset = weighted(rng, CHARSET_MIX)
        lang = self.lang_for(charset)
        cust = None
        if unknown:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            name = f + " " + l
            frm = "%s.%s%d@%s" % (ascii_local(f), ascii_local(l), rng.randint(1, 99),
                                  rng.choice(["freemail.example.net", "mail.example.org"]))
        else:
            cust = rng.choice(self.customers)
            r = rng.random()
            name, frm = rng.choice(cust["contacts"])
            if r < 0.25:   # a colleague: matched by the domain
                f = rng.choice(FIRST)
                name = f + " " + rng.choice(LAST)
                frm = "%s%d@%s" % (ascii_local(f), rng.randint(1, 99), cust["domain"])
            elif r < 0.32:  # a branch office: matched by the parent domain
                frm = "%s@branch.%s" % (frm.split("@")[0], cust["domain"])
        if lang == "ru" and rng.random() < 0.7:
            name = rng.choice(RU_NAMES)
        subject = self.fill(rng.choice(SUBJECTS[lang]))
        cc = None
        if cust is not None and rng.random() < 0.2:
            n2, a2 = rng.choice(cust["contacts"])
            if a2 != frm:
                cc = address(n2, a2, "utf-8")
        extra = ""
        if rng.random() < 0.03:
            extra = "Reply-To: %s\n" % frm.replace("@", "+tickets@", 1)
        mid, data, shape = self.person_mail(i, name, frm, subject, charset, lang,
                                            extra=extra, cc=cc)
        return {"kind": "unknown" if unknown else "new", "sender": frm, "mid": mid,
                "subject": subject, "name": name, "charset": charset, "lang": lang,
                "shape": shape, "data": data, "plan": cust["plan"] if cust else None,
                "refs": [mid]}

    def reply(self, i, orig):
        rng = self.rng
        ack = self.ack_id()
        if rng.random() < 0.6:
            # answering our acknowledgment: In-Reply-To is its id
            irt, refs = ack, orig["refs"] + [ack]
        else:
            # "forgot the attachment": answering their own last mail
            irt, refs = orig["mid"], list(orig["refs"])
        refs = refs[-10:]
        extra = "In-Reply-To: %s\nReferences: %s\n" % (irt, "\n ".join(refs))
        charset, lang = orig["charset"], orig["lang"]
        subject = orig["subject"]
        prefix = {"de": "AW: ", "fr": "RE : ", "ru": "Re: "}.get(lang, "Re: ")
        quoted = "\n".join(orig.get("quote", ["(previous mail)"]))
        mid, data, shape = self.person_mail(i, orig["name"], orig["sender"],
                                            prefix + subject, charset, lang,
                                            extra=extra, quoted=quoted)
        return {"kind": "reply", "sender": orig["sender"], "mid": mid,
                "subject": subject, "name": orig["name"], "charset": charset,
                "lang": lang, "shape": shape, "data": data, "plan": orig["plan"],
                "refs": refs + [mid]}

    def bounce(self, i, orig):
        rng = self.rng
        domain = orig["sender"].split("@", 1)[1]
        b = self.boundary()
        ack = self.ack_id()
        d = email.utils.format_datetime(self.date(i))
        qid = self.qid()
        text = ("This is the mail system at host mail.%s.\n\n"
                "I'm sorry to have to inform you that your message could not\n"
                "be delivered to one or more recipients. It's attached below.\n\n"
                "For further assistance, please send mail to postmaster.\n\n"
                "                   The mail system\n\n"
                "<%s>: host mbox.%s[203.0.113.7] said: 550 5.1.1 <%s>:\n"
                "    Recipient address rejected: User unknown in local recipient table\n"
                % (domain, orig["sender"], domain, orig["sender"]))
        status = ("Reporting-MTA: dns; mail.%s\nX-Postfix-Queue-ID: %s\n"
                  "Arrival-Date: %s\n\nFinal-Recipient: rfc822; %s\n"
                  "Original-Recipient: rfc822;%s\nAction: failed\nStatus: 5.1.1\n"
                  "Remote-MTA: dns; mbox.%s\nDiagnostic-Code: smtp; 550 5.1.1 <%s>:"
                  " Recipient address rejected: User unknown\n"
                  % (domain, qid, d, orig["sender"], orig["sender"], domain, orig["sender"]))
        headers = ("Received: by mx.desk.example (Postfix, from userid 0)\n\tid %s; %s\n"
                   "From: Example Support <%s>\nTo: %s\nSubject: [Support #%d] %s\n"
                   "Date: %s\nMessage-ID: %s\nIn-Reply-To: %s\nAuto-Submitted: auto-replied\n"
                   "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                   % (self.qid(), d, SUPPORT, orig["sender"], 1000 + i,
                      rfc2047(orig["subject"], "utf-8"), d, ack, orig["mid"]))
        body = ("This is a MIME-encapsulated message.\n\n"
                "--%s\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                "--%s\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n%s\n"
                "--%s\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n%s\n"
                "--%s--\n" % (b, text, b, status, b, headers, b))
        head = (self.envelope_head(i, domain) +
                "Date: %s\nFrom: MAILER-DAEMON@mail.%s (Mail Delivery System)\n"
                "Subject: Undelivered Mail Returned to Sender\nTo: %s\n"
                "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
                "Content-Type: multipart/report; report-type=delivery-status;\n"
                "\tboundary=\"%s\"\nContent-Transfer-Encoding: 7bit\n"
                "Message-Id: %s\n\n" % (d, domain, SUPPORT, b, self.message_id(i, domain)))
        return {"kind": "bounce", "sender": "", "data": (head + body).encode(),
                "charset": "us-ascii", "shape": "report"}

    def auto_reply(self, i, orig):
        rng = self.rng
        ack = self.ack_id()
        charset, lang = orig["charset"], orig["lang"]
        text = {"en": "I am out of the office until %d March with no access to e-mail.\n"
                      "For urgent matters please contact our office.\n",
                "de": "Ich bin bis zum %d. März nicht im Büro und lese keine E-Mails.\n",
                "fr": "Je suis absent(e) jusqu'au %d mars, sans accès à ma messagerie.\n",
                "ru": "Я в отпуске до %d марта и не читаю почту.\n"}[lang] % rng.randint(5, 28)
        head, body = self.encode_text(text, charset)
        domain = orig["sender"].split("@", 1)[1]
        data = (self.envelope_head(i, domain) +
                "From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: %s\n"
                "In-Reply-To: %s\nReferences: %s\n %s\nAuto-Submitted: auto-replied\n"
                "X-Autoreply: yes\nX-Auto-Response-Suppress: All\n"
                "MIME-Version: 1.0\n%s\n" % (
                    address(orig["name"], orig["sender"], charset), SUPPORT,
                    rfc2047("Automatic reply: [Support #%d] %s" % (1000 + i, orig["subject"]),
                            charset if charset != "us-ascii" else "utf-8"),
                    email.utils.format_datetime(self.date(i)),
                    self.message_id(i, domain), ack, orig["mid"], ack, head))
        return {"kind": "auto-reply", "sender": orig["sender"],
                "data": data.encode("ascii") + body,
                "charset": charset, "shape": "plain"}

    def mails(self, n):
        rng = self.rng
        threads = []   # mails a reply may answer: (index, record)
        for i in range(n):
            r = rng.random()
            old = [t for t in threads if t[0] <= i - REPLY_GAP]
            if r < 0.04 and old:
                orig = rng.choice(old[-200:])[1]
                m = self.bounce(i, orig) if r < 0.02 else self.auto_reply(i, orig)
            elif r < 0.29 and old:
                orig = rng.choice(old[-100:])[1]
                m = self.reply(i, orig)
            else:
                m = self.new_ticket(i, unknown=r > 0.97)
            if m["kind"] in ("new", "unknown", "reply"):
                m["quote"] = text_of(m)
                threads.append((i, m))
            yield i, m


def ascii_local(s, lower=True):
    table = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", "é": "e",
                           "è": "e", "ï": "i", "à": "a", "ç": "c", "Ü": "Ue",
                           "Ö": "Oe", "Ä": "Ae", "É": "E", "’": "'", "–": "-"})
    s = s.translate(table)
    return s.lower() if lower else s


def wrap(text, width=72):
    lines, line = [], ""
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = (line + " " + w) if line else w
    lines.append(line)
    return "\n".join(lines)


def text_of(m):
    """A few lines for the next reply to quote."""
    return ["%s wrote:" % m["name"], "Subject: %s" % m["subject"],
            "(the earlier mail, %d bytes)" % len(m["data"])]


def large_mail(rng, mib, domain):
    """A short note with one attachment of mib MiB of random bytes."""
    b = "----=_Part_large_%d" % mib
    data = rng.randbytes(mib << 20)
    d = "Mon, 02 Mar 2026 10:00:00 +0100"
    head = ("Delivered-To: %s\nReceived: from mail.%s (mail.%s [198.51.100.9])\n"
            "\tby mx.desk.example (Postfix) with ESMTPS id 4LARGE%dMIB\n\tfor <%s>; %s\n"
            "From: Anna Berg <anna.berg@%s>\nTo: %s\nSubject: Database dump, %d MB\n"
            "Date: %s\nMessage-ID: <large-%d.%s@mail.%s>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
            "--%s\nContent-Type: text/plain; charset=utf-8\n\nHello,\n\nthe dump you asked"
            " for is attached.\n\nAnna\n\n--%s\nContent-Type: application/octet-stream;"
            " name=\"dump.bin\"\nContent-Disposition: attachment; filename=\"dump.bin\"\n"
            "Content-Transfer-Encoding: base64\n\n"
            % (SUPPORT, domain, domain, mib, SUPPORT, d, domain, SUPPORT, mib, d, mib,
               PLACEHOLDER, domain, b, b, b))
    return head.encode() + base64.encodebytes(data) + ("\n--%s--\n" % b).encode()


# The pathological shapes of mail (issue 15), each filling a given size,
# next to an ordinary mail of the same size.
HOSTILE_SHAPES = ("ordinary", "encoded-words", "many-headers", "nested", "addresses")
HOSTILE_CHARSETS = ["iso-8859-%d" % i for i in (1, 2, 3, 4, 5, 6, 7, 9, 10, 13, 14, 15)] + [
    "koi8-r", "koi8-u", "windows-1250", "windows-1251", "windows-1252", "windows-1253",
    "big5", "shift_jis", "euc-jp", "gb2312"]


def hostile_head(shape, mb, domain):
    d = "Mon, 02 Mar 2026 10:00:00 +0100"
    return ("Delivered-To: %s\nReceived: from mail.%s (mail.%s [198.51.100.9])\n"
            "\tby mx.desk.example (Postfix) with ESMTPS id 4HOSTILE%dMB\n\tfor <%s>; %s\n"
            "From: Anna Berg <anna.berg@%s>\nTo: %s\nDate: %s\n"
            "Message-ID: <%s-%d.%s@mail.%s>\n"
            % (SUPPORT, domain, domain, mb, SUPPORT, d, domain, SUPPORT, d, shape, mb,
               PLACEHOLDER, domain))


def hostile_mail(rng, shape, mb, domain):
    """One mail of shape, about mb * 10^6 bytes."""
    size = mb * 1000000
    out = [hostile_head(shape, mb, domain)]
    n = len(out[0])

    def fill(make):
        nonlocal n
        i = 0
        while n < size:
            piece = make(i)
            out.append(piece)
            n += len(piece)
            i += 1

    if shape == "ordinary":
        b = "----=_Part_ordinary"
        out.append("Subject: Logs, %d MB\nMIME-Version: 1.0\nContent-Type: multipart/mixed;"
                   " boundary=\"%s\"\n\n--%s\nContent-Type: text/plain; charset=utf-8\n\n"
                   "The logs are attached.\n\n--%s\nContent-Type: application/octet-stream;"
                   " name=\"logs.bin\"\nContent-Transfer-Encoding: base64\n\n" % (mb, b, b, b))
        raw = rng.randbytes(max(0, (size - n - 200) * 3 // 4))
        out.append(base64.encodebytes(raw).decode())
        out.append("--%s--\n" % b)
        return "".join(out).encode()
    if shape == "encoded-words":
        # One Subject of encoded words cycling through 22 charsets, an
        # unknown one and raw 8-bit text (read with the fallbacks).
        out.append("Subject:")
        cycle = HOSTILE_CHARSETS + ["x-unknown", None]
        fill(lambda i: " =?%s?Q?word%d=E4?=\n" % (cycle[i % len(cycle)], i)
             if cycle[i % len(cycle)] else " Gr\xfc\xdfe%d\n" % i)
    elif shape == "many-headers":
        out.append("Subject: many headers\n")
        fill(lambda i: "X-Header-%d: %s\n" % (i, "v" * 84))
    elif shape == "nested":
        # message/rfc822 in message/rfc822, spelled as GMime accepts it.
        out.append("Subject: nested\n")
        fill(lambda i: "Content-Type : message/rfc822\nSubject: level %d\n\n" % i)
    elif shape == "addresses":
        out.append("Subject: addresses\n")
        fill(lambda i: "Cc: %s\n" % ",\n ".join(
            "u%d.%d@example.net" % (i, k) for k in range(20)))
    out.append("\nThe end.\n")
    return "".join(out).encode("latin-1")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mails", type=int, default=300)
    ap.add_argument("--customers", type=int, default=150)
    ap.add_argument("--large", default="",
                    help="comma-separated attachment sizes in MiB, e.g. 25,100")
    ap.add_argument("--hostile", default="",
                    help="comma-separated sizes in MB of the pathological shapes, e.g. 1,10,40")
    args = ap.parse_args()

    corpus = Corpus(args.seed, args.customers)
    os.makedirs(os.path.join(args.out, "mails"), exist_ok=True)
    with open(os.path.join(args.out, "desk.sql"), "w") as f:
        f.write(corpus.desk_sql())
    summary = {"seed": args.seed, "mails": args.mails, "customers": args.customers,
               "kinds": {}, "shapes": {}, "charsets": {}, "plans": {},
               "bytes": {"total": 0, "min": None, "max": 0}}
    sizes = []
    with open(os.path.join(args.out, "list.tsv"), "w") as lst:
        for i, m in corpus.mails(args.mails):
            path = os.path.join(args.out, "mails", "%05d.eml" % i)
            with open(path, "wb") as f:
                f.write(m["data"])
            lst.write("%s\t%s\t%s\n" % (os.path.abspath(path), m["sender"], SUPPORT))
            n = len(m["data"])
            sizes.append(n)
            for key, val in (("kinds", m["kind"]), ("shapes", m["shape"]),
                             ("charsets", m["charset"]),
                             ("plans", m.get("plan") or "-")):
                summary[key][val] = summary[key].get(val, 0) + 1
    sizes.sort()
    summary["bytes"] = {"total": sum(sizes), "min": sizes[0], "max": sizes[-1],
                        "median": sizes[len(sizes) // 2],
                        "p90": sizes[int(len(sizes) * 0.9)]}
    if args.large:
        rng = random.Random(args.seed * 7919)
        os.makedirs(os.path.join(args.out, "large"), exist_ok=True)
        with open(os.path.join(args.out, "large.tsv"), "w") as lst:
            for mib in (int(x) for x in args.large.split(",")):
                path = os.path.join(args.out, "large", "att-%dM.eml" % mib)
                data = large_mail(rng, mib, corpus.customers[0]["domain"])
                with open(path, "wb") as f:
                    f.write(data)
                lst.write("%s\t%s\t%s\n" % (os.path.abspath(path),
                                            "anna.berg@" + corpus.customers[0]["domain"],
                                            SUPPORT))
                summary.setdefault("large", {})["%dM" % mib] = len(data)
    if args.hostile:
        rng = random.Random(args.seed * 104729)
        domain = corpus.customers[0]["domain"]
        os.makedirs(os.path.join(args.out, "hostile"), exist_ok=True)
        with open(os.path.join(args.out, "hostile.tsv"), "w") as lst:
            for mb in (int(x) for x in args.hostile.split(",")):
                for shape in HOSTILE_SHAPES:
                    path = os.path.join(args.out, "hostile", "%s-%dM.eml" % (shape, mb))
                    data = hostile_mail(rng, shape, mb, domain)
                    with open(path, "wb") as f:
                        f.write(data)
                    lst.write("%s\t%s\t%s\t%s\t%d\n" % (os.path.abspath(path),
                                                     "anna.berg@" + domain, SUPPORT, shape, mb))
                    summary.setdefault("hostile", {})["%s-%dM" % (shape, mb)] = len(data)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
