#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The programs follow the locale: under LANGUAGE=de, with the catalogues
just built, `camtrail-cli --help`, `camtrail-cli train --help` and
`camtrail --help` print de.po's translations, and `camtrail-cli --help`
prints every other LINGUAS language's; with no catalogue, or no LANGUAGE,
they print English.

Usage: check-translated-cli.py --localedir BUILD/po --po-dir SRC/po PROGRAM…"""

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


def unquote(line):
    body = line.strip()[1:-1]
    return (body.replace('\\n', '\n').replace('\\t', '\t')
                .replace('\\"', '"').replace('\\\\', '\\'))


def read_po(path):
    """msgid → msgstr (singular messages only)."""
    messages = {}
    msgid = msgstr = None
    target = None
    with open(path, encoding="utf-8") as f:
        for raw in f.read().splitlines() + [""]:
            line = raw.strip()
            if line.startswith("msgid "):
                if msgid is not None and msgstr is not None:
                    messages[msgid] = msgstr
                msgid, msgstr, target = unquote(line[6:]), None, "id"
            elif line.startswith("msgstr "):
                msgstr, target = unquote(line[7:]), "str"
            elif line.startswith('"') and target == "id":
                msgid += unquote(line)
            elif line.startswith('"') and target == "str":
                msgstr += unquote(line)
            else:
                target = None
    if msgid is not None and msgstr is not None:
        messages[msgid] = msgstr
    return messages


def run(program, arguments, language, localedir):
    env = dict(os.environ, LC_ALL="C.UTF-8", CAMTRAIL_LOCALEDIR=localedir)
    env.pop("LANG", None)
    if language is None:
        env.pop("LANGUAGE", None)
    else:
        env["LANGUAGE"] = language
    for variable in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(variable, None)
    result = subprocess.run([program] + arguments, capture_output=True, text=True, env=env, timeout=60)
    return result.returncode, result.stdout


# (program, arguments, msgid whose translation must end a line of the output)
CHECKS = [
    ("camtrail-cli", ["--help"], "Train a model and keep a checkpoint per epoch"),
    ("camtrail-cli", ["train", "--help"],
     "Epochs to train (default 9 for camtrail_net, 8 for the others); the warm-up keeps its share"),
    ("camtrail", ["--help"], "Show the version and exit"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--localedir", required=True)
    parser.add_argument("--po-dir", required=True)
    parser.add_argument("programs", nargs="+")
    args = parser.parse_args()
    programs = {os.path.basename(path): path for path in args.programs}
    with open(os.path.join(args.po_dir, "LINGUAS"), encoding="utf-8") as f:
        languages = [word for line in f for word in line.split("#")[0].split()]
    checks = [c for c in CHECKS if c[0] in programs]

    failures = []
    with tempfile.TemporaryDirectory(prefix="camtrail-no-locale-") as empty_localedir:
        # Every check in German; the first one in each other language.
        jobs = [("de", args.localedir, check) for check in checks]
        jobs += [(lang, args.localedir, checks[0]) for lang in languages if lang != "de"]
        # Controls: no catalogue, or no LANGUAGE, and the same line is English.
        jobs += [("de", empty_localedir, checks[0]), (None, args.localedir, checks[0])]
        with ThreadPoolExecutor(max_workers=2) as pool:
            outputs = list(pool.map(lambda job: run(programs[job[2][0]], job[2][1], job[0], job[1]), jobs))

        for (language, localedir, (name, arguments, msgid)), (status, output) in zip(jobs, outputs):
            command = f"LANGUAGE={language} CAMTRAIL_LOCALEDIR={localedir} {name} {' '.join(arguments)}"
            lines = [line.rstrip() for line in output.splitlines()]
            if localedir == empty_localedir or language is None:
                expected = msgid
            else:
                expected = read_po(os.path.join(args.po_dir, language + ".po")).get(msgid)
                if not expected or expected == msgid:
                    failures.append(f"{language}.po does not translate {msgid!r}")
                    continue
                if any(line.endswith(msgid) for line in lines):
                    failures.append(f"{command}: still prints the English {msgid!r}")
            if status != 0 or not any(line.endswith(expected) for line in lines):
                failures.append(f"{command}: status {status}, no line ending in {expected!r}:\n{output}")

    for message in failures:
        print("FAIL:", message)
    if not failures:
        print(f"{len(jobs)} translated and untranslated --help checks OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
