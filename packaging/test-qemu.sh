#!/usr/bin/env bash
# Tests the cross-built arm64 or armhf binaries on this amd64 machine under qemu-user (Debian's
# qemu-user-static, called explicitly: containers seldom have binfmt_misc), with the target's
# dynamic loader and libraries from the multiarch packages in / (-L /): the unit tests, then a
# short serve → API → ICMP and HTTP check → stop, the server run as the packaged unit runs it
# (a system user with CAP_NET_RAW and CAP_NET_BIND_SERVICE only, NoNewPrivileges); then which
# ICMP sockets work under qemu-user, in a network namespace of its own (its ping_group_range is
# changed there, not the machine's).
#   packaging/test-qemu.sh arm64|armhf [--no-build]
# builds first with packaging/build-deb.sh ARCH (and the unit_tests target in the same tree).
# Run by hand, as root, not by CI (see README, "Packages").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ $(id -u) -eq 0 ]] || { echo "test-qemu: run as root" >&2; exit 2; }
arch=${1:-}
case $arch in
  arm64) qemu=qemu-aarch64-static ;;
  armhf) qemu=qemu-arm-static ;;
  *) echo "usage: packaging/test-qemu.sh arm64|armhf [--no-build]" >&2; exit 2 ;;
esac
build=$root/build-$arch
mode=${2:-}
if [[ $mode != --no-build && $mode != --icmp-variants ]]; then
  command -v "$qemu" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
  bash packaging/build-deb.sh "$arch"
  nice cmake --build "$build" -j"${TELLTALE_JOBS:-2}" --target unit_tests
fi
# The tests in a network namespace of their own: their ports are free whatever else runs here.
if [[ -z ${TELLTALE_TEST_NETNS:-} && $mode != --icmp-variants ]]; then
  TELLTALE_TEST_NETNS=1 exec unshare -n bash "$root/packaging/test-qemu.sh" "$arch" --no-build
fi
ip link set lo up
port=${TELLTALE_TEST_PORT:-18471}
url=http://127.0.0.1:$port
source packaging/test-lib.sh
work=$(mktemp -d /tmp/telltale-qemu.XXXXXX)
chmod 0755 "$work"
cleanup() {
  cleanup_server
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

# `telltale` for this architecture, as a program of the build machine: the unit tests start it
# (TELLTALE_BIN) and so does the smoke test.
bin=$work/telltale
printf '#!/bin/sh\nexec %s -L / %s "$@"\n' "$qemu" "$build/telltale" >"$bin"
chmod 0755 "$bin"

# The server as nobody with CAPS ("" for none) on a fresh data directory; the smoke test's
# output, or its failure.
smoke_as_nobody() {
  local data
  data=$(mktemp -d "$work/data.XXXXXX")
  chown nobody "$data"
  chmod 0700 "$data"
  TELLTALE_LISTEN=127.0.0.1:$port TELLTALE_SNMP_TRAP_LISTEN=off \
    start_server nobody "$1" 0077 "$bin" serve --data "$data"
  local rc=0
  python3 packaging/smoke.py first "$url" "$log" -- "$bin" setup-code --data "$data" || rc=$?
  stop_server
  return $rc
}

if [[ $mode == --icmp-variants ]]; then  # run by the script itself, in a network namespace
  icmp_variant() {
    local out
    out=$(smoke_as_nobody "$2" 2>&1) || true
    printf 'test-qemu: ICMP as nobody, %s, ping_group_range %s: %s\n' "$1" \
      "$(tr '\t' ' ' </proc/sys/net/ipv4/ping_group_range)" \
      "$(grep -o "icmp check of 127.0.0.1: up.*\|'message': '[^']*" <<<"$out" | head -1)"
    grep -q "icmp check of 127.0.0.1: $3" <<<"$out"
  }
  icmp_variant "CAP_NET_RAW (a raw socket)" CAP_NET_RAW "up"
  icmp_variant "no capability" "" "200 .*'error': 'permission'"
  sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  icmp_variant "no capability (an ICMP datagram socket)" "" "up"
  exit 0
fi

file -b "$build/telltale" "$build/tests/unit_tests" | cut -d, -f1-2
"$bin" version

step "unit tests ($arch, qemu-user)"
start=$(date +%s)
rc=0
TELLTALE_BIN=$bin "$qemu" -L / "$build/tests/unit_tests" || rc=$?
echo "test-qemu: unit tests: exit $rc in $(($(date +%s) - start)) s"
[[ $rc -eq 0 ]] || exit 1

step "serve → API → ICMP and HTTP check → stop ($arch, qemu-user)"
# The packaged unit's user and capabilities: nobody here, with a data directory of its own.
start=$(date +%s)
smoke_as_nobody "CAP_NET_RAW CAP_NET_BIND_SERVICE"
echo "test-qemu: serve to stop in $(($(date +%s) - start)) s"

step "ICMP sockets under qemu-user ($arch)"
unshare -n bash "$root/packaging/test-qemu.sh" "$arch" --icmp-variants
printf '\ntest-qemu: %s PASSED\n' "$arch"
