#!/usr/bin/env python3
"""The error catalogue (src/core/error_codes.def) against the code and docs/api.md.

Fails when src/ uses a code the catalogue lacks, the catalogue lists a code nothing uses, a code
is made with an ErrorKind whose status (http::status_for) is not the catalogued one, or the
"Error codes" table in docs/api.md is not the one the catalogue gives. `--write` rewrites the table.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/core/error_codes.def"
DOCS = ROOT / "docs/api.md"
# Upper-case literals with an underscore that are not error codes: environment variables (ours
# start with TELLTALE_) and udev's device properties (ID_*, DM_*).
NOT_CODES = {"XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "MALLOC_ARENA_MAX"}
NOT_CODE_PREFIXES = ("TELLTALE_", "ID_", "DM_")


def catalogue():
    entries = []  # (macro, code, status or None, note)
    pattern = re.compile(r'^TT_(ERROR|WS_ERROR|START_ERROR|AGENT_ERROR|CLI_ERROR)\((\w+),\s*(?:(\d+),\s*)?"((?:[^"\\]|\\.)*)"\)$')
    for n, line in enumerate(CATALOGUE.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("//"):
            continue
        m = pattern.match(line)
        if not m:
            sys.exit(f"{CATALOGUE}:{n}: not a catalogue line: {line}")
        macro, code, status, note = m.groups()
        entries.append((macro, code, int(status) if status else None, note.replace('\\"', '"')))
    return entries


def kind_statuses():
    text = (ROOT / "src/http/envelope.cpp").read_text()
    body = text[text.index("int status_for(ErrorKind kind)"):]
    return {k: int(s) for k, s in re.findall(r"case ErrorKind::(\w+):\s*return (\d+);", body)}


def uses():
    """Codes in src/, and the ErrorKinds they are made with (file:line for messages)."""
    literal = re.compile(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"')
    made = re.compile(r'(?:Error::make\(|Error\{)\s*ErrorKind::(\w+),\s*"([A-Z][A-Z0-9_]*)"')
    found, kinds = {}, []
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in (".cpp", ".h"):
            continue
        text = path.read_text()
        where = lambda pos: f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, pos) + 1}"
        for m in literal.finditer(text):
            if m.group(1) not in NOT_CODES and not m.group(1).startswith(NOT_CODE_PREFIXES):
                found.setdefault(m.group(1), where(m.start()))
        for m in made.finditer(text):
            found.setdefault(m.group(2), where(m.start()))
            kinds.append((m.group(2), m.group(1), where(m.start())))
    return found, kinds


def table(entries):
    """docs/api.md's table: one row per status; codes sharing a note get it once, after the last."""
    rows = {}
    for macro, code, status, note in entries:
        key = {"ERROR": str(status), "WS_ERROR": "WebSocket", "START_ERROR": "at start",
               "AGENT_ERROR": "agent", "CLI_ERROR": "command line"}[macro]
        rows.setdefault(key, []).append((code, note))
    lines = ["| status | codes |", "|---|---|"]
    for key, codes in rows.items():
        items = []
        for i, (code, note) in enumerate(codes):
            last_of_note = i + 1 == len(codes) or codes[i + 1][1] != note
            items.append(f"`{code}`" + (f" ({note})" if note and last_of_note else ""))
        lines.append(f"| {key} | {', '.join(items)} |")
    return "\n".join(lines)


def main():
    entries = catalogue()
    problems = []
    listed = {code: (status, macro) for macro, code, status, _ in entries}
    if len(listed) != len(entries):
        problems.append("a code is listed twice")
    found, kinds = uses()
    for code, where in sorted(found.items()):
        if code not in listed:
            problems.append(f"{where}: {code} is not in {CATALOGUE.relative_to(ROOT)}")
    for code in listed:
        if code not in found:
            problems.append(f"{code} is catalogued but nothing in src/ uses it")
    statuses = kind_statuses()
    for code, kind, where in kinds:
        status = listed.get(code, (None,))[0]
        # A status no ErrorKind maps to is one the HTTP layer sets itself (405, 408, ...).
        if status in statuses.values() and statuses.get(kind) != status:
            problems.append(f"{where}: {code} is made as {kind} ({statuses.get(kind)}), catalogued {status}")

    docs = DOCS.read_text()
    start = docs.index("| status | codes |")
    end = start
    while end < len(docs) and docs[end] == "|":
        end = docs.index("\n", end) + 1
    end -= 1  # the table's last newline stays outside
    want = table(entries)
    if "--write" in sys.argv:
        DOCS.write_text(docs[:start] + want + docs[end:])
    elif docs[start:end] != want:
        problems.append("docs/api.md's error table differs from the catalogue: run "
                        "python3 tests/error_codes/check.py --write")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"error catalogue: {len(entries)} codes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
