#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""po/POTFILES.in lists every source file with translatable strings, and
only files that exist: a string in a file missing from it never reaches
the translators."""

import os
import re
import sys

# C: _("…"), N_("…"), C_("ctx", "…"), NC_(…), Q_(…), ngettext ("…", …) and the
# g_d*gettext family, as the glib preset of meson's i18n module extracts them.
C_CALL = re.compile(r'(?<![\w])(?:_|N_|C_|NC_|Q_|g_dngettext|dngettext|ngettext|g_dgettext|'
                    r'dgettext|gettext|g_dpgettext2|g_dpgettext)\s*\(\s*(?:[\w]+\s*,\s*)?"')
UI_TRANSLATABLE = re.compile(r'translatable="(?:yes|true|1)"')
DESKTOP_KEY = re.compile(r'^(?:Name|GenericName|Comment|Keywords|X-GNOME-FullName)=', re.M)
METAINFO_ELEMENT = re.compile(r'<(?:name|summary|p|li|caption|keyword|developer_name)\b')
GSCHEMA_TEXT = re.compile(r'<(?:summary|description)\b')

# Literals first, so that "https://…" or "*/" inside a string is no comment.
COMMENT_OR_LITERAL = re.compile(r'("(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')|/\*.*?\*/|//[^\n]*',
                                re.S)

SKIP_DIRS = {".git", "po", "tests", "bench", "subprojects", "flatpak"}


EXTENSIONS = (".c", ".h", ".cpp", ".hpp", ".ui", ".in", ".gschema.xml")


def translatable(path):
    name = os.path.basename(path)
    if not name.endswith(EXTENSIONS):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        return False
    if name.endswith((".c", ".h", ".cpp", ".hpp")):
        # Comments may quote the macros; they are not strings to translate.
        text = COMMENT_OR_LITERAL.sub(lambda m: m.group(1) or " ", text)
        return C_CALL.search(text) is not None
    if name.endswith(".ui"):
        return UI_TRANSLATABLE.search(text) is not None
    if name.endswith((".desktop.in", ".desktop.in.in")):
        return DESKTOP_KEY.search(text) is not None
    if name.endswith((".metainfo.xml.in", ".appdata.xml.in", ".metainfo.xml.in.in")):
        return METAINFO_ELEMENT.search(text) is not None
    if name.endswith(".gschema.xml"):
        return "gettext-domain=" in text and GSCHEMA_TEXT.search(text) is not None
    return False


def main():
    source_root = sys.argv[1]
    potfiles_path = os.path.join(source_root, "po", "POTFILES.in")
    with open(potfiles_path, encoding="utf-8") as f:
        listed = [line.strip() for line in f if line.strip() and not line.startswith("#")]

    failures = []
    for path in listed:
        if not os.path.isfile(os.path.join(source_root, path)):
            failures.append(f"POTFILES.in lists {path}, which does not exist")
    if len(set(listed)) != len(listed):
        failures.append("POTFILES.in lists a file twice")

    found = []
    for directory, subdirs, files in os.walk(source_root):
        relative = os.path.relpath(directory, source_root)
        subdirs[:] = sorted(d for d in subdirs
                            if not (relative == "." and (d in SKIP_DIRS or d.startswith("build")))
                            and not d.startswith("."))
        for name in sorted(files):
            path = os.path.normpath(os.path.join(relative, name))
            if translatable(os.path.join(source_root, path)):
                found.append(path)

    for path in found:
        if path not in listed:
            failures.append(f"{path} has translatable strings but is missing from po/POTFILES.in")
    if not found:
        failures.append("no translatable source file found: the scan is broken")

    for message in failures:
        print("FAIL:", message)
    if not failures:
        print(f"POTFILES.in covers all {len(found)} files with translatable strings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
