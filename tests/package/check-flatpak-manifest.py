#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Flatpak manifest, as far as it can be checked without the network:
flatpak-builder parses it without a warning, and it has the GNOME runtime,
the app id of data/, a command the build installs, only the permissions the
app needs, every downloaded source pinned (sha256 for archives and files, a
commit for git), and Camtrail built last with meson, without tests and
benchmarks, against the libtorch module.

Usage: check-flatpak-manifest.py MANIFEST --app-id ID --source-root DIR
                                 --flatpak-builder PATH"""

import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

REQUIRED_FINISH_ARGS = {"--share=ipc", "--socket=wayland", "--socket=fallback-x11", "--device=dri"}
# Nothing else: datasets and runs come through the file chooser portal.
ALLOWED_FINISH_ARGS = REQUIRED_FINISH_ARGS
SHA256 = re.compile(r"^[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def check_source(module, source, manifest_dir, source_root):
    where = f"module {module}: source {json.dumps(source)[:120]}"
    kind = source.get("type")
    if kind in ("archive", "file") and "url" in source:
        check(source["url"].startswith("https://"), f"{where}: not an https URL")
        check(SHA256.match(source.get("sha256", "")) is not None,
              f"{where}: not pinned by a sha256 of 64 hex digits")
    elif kind in ("archive", "file", "patch", "dir"):
        path = os.path.realpath(os.path.join(manifest_dir, source.get("path", "")))
        check("path" in source and os.path.exists(path), f"{where}: local path does not exist")
        check(path == source_root or path.startswith(source_root + os.sep),
              f"{where}: local path outside the repository")
    elif kind == "git":
        check(COMMIT.match(source.get("commit", "")) is not None,
              f"{where}: git source not pinned by a 40-digit commit")
        check(source.get("url", "").startswith("https://"), f"{where}: not an https URL")
    elif kind in ("shell", "script", "inline"):
        pass
    else:
        failures.append(f"{where}: source type {kind!r} cannot be checked for pinning")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--source-root", required=True)
    parser.add_argument("--flatpak-builder", required=True)
    args = parser.parse_args()
    source_root = os.path.realpath(args.source_root)
    manifest_dir = os.path.dirname(os.path.realpath(args.manifest))

    try:
        with open(args.manifest, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as error:
        print(f"FAIL: {args.manifest}: {error}")
        return 1

    # flatpak-builder's own parser: a misspelt property or source type only warns.
    result = subprocess.run([args.flatpak_builder, "--show-manifest", args.manifest],
                            capture_output=True, text=True, timeout=60)
    check(result.returncode == 0 and not result.stderr.strip(),
          f"flatpak-builder --show-manifest: status {result.returncode}\n{result.stderr.strip()}")

    for key in ("runtime", "runtime-version", "sdk", "command", "finish-args", "modules"):
        check(key in manifest, f"missing key {key!r}")
    app_id = manifest.get("id", manifest.get("app-id"))
    check(app_id == args.app_id, f"id {app_id!r} is not the app id of data/, {args.app_id!r}")
    check(os.path.basename(args.manifest) == args.app_id + ".json",
          f"the manifest is not named after the app id ({args.app_id}.json)")

    # The ids and the command of data/ agree with the manifest.
    data = os.path.join(source_root, "data")
    check(os.path.isfile(os.path.join(data, args.app_id + ".desktop.in")),
          f"data/{args.app_id}.desktop.in does not exist")
    metainfo = os.path.join(data, args.app_id + ".metainfo.xml.in")
    if check(os.path.isfile(metainfo), f"data/{args.app_id}.metainfo.xml.in does not exist"):
        component = ET.parse(metainfo).getroot()
        check(component.findtext("id") == args.app_id, f"{metainfo}: <id> is not {args.app_id}")
        binaries = [b.text for b in component.iter("binary")]
        check(manifest.get("command") in binaries,
              f"command {manifest.get('command')!r} is not a <binary> of the metainfo ({binaries})")

    check(manifest.get("runtime") == "org.gnome.Platform", "runtime is not org.gnome.Platform")
    check(manifest.get("sdk") == "org.gnome.Sdk", "sdk is not org.gnome.Sdk")
    version = str(manifest.get("runtime-version", ""))
    # GNOME 43 was the first runtime with GTK 4.8.
    check(version.isdigit() and int(version) >= 43,
          f"runtime-version {version!r} is not a GNOME release with GTK >= 4.8")

    finish_args = manifest.get("finish-args", [])
    check(REQUIRED_FINISH_ARGS <= set(finish_args),
          f"finish-args lack {sorted(REQUIRED_FINISH_ARGS - set(finish_args))}")
    check(set(finish_args) <= ALLOWED_FINISH_ARGS,
          f"finish-args grant more than the app needs: {sorted(set(finish_args) - ALLOWED_FINISH_ARGS)}")

    modules = manifest.get("modules", [])
    if not check(isinstance(modules, list) and modules, "no modules"):
        return report()
    names = []
    for module in modules:
        if isinstance(module, str):
            failures.append(f"module file {module}: keep modules inline so this test sees them")
            continue
        name = module.get("name", "?")
        names.append(name)
        sources = module.get("sources", [])
        check(isinstance(sources, list) and sources, f"module {name}: no sources")
        for source in sources:
            check_source(name, source, manifest_dir, source_root)

    app = modules[-1] if isinstance(modules[-1], dict) else {}
    check(app.get("name") == "camtrail", "the last module is not camtrail")
    check(app.get("buildsystem") == "meson", "camtrail is not built with meson")
    options = app.get("config-opts", [])
    for option in ("-Dtests=false", "-Dbenchmarks=false"):
        check(option in options, f"camtrail config-opts lack {option}")
    libtorch_dirs = [o.split("=", 1)[1] for o in options if o.startswith("-Dlibtorch_dir=")]
    if check(len(libtorch_dirs) == 1, "camtrail config-opts lack -Dlibtorch_dir=…"):
        check("libtorch" in names[:-1], "no libtorch module before camtrail")
        torch = next((m for m in modules if isinstance(m, dict) and m.get("name") == "libtorch"), {})
        check(any(libtorch_dirs[0] in command for command in torch.get("build-commands", [])),
              f"the libtorch module does not install into {libtorch_dirs[0]}")
        check(any("download.pytorch.org/libtorch/cpu/" in s.get("url", "") for s in torch.get("sources", [])),
              "the libtorch module is not the official CPU release archive")

    return report()


def report():
    for message in failures:
        print("FAIL:", message)
    if not failures:
        print("Flatpak manifest OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
