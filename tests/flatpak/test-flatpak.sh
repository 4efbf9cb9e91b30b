#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Proves flatpak/io.github.teahouse.Teahouse.json for real, without Flathub:
#
#   a. flatpak-builder parses the manifest without warnings, and the manifest
#      targets GNOME 48 with exactly the documented finish-args;
#   b. a stand-in runtime and SDK are built from Debian trixie packages (GTK
#      4.18, like GNOME 48) with mmdebstrap and installed into a private
#      Flatpak installation -- cached, keyed by the package lists;
#   c. a copy of the manifest, with only runtime, sdk and runtime-version
#      pointing at the stand-ins, is built (tests included) and installed;
#   d. the app runs sandboxed on Xvfb, with a private session bus: its window
#      appears (screenshot), it owns its bus name through Flatpak's D-Bus
#      proxy, D-Bus activation through the exported service file starts it
#      too, and `flatpak run --command=teahoused ... --version` works;
#   e. the desktop file, AppStream data, icons and D-Bus service are exported;
#   f. the app's own sources compile without deprecation warnings.
#
# Usage: tests/flatpak/test-flatpak.sh [SOURCE_ROOT]
#
# The cache (stand-in runtime, Flatpak installation, flatpak-builder state,
# logs and screenshot of the last run) is TEAHOUSE_FLATPAK_CACHE, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/teahouse-flatpak. Delete it to start cold.
# See flatpak/README.md.
set -euo pipefail

APP_ID=io.github.teahouse.Teahouse
PLATFORM=io.github.teahouse.TestPlatform
SDK=io.github.teahouse.TestSdk
BRANCH="test"
REMOTE=teahouse-test
SUITE=trixie
# Bump when the way a tree becomes a runtime changes: it is part of the key.
LAYOUT_VERSION=1

# What GNOME 48's Platform and Sdk provide to this app, from Debian trixie.
# The runtime: GTK and what it needs at run time (the app bundles libsodium).
RUNTIME_PACKAGES="libgtk-4-1 librsvg2-common adwaita-icon-theme fonts-dejavu-core
  fonts-noto-cjk dbus-x11"
# The SDK: the runtime plus the tools the manifest's modules build, install
# and test with. Deliberately not xvfb or xdotool: the GNOME SDK has neither.
SDK_PACKAGES="$RUNTIME_PACKAGES libgtk-4-dev gcc libc6-dev make autoconf automake
  libtool meson ninja-build pkg-config gettext python3 help2man libxml2-utils
  desktop-file-utils appstream appstream-util dbus-daemon ccache"

