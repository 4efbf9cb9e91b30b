#!/bin/sh
# Checks of the data files, run by `meson test --suite data`.
# Usage: check-data.sh CHECK SOURCE_ROOT BUILD_ROOT
set -eu
check=$1
src=$2
build=$3

fail () { echo "FAIL: $*" >&2; exit 1; }

case "$check" in
desktop)
  desktop-file-validate "$build/data/io.github.teahouse.Teahouse.desktop"
  grep -q '^Name\[zh_CN\]=' "$build/data/io.github.teahouse.Teahouse.desktop" ||
    fail "the desktop file has no Chinese name"
  ;;
metainfo)
  # No errors and no warnings. Infos are allowed: Debian 12's appstream
  # (0.16) does not know <developer> yet, which newer ones require.
  out=$(appstreamcli validate --no-net --explain "$build/data/io.github.teahouse.Teahouse.metainfo.xml" 2>&1) || true
  echo "$out"
  if echo "$out" | grep -qE '^(E|W):'; then
    fail "appstreamcli validate reported errors or warnings"
  fi
  # Every screenshot it shows is one build-aux/make-screenshots renders.
  for shot in $(grep -o 'docs/screenshots/[^<]*' "$src/data/io.github.teahouse.Teahouse.metainfo.xml.in"); do
    [ -f "$src/$shot" ] || fail "the metainfo shows $shot, which is not in the repository"
  done
  ;;
schemas)
  glib-compile-schemas --strict --dry-run "$src/data"
  ;;
translations)
  # Against the strings in the code now, not the last merged template.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$src" && xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ \
     --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --keyword=g_dcgettext:2 \
     --keyword=g_dpgettext2:2c,3 --flag=g_dngettext:2:pass-c-format \
     --files-from=po/POTFILES.in -o "$tmp/teahouse.pot")
  status=0
  for lang in $(grep -v '^#' "$src/po/LINGUAS"); do
    msgmerge --quiet -o "$tmp/$lang.po" "$src/po/$lang.po" "$tmp/teahouse.pot"
    stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
    echo "$lang: $stats"
    case "$stats" in
      *untranslated*|*fuzzy*) status=1 ;;
    esac
  done
  [ $status -eq 0 ] || fail "a translation is not complete"
  ;;
potfiles)
  cd "$src"
  missing=""
  for f in $(git ls-files 'src/*.c' 'src/*.ui' 'src/**/*.c' 'src/**/*.ui' 'server/*.c' 'data/*.in' 'data/*.xml' 2>/dev/null || true); do
    if grep -qE '(^|[^a-zA-Z_])(_|N_|C_|NC_|g_dngettext|ngettext)\s*\(|translatable="yes"|<summary>|<description>' "$f" &&
       ! grep -qxF "$f" po/POTFILES.in; then
      missing="$missing $f"
    fi
  done
  [ -z "$missing" ] || fail "files with translatable strings missing from po/POTFILES.in:$missing"
  for f in $(grep -v '^#' po/POTFILES.in); do
    [ -f "$f" ] || fail "po/POTFILES.in lists $f, which does not exist"
  done
  ;;
install)
  dest=$(mktemp -d)
  trap 'rm -rf "$dest"' EXIT
  DESTDIR="$dest" meson install -C "$build" --no-rebuild --quiet >/dev/null
  prefix=$(meson introspect "$build" --buildoptions | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
  for f in \
      bin/teahouse bin/teahouse-cli sbin/teahoused \
      share/applications/io.github.teahouse.Teahouse.desktop \
      share/metainfo/io.github.teahouse.Teahouse.metainfo.xml \
      share/dbus-1/services/io.github.teahouse.Teahouse.service \
      share/glib-2.0/schemas/io.github.teahouse.Teahouse.gschema.xml \
      share/icons/hicolor/scalable/apps/io.github.teahouse.Teahouse.svg \
      share/icons/hicolor/symbolic/apps/io.github.teahouse.Teahouse-symbolic.svg \
      share/locale/zh_CN/LC_MESSAGES/teahouse.mo \
      share/man/man8/teahoused.8 share/man/man1/teahouse-cli.1 share/man/man1/teahouse.1 \
      lib/systemd/system/teahoused.service lib/systemd/system/teahoused.socket \
      etc/teahouse/teahoused.conf; do
    [ -e "$dest$prefix/$f" ] || fail "meson install did not install $prefix/$f"
    echo "installed $prefix/$f"
  done
  grep -q "^Exec=$prefix/bin/teahouse --gapplication-service" "$dest$prefix/share/dbus-1/services/io.github.teahouse.Teahouse.service" ||
    fail "the D-Bus service does not start the installed binary"
  ;;
systemd)
  unit="$build/data/systemd/teahoused.service"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # verify checks that ExecStart exists: point a copy at the built daemon.
  sed "s|^ExecStart=[^ ]*|ExecStart=$build/server/teahoused|" "$unit" > "$tmp/teahoused.service"
  cp "$src/data/systemd/teahoused.socket" "$tmp/"
  out=$(systemd-analyze verify --man=no "$tmp/teahoused.service" "$tmp/teahoused.socket" 2>&1) ||
    { echo "$out"; fail "systemd-analyze verify"; }
  [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
  out=$(systemd-analyze security --offline=true --no-pager "$unit")
  level=$(echo "$out" | sed -n 's/.*Overall exposure level for teahoused.service: \([0-9.]*\).*/\1/p')
  echo "systemd-analyze security: exposure $level"
  [ -n "$level" ] || { echo "$out"; fail "no exposure level"; }
  awk "BEGIN { exit !($level <= 1.5) }" || { echo "$out"; fail "exposure $level is above 1.5"; }
  ;;
*)
  fail "unknown check $check"
  ;;
esac
