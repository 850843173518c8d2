#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian packages: scripts/build-debs builds them from the tree (lintian
# errors fail it), and this checks what each holds and depends on.
set -eu
source_root="$1"

if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
  echo "SKIP: dpkg-buildpackage or debhelper is not installed (scripts/install-deps --tests installs them)"
  exit 77
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# No debug-symbol packages: they would only double the time.
DEB_BUILD_OPTIONS="noautodbgsym nocheck" \
  "$source_root/scripts/build-debs" "$out" > "$out/build.log" 2>&1 || {
  tail -50 "$out/build.log"
  echo "FAIL: scripts/build-debs"
  exit 1
}

status=0
fail () {
  echo "FAIL: $*"
  status=1
}

version="$(dpkg-parsechangelog -l "$source_root/debian/changelog" -S Version)"
cli="$out/camtrail-cli_${version}_amd64.deb"
app="$out/camtrail_${version}_amd64.deb"
for deb in "$cli" "$app"; do
  [ -f "$deb" ] || fail "missing $deb"
done
[ "$status" -eq 0 ] || exit 1

cli_files="$(dpkg-deb -c "$cli" | awk '{print $6}')"
app_files="$(dpkg-deb -c "$app" | awk '{print $6}')"
for path in ./usr/bin/camtrail-cli ./usr/share/man/man1/camtrail-cli.1.gz \
            ./usr/share/locale/de/LC_MESSAGES/camtrail.mo ./usr/share/locale/fr/LC_MESSAGES/camtrail.mo; do
  echo "$cli_files" | grep -qx "$path" || fail "camtrail-cli lacks $path"
done
for path in ./usr/bin/camtrail ./usr/share/man/man1/camtrail.1.gz \
            ./usr/share/applications/io.github.camtrail.Camtrail.desktop \
            ./usr/share/metainfo/io.github.camtrail.Camtrail.metainfo.xml \
            ./usr/share/glib-2.0/schemas/io.github.camtrail.Camtrail.gschema.xml \
            ./usr/share/dbus-1/services/io.github.camtrail.Camtrail.service \
            ./usr/share/icons/hicolor/scalable/apps/io.github.camtrail.Camtrail.svg \
            ./usr/share/icons/hicolor/symbolic/apps/io.github.camtrail.Camtrail-symbolic.svg; do
  echo "$app_files" | grep -qx "$path" || fail "camtrail lacks $path"
done
# Each file in one package only, and nothing of the tests or headers.
both="$(printf '%s\n%s\n' "$cli_files" "$app_files" | grep -v '/$' | sort | uniq -d)"
[ -z "$both" ] || fail "in both packages: $both"
printf '%s\n%s\n' "$cli_files" "$app_files" | grep -E '/include/|\.a$|/test-' && fail "headers, archives or tests packaged"

# The command line runs on a server: no GTK.  The window needs the command
# line's exact version (its translations) and GTK 4.
cli_depends="$(dpkg-deb -f "$cli" Depends)"
app_depends="$(dpkg-deb -f "$app" Depends)"
echo "$cli_depends" | grep -q 'libtorch' || fail "camtrail-cli does not depend on libtorch: $cli_depends"
echo "$cli_depends" | grep -q 'gtk' && fail "camtrail-cli depends on GTK: $cli_depends"
echo "$app_depends" | grep -q "camtrail-cli (= $version)" || fail "camtrail does not depend on camtrail-cli (= $version)"
echo "$app_depends" | grep -q 'libgtk-4-1' || fail "camtrail does not depend on libgtk-4-1"
for deb in "$cli" "$app"; do
  dpkg-deb -f "$deb" Recommends | grep -q dataset-fashion-mnist || fail "$deb does not recommend dataset-fashion-mnist"
done

# The man pages are the programs' --help.
dpkg-deb --fsys-tarfile "$cli" | tar -xOf - ./usr/share/man/man1/camtrail-cli.1.gz | gzip -d |
  grep -q -- '--batch-size' || fail "camtrail-cli.1 lacks the train options"

[ "$status" -eq 0 ] && echo "ok: $(basename "$cli") $(basename "$app")"
exit "$status"