# Every /app/lib library must be found at run time, as in the GNOME runtime.
LD_SO_CONF='include /run/flatpak/ld.so.conf.d/app-*.conf
include /app/etc/ld.so.conf
/app/lib
include /etc/ld.so.conf.d/*.conf
include /run/flatpak/ld.so.conf.d/runtime-*.conf'

fail () { echo "FAIL: $*" >&2; exit 1; }
note () { echo "-- $*"; }

# ---------------------------------------------------------------------------
# d, inside the virtual display and the private session bus (the script runs
# itself there): writes its findings to $work/display.* and exits non-zero on
# the first failure.
# ---------------------------------------------------------------------------
wait_for_window () {
  # Prints the window ids once a window named Teahouse is mapped.
  local _
  for _ in $(seq 1 "$1"); do
    if xdotool search --onlyvisible --name '^Teahouse$' 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  return 1
}

bus_has_owner () {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$APP_ID" 2>/dev/null | grep -q true
}

in_display () {
  work=$1
  cd "$work"
  local pid colours

  flatpak run --user --no-a11y-bus --env=GTK_A11Y=none --env=GSK_RENDERER=cairo \
    --env=GDK_BACKEND=x11 "$APP_ID" > app.log 2>&1 &
  pid=$!
  echo "$pid" > display.pid
  # shellcheck disable=SC2064
  trap "flatpak kill $APP_ID 2> /dev/null; kill $pid 2> /dev/null || true" EXIT
  if command -v xdotool > /dev/null; then
    wait_for_window 90 > display.windows || fail "no window named Teahouse appeared within 90 s"
    note "window(s): $(tr '\n' ' ' < display.windows)"
    sleep 3   # let it finish drawing
  else
    note "xdotool not found: waiting 20 s instead of looking for the window"
    sleep 20
  fi
  kill -0 "$pid" 2> /dev/null || fail "the app exited early"
  import -window root shot.png || fail "import could not capture the screen"
  colours=$(convert shot.png -format %k info:)
  echo "$colours" > display.colours
  [ "$colours" -gt 50 ] || fail "the screenshot has $colours colours: no window was drawn"
  note "screenshot: $colours colours"

  bus_has_owner || fail "the app does not own $APP_ID on the session bus (GApplication registration through Flatpak's D-Bus proxy)"
  note "the app owns $APP_ID on the session bus"

  # `flatpak run` became bwrap's monitor process; killing it would leave the
  # sandbox running. flatpak kill ends the sandbox's whole PID namespace.
  flatpak kill "$APP_ID" || fail "flatpak kill $APP_ID failed"
  wait "$pid" 2> /dev/null || true
  rm -f display.pid
  for _ in $(seq 1 20); do bus_has_owner || break; sleep 0.5; done
  ! bus_has_owner || fail "$APP_ID still owned after the app was killed"

  # How GNOME starts a DBusActivatable app: through the exported service file.
  gdbus call --session --timeout 90 --dest "$APP_ID" --object-path /io/github/teahouse/Teahouse \
    --method org.freedesktop.Application.Activate '{}' > activate.log 2>&1 ||
    { cat activate.log; fail "D-Bus activation through the exported service file failed"; }
  if command -v xdotool > /dev/null; then
    wait_for_window 90 > /dev/null || fail "D-Bus activation started no window"
  fi
  note "D-Bus activation opened the window"
  gdbus call --session --dest "$APP_ID" --object-path /io/github/teahouse/Teahouse \
    --method org.freedesktop.Application.ActivateAction quit '[]' '{}' > /dev/null ||
    fail "app.quit over D-Bus failed"
  for _ in $(seq 1 40); do bus_has_owner || break; sleep 0.5; done
  ! bus_has_owner || fail "the D-Bus activated app did not quit"
  echo ok > display.ok
}

if [ "${1:-}" = --in-display ]; then
  in_display "$2"
  exit 0
fi

# ---------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
manifest=$src/flatpak/$APP_ID.json
[ -f "$manifest" ] || fail "no manifest at $manifest"

missing=""
for tool in flatpak flatpak-builder bwrap ostree mmdebstrap eu-strip xvfb-run xauth \
            import convert dbus-run-session gdbus python3 flock; do
  command -v "$tool" > /dev/null || missing="$missing $tool"
done
[ -z "$missing" ] || fail "missing on this machine:$missing (build-aux/install-deps installs them)"

cache=${TEAHOUSE_FLATPAK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/teahouse-flatpak}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
avail_kb=$(df -Pk "$cache" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -ge $((6 * 1024 * 1024)) ] ||
  fail "only $((avail_kb / 1024)) MB free on the file system of $cache; the first run needs 6 GB"

exec 9> "$cache/lock"
flock -w 1800 9 || fail "another test-flatpak.sh holds $cache/lock"

mirror=${TEAHOUSE_FLATPAK_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
arch=$(flatpak --default-arch)

export FLATPAK_USER_DIR=$cache/flatpak
work=$(mktemp -d "$cache/run.XXXXXX")
# A short private runtime dir: flatpak puts its instance and D-Bus proxy sockets there.
rundir=$(mktemp -d /tmp/teahouse-flatpak.XXXXXX)
chmod 700 "$rundir"
mkdir -p "$work/home"

# Runs a command with a private home and runtime dir, away from the desktop
# session: the user's own ~/.var/app, session bus and display stay untouched.
isolated () {
  env -u WAYLAND_DISPLAY -u DISPLAY -u DBUS_SESSION_BUS_ADDRESS \
      -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_CACHE_HOME -u XDG_STATE_HOME \
      HOME="$work/home" XDG_RUNTIME_DIR="$rundir" "$@"
}

cleanup () {
  local rc=$?
  if [ -n "${phase_name:-}" ] && [ "$phase_name" != "end" ]; then
    phase "end"
    echo "== timings (until the failure)"
    printf '%s' "$timings"
  fi
  if [ -f "$work/display.pid" ]; then
    XDG_RUNTIME_DIR=$rundir flatpak kill "$APP_ID" 2> /dev/null || true
    kill "$(cat "$work/display.pid")" 2> /dev/null || true
  fi
  if [ -d "$work" ]; then
    rm -rf "$cache/last-run"
    mkdir -p "$cache/last-run"
    cp "$work"/*.log "$work"/*.png "$cache/last-run/" 2> /dev/null || true
    rm -rf "$work"
  fi
  rm -rf "$rundir" "$cache/builder/build"
  if [ $rc -ne 0 ]; then
    echo "Logs and screenshot of this run: $cache/last-run" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timings=""
phase_start=$(date +%s)
phase_name=""
phase () {
  local now
  now=$(date +%s)
  if [ -n "$phase_name" ]; then
    timings="$timings$(printf '  %-40s %4d s' "$phase_name" $((now - phase_start)))
"
  fi
  phase_name=$1
  phase_start=$now
  [ "$1" = "end" ] || echo "== $1"
}

# ---------------------------------------------------------------------------
phase "a. manifest parses cleanly"
# ---------------------------------------------------------------------------
# (From $work: flatpak-builder makes a .flatpak-builder directory where it runs.)
(cd "$work" && flatpak-builder --show-manifest "$manifest") > "$work/show-manifest.log" 2> "$work/show-manifest.err" ||
  { cat "$work/show-manifest.err" >&2; fail "flatpak-builder --show-manifest rejected $manifest"; }
if grep -qiE 'unknown|warning|critical' "$work/show-manifest.err"; then
  cat "$work/show-manifest.err" >&2
  fail "flatpak-builder --show-manifest warned about $manifest (unknown keys are ignored silently at build time)"
fi
python3 - "$manifest" <<'EOF' || fail "the manifest does not have the documented runtime, command and finish-args"
import json, sys
m = json.load(open(sys.argv[1]))
expect = {"runtime": "org.gnome.Platform", "sdk": "org.gnome.Sdk",
          "runtime-version": "48", "command": "teahouse"}
for key, value in expect.items():
    if m.get(key) != value:
        sys.exit(f"{key} is {m.get(key)!r}, expected {value!r}")
documented = ["--share=network", "--share=ipc", "--socket=wayland",
              "--socket=fallback-x11", "--device=dri"]
if sorted(m.get("finish-args", [])) != sorted(documented):
    sys.exit(f"finish-args are {m.get('finish-args')}, flatpak/README.md justifies exactly {documented}")
EOF
note "ok"

# ---------------------------------------------------------------------------
phase "b. stand-in runtime and SDK"
# ---------------------------------------------------------------------------
key=$(printf '%s\n' "$LAYOUT_VERSION" "$SUITE" "$mirror" "$arch" "$RUNTIME_PACKAGES" \
        "$SDK_PACKAGES" "$LD_SO_CONF" | sha256sum | cut -c1-16)

runtime_installed () {
  [ "$(cat "$cache/runtime.key" 2> /dev/null)" = "$key" ] &&
    flatpak info --user "$PLATFORM//$BRANCH" > /dev/null 2>&1 &&
    flatpak info --user "$SDK//$BRANCH" > /dev/null 2>&1
}

# Builds a Debian tree with mmdebstrap and lays it out as a runtime in
# $work/NAME: files/ (the tree's usr, with its etc as files/etc) and metadata.
build_runtime_tree () {
  local name=$1 id=$2 packages=$3 dir=$work/$1 start
  start=$(date +%s)
  mkdir -p "$dir/tree" "$work/debs"
  # The .debs are shared between the two trees through $work/debs.
  # shellcheck disable=SC2016
  if ! TMPDIR=$work mmdebstrap --variant=apt --skip=essential/unlink \
      --aptopt='Acquire::Retries "3"' \
      --dpkgopt=force-unsafe-io \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
      --setup-hook="sync-in $work/debs /var/cache/apt/archives/" \
      --customize-hook="sync-out /var/cache/apt/archives $work/debs" \
      --include="$(echo "$packages" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')" \
      "$SUITE" - "$mirror" 2> "$work/mmdebstrap-$name.log" 9>&- |
      tar -x -C "$dir/tree" ./usr ./etc; then
    tail -n 30 "$work/mmdebstrap-$name.log" >&2
    fail "mmdebstrap could not build the $name tree from $mirror $SUITE"
  fi
  mv "$dir/tree/usr" "$dir/files"
  mv "$dir/tree/etc" "$dir/files/etc"
  rm -rf "$dir/tree"
  # flatpak runs plain `ldconfig` to build the app's library cache.
  [ -e "$dir/files/bin/ldconfig" ] || ln -s ../sbin/ldconfig "$dir/files/bin/ldconfig"
  printf '%s\n' "$LD_SO_CONF" > "$dir/files/etc/ld.so.conf"
  printf '[Runtime]\nname=%s\nruntime=%s/%s/%s\nsdk=%s/%s/%s\n' "$id" \
    "$PLATFORM" "$arch" "$BRANCH" "$SDK" "$arch" "$BRANCH" > "$dir/metadata"
  note "$name tree: $(du -sh "$dir/files" | cut -f1), $(($(date +%s) - start)) s"
}

export_runtime_tree () {
  local name=$1 dir=$work/$1 start
  start=$(date +%s)
  flatpak build-export --disable-fsync --files=files "$cache/repo" "$dir" "$BRANCH" \
    > "$work/export-$name.log" 2>&1 ||
    { tail -n 20 "$work/export-$name.log" >&2; fail "flatpak build-export of the $name failed"; }
  rm -rf "$dir"
  note "$name exported in $(($(date +%s) - start)) s"
}

if runtime_installed; then
  note "cached ($key): $(flatpak info --user "$PLATFORM//$BRANCH" | sed -n 's/^ *Commit: *//p' | cut -c1-12)," \
       "$(flatpak info --user "$SDK//$BRANCH" | sed -n 's/^ *Commit: *//p' | cut -c1-12)"
