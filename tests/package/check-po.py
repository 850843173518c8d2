#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every language in po/LINGUAS has a .po that msgfmt --check accepts (format
strings that match the msgid's, a Plural-Forms header for ngettext) with no
fuzzy or untranslated message, and every .po is listed in LINGUAS."""

import os
import re
import subprocess
import sys


def main():
    po_dir = os.path.join(sys.argv[1], "po")
    with open(os.path.join(po_dir, "LINGUAS"), encoding="utf-8") as f:
        languages = [word for line in f for word in line.split("#")[0].split()]

    failures = []
    on_disk = sorted(name[:-3] for name in os.listdir(po_dir) if name.endswith(".po"))
    if sorted(languages) != on_disk:
        failures.append(f"LINGUAS lists {sorted(languages)} but po/ holds {on_disk}")

    for language in languages:
        po = os.path.join(po_dir, language + ".po")
        if not os.path.isfile(po):
            continue
        result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po],
                                capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
        report = result.stderr.strip()
        if result.returncode != 0:
            failures.append(f"msgfmt --check {language}.po:\n{report}")
            continue
        if re.search(r"fuzzy|untranslated", report):
            failures.append(f"{language}.po is incomplete: {report}")
        with open(po, encoding="utf-8") as f:
            text = f.read()
        if f'"Language: {language}\\n"' not in text:
            failures.append(f"{language}.po: no Language: {language} header")
        if '"Plural-Forms: nplurals=' not in text:
            failures.append(f"{language}.po: no Plural-Forms header")
        print(f"{language}: {report}")

    for message in failures:
        print("FAIL:", message)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
