#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""english.py: finds English sentences in the string literals of C files.

What customers and staff read comes from the templates folder, so that a
desk can translate it (doc/templates.md). What stays in C is for the
people who run ticketgate: log lines, error messages, usage and --help,
the command line's terminal output. This reads C files, joins adjacent
string literals (with the format macros between them, "%" G_GINT64_FORMAT)
into one, and reports each that holds an English sentence and that no
rule below ignores.

A sentence: with printf conversions ("%s", "%-8.3s", "%" G_GINT64_FORMAT),
template placeholders ("{{name}}") and backslash escapes taken out, a run
of at least two words of two letters or more, separated by single blanks
(a word may hold an apostrophe or a hyphen, and end in punctuation).
"no support plan", "in time" and "is not forwarded" are sentences;
"utf-8", "text/plain", "%s: %s", "[%s #%d]" and one word alone ("none",
"paid": it could as well be a keyword such as "open") are not.

Ignored:
  * comments, character constants, and every directive but #define (a
    macro's literals are judged like any other);
  * a literal anywhere inside the parentheses of a call to a function of
    IGNORED_CALLS: GLib's logging and GError functions, the terminal
    (printf and friends, stderr), option parsing, JSON keys, and the
    project's own helpers that only wrap those, each named with its file;
  * the initializer of a variable whose declaration names a type of
    IGNORED_TYPES (GOptionEntry tables: --help text);
  * the body of a function whose name ends in "_version" (--version);
  * a literal that starts with a mail header field ("Content-Type: ..."):
    a header line, not prose; and markup: HTML and SVG tags with their
    attributes ("<rect class=...>") and CSS rules ("th,td{...}") are taken
    out before a literal is judged, the text between tags is judged;
  * the files of IGNORED_FILES (names or shell patterns), each with its
    reason: modules that write nothing for customers or staff by design;
  * a literal on a line that ends with the comment /* english: REASON */,
    or right below such a comment on a line of its own (the reason is
    required): for text only those who run ticketgate read, reached in
    a way the rules above do not see.