else
  note "building $SUITE trees from $mirror (key $key)"
  rm -rf "$cache/repo" "$FLATPAK_USER_DIR" "$cache/runtime.key"
  build_runtime_tree runtime "$PLATFORM" "$RUNTIME_PACKAGES"
  build_runtime_tree sdk "$SDK" "$SDK_PACKAGES"
  rm -rf "$work/debs"
  # bare-user-only: no compression, and the installation hard-links its objects.
  ostree --repo="$cache/repo" init --mode=bare-user-only
  export_runtime_tree runtime
  export_runtime_tree sdk
  start=$(date +%s)
  flatpak remote-add --user --if-not-exists --no-gpg-verify "$REMOTE" "file://$cache/repo"
  flatpak install --user -y --noninteractive "$REMOTE" "$PLATFORM//$BRANCH" "$SDK//$BRANCH" \
    > "$work/install-runtime.log" 2>&1 ||
    { tail -n 20 "$work/install-runtime.log" >&2; fail "flatpak install of the stand-in runtime failed"; }
  echo "$key" > "$cache/runtime.key"
  note "installed in $(($(date +%s) - start)) s"
fi

# ---------------------------------------------------------------------------
phase "c. build and install the manifest"
# ---------------------------------------------------------------------------
# At a fixed path: flatpak-builder's cache of built modules is keyed by it.
mkdir -p "$cache/manifest"
copy=$cache/manifest/$APP_ID.json
python3 - "$manifest" "$copy" "$PLATFORM" "$SDK" "$BRANCH" <<'EOF' || fail "could not write the stand-in copy of the manifest"
import copy, json, os, sys
src, dst, platform, sdk, branch = sys.argv[1:]
m = json.load(open(src))
t = copy.deepcopy(m)
t["runtime"], t["sdk"], t["runtime-version"] = platform, sdk, branch
# The copy lives elsewhere: a relative "dir" source must point where it did.
def fix(modules):
    for mod in modules:
        if isinstance(mod, dict):
            for s in mod.get("sources", []):
                if isinstance(s, dict) and s.get("type") == "dir":
                    s["path"] = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(src)), s["path"]))
            fix(mod.get("modules", []))
