#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`meson install` into a DESTDIR, then checks the tree a distribution or
Flatpak gets: binaries, desktop file, AppStream metainfo, icons, GSettings
schema and translations in their standard places, each well formed, and the
installed camtrail-cli runs."""

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    for option in ("meson", "build-root", "prefix", "bindir", "datadir", "localedir",
                   "app-id", "version", "linguas", "gui"):
        parser.add_argument("--" + option, required=True)
    args = parser.parse_args()
    gui = args.gui == "true"
    with open(args.linguas, encoding="utf-8") as f:
        languages = [word for line in f for word in line.split("#")[0].split()]
    check(len(languages) >= 2, f"{args.linguas} lists {languages}: at least two languages expected")

    with tempfile.TemporaryDirectory(prefix="camtrail-install-") as destdir:
        result = run([args.meson, "install", "-C", args.build_root, "--no-rebuild",
                      "--quiet", "--destdir", destdir])
        if result.returncode != 0:
            print(result.stdout, result.stderr, sep="\n")
            print(f"FAIL: meson install exited with {result.returncode}")
            return 1

        root = destdir + os.path.join(args.prefix, "")
        bindir = os.path.join(root, args.bindir)
        datadir = os.path.join(root, args.datadir)
        localedir = os.path.join(root, args.localedir)
        app_id = args.app_id

        # Nothing but programs and data: no libraries, headers or test programs.
        binaries = ["camtrail-cli"] + (["camtrail"] if gui else [])
        check(sorted(os.listdir(bindir)) == sorted(binaries),
              f"{bindir} holds {sorted(os.listdir(bindir))}, expected {sorted(binaries)}")
        extra = sorted(set(os.listdir(root)) - {os.path.normpath(args.bindir).split(os.sep)[0],
                                                 os.path.normpath(args.datadir).split(os.sep)[0]})
        check(not extra, f"unexpected top-level install paths: {extra}")
        for name in binaries:
            path = os.path.join(bindir, name)
            check(os.access(path, os.X_OK), f"{path} is not executable")

        desktop = os.path.join(datadir, "applications", app_id + ".desktop")
        if check(os.path.isfile(desktop), f"missing {desktop}"):
            with open(desktop, encoding="utf-8") as f:
                lines = f.read().splitlines()
            check("Exec=camtrail %F" in lines, f"{desktop}: no Exec=camtrail %F")
            check(f"Icon={app_id}" in lines, f"{desktop}: no Icon={app_id}")
            check("DBusActivatable=true" in lines, f"{desktop}: no DBusActivatable=true")
            for language in languages:
                check(any(line.startswith(f"Comment[{language}]=") for line in lines),
                      f"{desktop}: Comment not translated to {language} (i18n.merge_file)")
                keywords = [line for line in lines if line.startswith(f"Keywords[{language}]=")]
                check(len(keywords) == 1 and keywords[0].endswith(";"),
                      f"{desktop}: Keywords[{language}] missing or not ending in ';'")

        # DBusActivatable needs the bus to know how to start the installed program.
        service = os.path.join(datadir, "dbus-1", "services", app_id + ".service")
        if check(os.path.isfile(service), f"missing {service}"):
            with open(service, encoding="utf-8") as f:
                lines = f.read().splitlines()
            program = os.path.join(args.prefix, args.bindir, "camtrail")
            check(f"Name={app_id}" in lines, f"{service}: no Name={app_id}")
            check(f"Exec={program} --gapplication-service" in lines,
                  f"{service}: no Exec={program} --gapplication-service")

        metainfo = os.path.join(datadir, "metainfo", app_id + ".metainfo.xml")
        if check(os.path.isfile(metainfo), f"missing {metainfo}"):
            component = ET.parse(metainfo).getroot()
            check(component.findtext("id") == app_id, f"{metainfo}: <id> is not {app_id}")
            check(component.findtext("launchable") == app_id + ".desktop",
                  f"{metainfo}: <launchable> does not name the installed desktop file")
            for language in languages:
                summaries = [s for s in component.findall("summary") if s.get(XML_LANG) == language]
                check(len(summaries) == 1, f"{metainfo}: no <summary xml:lang=\"{language}\">")

        for kind, suffix in (("scalable", ""), ("symbolic", "-symbolic")):
            icon = os.path.join(datadir, "icons", "hicolor", kind, "apps", app_id + suffix + ".svg")
            if check(os.path.isfile(icon), f"missing {icon}"):
                check(ET.parse(icon).getroot().tag.endswith("svg"), f"{icon} is not an SVG")

        schemas = os.path.join(datadir, "glib-2.0", "schemas")
        schema = os.path.join(schemas, app_id + ".gschema.xml")
        if check(os.path.isfile(schema), f"missing {schema}"):
            result = run(["glib-compile-schemas", "--strict", "--dry-run", schemas])
            check(result.returncode == 0, f"installed schemas do not compile: {result.stderr.strip()}")

        for language in languages:
            catalogue = os.path.join(localedir, language, "LC_MESSAGES", "camtrail.mo")
            if check(os.path.isfile(catalogue), f"missing {catalogue}"):
                with open(catalogue, "rb") as f:
                    magic = f.read(4)
                check(magic in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde"), f"{catalogue} is not a .mo file")

        # The installed program runs, and finds the installed catalogues.
        cli = os.path.join(bindir, "camtrail-cli")
        german = dict(os.environ, LANGUAGE="de", LC_ALL="C.UTF-8", CAMTRAIL_LOCALEDIR=localedir)
        with ThreadPoolExecutor() as pool:
            version = pool.submit(run, [cli, "--version"])
            usage = pool.submit(run, [cli, "--help"], env=german)
            version, usage = version.result(), usage.result()
        check(version.returncode == 0 and version.stdout.startswith(f"camtrail-cli {args.version}"),
              f"installed camtrail-cli --version: status {version.returncode}, "
              f"output {version.stdout.strip()!r}, expected 'camtrail-cli {args.version} …'")
        check(usage.returncode == 0 and "Befehle:" in usage.stdout,
              f"installed camtrail-cli --help is not German under LANGUAGE=de:\n{usage.stdout}")

    for message in failures:
        print("FAIL:", message)
    if not failures:
        print("install tree OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