Usage: english.py FILE.c...   Prints FILE:LINE: "text" for each finding;
exits 1 when there is one, 0 when there is none, 2 on bad input.
"""

import fnmatch
import re
import sys

IGNORED_CALLS = {
    # GLib's logging
    "g_debug", "g_info", "g_message", "g_warning", "g_critical", "g_error",
    "g_log", "g_log_structured", "g_warn_message", "g_print", "g_printerr",
    # GLib's errors
    "g_set_error", "g_set_error_literal", "g_error_new",
    "g_error_new_literal", "g_prefix_error", "g_propagate_prefixed_error",
    # the terminal
    "printf", "fprintf", "puts", "fputs", "dprintf",
    # option parsing: --help
    "g_option_context_new", "g_option_context_set_summary",
    "g_option_context_set_description",
    # JSON keys (json.h), read by programs
    "tg_json_string", "tg_json_int", "tg_json_null", "tg_json_time",
    "tg_json_bool", "tg_json_begin_object", "tg_json_begin_array",
    # the project's helpers, each only a wrapper of the above
    "fail",      # deliver.c: the one stderr line for Postfix, and the log
    "trouble",   # sweep.c: the log, and stderr for cron
    "failed",    # compose.c: a GError
    "invalid",   # command.c: a GError (staff read the command-* phrases)
    "fail_at",   # template.c: a GError naming the file and line
    "dry_line",  # escalate.c: sweep --dry-run's terminal output
    "reply",     # lmtp.c: a protocol reply, read by the mail system
}
IGNORED_TYPES = {"GOptionEntry"}
IGNORED_FILES = {
    "admin.c": "the administration commands: usage, --help, terminal "
               "output and errors",
    "main.c": "the command line: usage, --help, --version and errors",
    "settings.c": "the configuration file: keys, defaults and errors "
                  "about it",
    "store.c": "the database layer: SQL, and the objects and reasons of "
               "its errors",
    "store-*.c": "the same layer, in the files it is split into",
    "libpq-static.c": "libpq's own error strings in a static build",
    "endpoint.c": "socket addresses of the configuration file: errors "
                  "about them",
    "smtp.c": "the SMTP client: protocol commands, and the steps and "
              "reasons its errors name for the logs",
}

MARK = re.compile(r"/\*\s*english:\s*\S.*\*/\s*$")
MARK_ALONE = re.compile(r"^\s*/\*\s*english:\s*\S.*\*/\s*$")
TAG = re.compile(r"</?[A-Za-z!][^<>]*>")
CSS_RULE = re.compile(r"[\w#.:,*>\s-]*\{[^{}]*:[^{}]*\}")
CONVERSION = re.compile(
    r"%(?:\d+\$)?[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
    r"(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcspn%]")
PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
WORD = r"[A-Za-z](?:[A-Za-z'-]*[A-Za-z])?"
SENTENCE = re.compile(r"(?<![\w%{}/.@-])" + WORD + r"[,;:.!?]?"
                      r"(?: " + WORD + r"[,;:.!?]?)+")
HEADER = re.compile(
    r"^(?:(?:Content|MIME|X|Auto|In-Reply|Reply|Message|List|Return|"
    r"Delivered|Authentication)-[A-Za-z-]+|From|To|Cc|Bcc|Subject|Date|"
    r"Sender|Received|References):")
FORMAT_MACRO = re.compile(r"^(?:G_G\w*_FORMAT|G_GU?INT\w*_MODIFIER|PRI\w+)$")


def tokens(src):
    """(kind, value, line): kind 'str', 'id', 'punct' or 'define'."""
    i, line, n = 0, 1, len(src)
    line_start = True
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "\\" and src.startswith("\n", i + 1):
            line += 1
            i += 2
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise ValueError("line %d: unterminated comment" % line)
            line += src.count("\n", i, end)
            i = end + 2
            continue
        if c == "#" and line_start:
            m = re.match(r"#\s*(\w*)", src[i:])
            if m.group(1) == "define":
                yield ("define", "", line)
                i += m.end()
                line_start = False
                continue
            while i < n and src[i] != "\n":
                if src[i] == "\\" and src.startswith("\n", i + 1):
                    line += 1
                    i += 1
                i += 1
            continue
        line_start = False
        if c == '"':
            j, start = i + 1, line
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    if src.startswith("\n", j + 1):
                        line += 1
                    j += 2
                    continue
                if src[j] == "\n":
                    raise ValueError("line %d: newline in a string" % line)
                j += 1
            if j >= n:
                raise ValueError("line %d: unterminated string" % start)
            yield ("str", src[i + 1:j], start)
            i = j + 1
            continue
        if c == "'":
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        m = re.match(r"[A-Za-z_]\w*", src[i:])
        if m:
            yield ("id", m.group(0), line)
            i += m.end()
            continue
        m = re.match(r"\.?\d[\w.]*", src[i:])
        if m:
            i += m.end()
            continue
        yield ("punct", c, line)
        i += 1


class Literal:
    """A joined literal and what surrounds it."""

    def __init__(self, line, last_line, text, calls, declared, function):
        self.line = line
        self.last_line = last_line
        self.text = text
        self.calls = calls        # names of the calls it is inside
        self.declared = declared  # identifiers of the declaration it
                                  # initializes, if any
        self.function = function  # the function it is in, if any


def literals(src):
    toks = list(tokens(src))
    calls = []     # per open parenthesis: the called name, or None
    braces = []    # per open brace: the statement it initializes, or None
    stmt = []      # identifiers and '=' of the statement so far
    function = None
    pending_function = None
    define_line = None
    i = 0
    while i < len(toks):
        kind, val, line = toks[i]
        if define_line is not None and line != define_line:
            define_line = None
            stmt = []
            calls = []
        if kind == "define":
            define_line = line
            stmt = []
            i += 1
            continue
        if kind == "str":
            parts, j, last = [val], i + 1, line
            while j < len(toks):
                k2, v2, l2 = toks[j]
                if k2 == "str":
                    parts.append(v2)
                elif k2 == "id" and FORMAT_MACRO.match(v2):
                    parts.append("lld")  # "%" G_GINT64_FORMAT: "%lld"
                else:
                    break
                last = l2
                j += 1
            declared = set()
            for b in braces:
                if b is not None:
                    declared |= b
            if "=" in stmt:
                declared |= set(stmt[:stmt.index("=")])
            yield Literal(line, last, "".join(parts),
                          [c for c in calls if c], declared, function)
            i = j
            continue
        if kind == "id":
            stmt.append(val)
        elif val == "(":
            prev = toks[i - 1] if i > 0 else None
            name = prev[1] if prev is not None and prev[0] == "id" else None
            # The function being defined: the last name called at the
            # top level before its body (attributes such as
            # G_GNUC_PRINTF (1, 2) come before it).
            if not braces and not calls and name is not None:
                pending_function = name
            calls.append(name)
        elif val == ")":
            if calls:
                calls.pop()
        elif val == "{":
            if "=" in stmt or (braces and braces[-1] is not None):
                init = set(stmt[:stmt.index("=")]) if "=" in stmt else set()
                if braces and braces[-1] is not None:
                    init |= braces[-1]
                braces.append(init)
            else:
                if not braces:
                    function = pending_function
                braces.append(None)
                stmt = []
        elif val == "}":
            was = braces.pop() if braces else None
            if was is None:
                stmt = []
            if not braces:
                function = None
                pending_function = None
        elif val == ";":
            if not braces or braces[-1] is None:
                stmt = []
                if not braces:
                    pending_function = None
        elif val == "=":
            stmt.append("=")
        i += 1


def unescape(text):
    text = re.sub(r"\\[ntr]", " ", text)
    text = re.sub(r"\\x[0-9a-fA-F]+|\\[0-7]{1,3}", "", text)
    return re.sub(r"\\(.)", r"\1", text)


def is_sentence(text):
    bare = PLACEHOLDER.sub(" ", CONVERSION.sub(" ", unescape(text)))
    bare = CSS_RULE.sub(" ", TAG.sub(" ", bare))
    return SENTENCE.search(bare) is not None


def ignored(lit, lines):
    if any(MARK.search(lines[n - 1])
           for n in range(lit.line, lit.last_line + 1)):
        return True
    if lit.line > 1 and MARK_ALONE.match(lines[lit.line - 2]):
        return True
    if any(c in IGNORED_CALLS for c in lit.calls):
        return True
    if lit.declared & IGNORED_TYPES:
        return True
    if lit.function is not None and lit.function.endswith("_version"):
        return True
    return HEADER.match(unescape(lit.text)) is not None


def main(argv):
    found = 0
    for path in argv[1:]:
        name = path.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatchcase(name, p) for p in IGNORED_FILES):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                src = f.read()
            lits = list(literals(src))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print("%s: %s" % (path, e), file=sys.stderr)
            return 2
        lines = src.split("\n")
        for lit in lits:
            if is_sentence(lit.text) and not ignored(lit, lines):
                print('%s:%d: "%s"' % (path, lit.line, lit.text))
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