fix(t.get("modules", []))
json.dump(t, open(dst, "w"), indent=2)
EOF
if ! flatpak-builder --user --install --force-clean --disable-rofiles-fuse --ccache \
     --state-dir="$cache/builder" "$work/app" "$copy" > "$work/flatpak-builder.log" 2>&1 9>&-; then
  tail -n 60 "$work/flatpak-builder.log" >&2
  fail "flatpak-builder could not build $manifest against $SDK//$BRANCH"
fi
grep -q '^Running tests' "$work/flatpak-builder.log" || fail "flatpak-builder ran no tests (run-tests?)"
sed -n 's/^Running: \(meson test.*\)/   \1/p; s/^\([0-9]*\/[0-9]* .*\)/     \1/p; s/^\(Ok\|Fail\|Timeout\): *\([0-9]*\)/     \1: \2/p' \
  "$work/flatpak-builder.log"
flatpak info --user "$APP_ID" > /dev/null || fail "$APP_ID is not installed after flatpak-builder --install"
note "installed $APP_ID"

# ---------------------------------------------------------------------------
phase "d. run it sandboxed"
# ---------------------------------------------------------------------------
out=$(isolated flatpak run --user --command=teahoused "$APP_ID" --version 2>&1) ||
  fail "flatpak run --command=teahoused $APP_ID --version failed: $out"
case "$out" in
  teahoused*) note "teahoused --version: $out" ;;
  *) fail "teahoused --version printed: $out" ;;
esac

# A private session bus, started inside the display so that what it activates
# can draw; it finds the exported D-Bus service files through XDG_DATA_DIRS.
isolated XDG_DATA_DIRS="$FLATPAK_USER_DIR/exports/share:/usr/local/share:/usr/share" \
    GTK_A11Y=none GSK_RENDERER=cairo GDK_BACKEND=x11 \
    timeout 400 xvfb-run -a -s "-screen 0 1000x700x24" \
    dbus-run-session -- "$BASH" "$0" --in-display "$work" 9>&- 2>&1 | tee "$work/display.log" || true
if [ ! -f "$work/display.ok" ]; then
  echo "--- app.log:" >&2
  cat "$work/app.log" >&2 2> /dev/null || true
  fail "the sandboxed app did not run as expected (see above)"
fi

# ---------------------------------------------------------------------------
phase "e. exported files"
# ---------------------------------------------------------------------------
exports=$FLATPAK_USER_DIR/exports/share
for f in applications/$APP_ID.desktop \
         icons/hicolor/scalable/apps/$APP_ID.svg \
         icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg \
         dbus-1/services/$APP_ID.service; do
  [ -s "$exports/$f" ] || fail "not exported: $exports/$f"
  note "exported $f"
done
metainfo=""
for f in metainfo/$APP_ID.metainfo.xml metainfo/$APP_ID.appdata.xml appdata/$APP_ID.appdata.xml; do
  [ -s "$exports/$f" ] && metainfo=$f
done
[ -n "$metainfo" ] || fail "no AppStream data exported under $exports/metainfo"
note "exported $metainfo"
grep -q "^Exec=.*flatpak run .*--command=\(/app/bin/\)\?teahouse .*$APP_ID --gapplication-service" \
  "$exports/dbus-1/services/$APP_ID.service" ||
  { cat "$exports/dbus-1/services/$APP_ID.service" >&2; fail "the exported D-Bus service does not run the app's teahouse"; }
grep -q "^Icon=$APP_ID\$" "$exports/applications/$APP_ID.desktop" ||
  fail "the exported desktop file does not use the $APP_ID icon"

# ---------------------------------------------------------------------------
phase "f. deprecations in the app's sources"
# ---------------------------------------------------------------------------
gtk=$(isolated flatpak run --user --command=pkg-config "$SDK//$BRANCH" --modversion gtk4 2> /dev/null || echo '?')
own='(^|[ /])(src|server|tests)/[^ :]+:[0-9]+'
if grep -E "$own" "$work/flatpak-builder.log" | grep -i 'deprecat' > "$work/deprecations.log"; then
  cat "$work/deprecations.log" >&2
  fail "the app's sources use API deprecated in GTK $gtk / GLib (above)"
fi
warnings=$(grep -E "$own" "$work/flatpak-builder.log" | grep -c 'warning:' || true)
note "no deprecation warnings against GTK $gtk ($warnings other compiler warnings from the app's sources)"

phase "end"
echo "== timings"
printf '%s' "$timings"
echo "PASS: $APP_ID builds, installs and runs as a Flatpak (screenshot: $cache/last-run/shot.png)"
