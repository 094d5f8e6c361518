#!/usr/bin/env bash
# Tests the amd64 package on this machine, as root: install (dpkg -i), `systemd-analyze verify`
# of the unit, the unit's ExecStart run as the unit runs it (its User=, AmbientCapabilities=,
# CapabilityBoundingSet=, NoNewPrivileges=, UMask=: setpriv, as systemd is not PID 1 in a
# container), the API, an ICMP and an HTTP check, `telltale setup-code`; then an upgrade from an
# older version of the package (built from this tree with a lower version) keeping the data, and
# a purge removing data, configuration and user. Leaves the machine as it was: refuses to start
# when a telltale package, user or /var/lib/telltale is there already.
#   packaging/test-deb.sh [--no-build]
# builds both packages with packaging/build-deb.sh first (--no-build: uses build-deb/'s).
# Run by hand, not by CI (see README, "Packages").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ $(id -u) -eq 0 ]] || { echo "test-deb: run as root" >&2; exit 2; }
if dpkg-query -W telltale >/dev/null 2>&1 || getent passwd telltale >/dev/null ||
  [[ -e /var/lib/telltale || -e /etc/telltale ]]; then
  echo "test-deb: telltale is installed or has left files here; this test would change them" >&2
  exit 2
fi

version=$(sed -n 's/^project(telltale VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)-1
old_version=0.0.1-1
if [[ -z ${TELLTALE_TEST_NETNS:-} ]]; then
  if [[ "${1:-}" != "--no-build" ]]; then
    bash packaging/build-deb.sh amd64 --no-deps
    bash packaging/build-deb.sh amd64 --no-deps --version "$old_version"
  fi
  # The rest in a network namespace of its own: its ports (UDP 162 too) are free whatever else
  # runs here.
  TELLTALE_TEST_NETNS=1 exec unshare -n bash "$root/packaging/test-deb.sh" --no-build
fi
ip link set lo up
new_deb=build-deb/telltale_${version}_amd64.deb
old_deb=build-deb/telltale_${old_version}_amd64.deb
port=${TELLTALE_TEST_PORT:-18470}
url=http://127.0.0.1:$port
source packaging/test-lib.sh

cleanup() {
  cleanup_server
  if dpkg-query -W telltale >/dev/null 2>&1; then dpkg --purge telltale >/dev/null || true; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

# The unit's own settings, read from the installed unit, so the test runs what systemd would.
unit=/lib/systemd/system/telltale.service
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -1; }

# Runs the unit's ExecStart in the background as systemd would start it, with TELLTALE_LISTEN
# and TELLTALE_SNMP_TRAP_LISTEN on loopback (the environment beats the config file).
start_as_unit() {
  [[ $(unit_value CapabilityBoundingSet) == "$(unit_value AmbientCapabilities)" ]] ||
    { echo "test-deb: the bounding set is not the ambient set" >&2; exit 1; }
  [[ $(unit_value NoNewPrivileges) == yes ]] || { echo "test-deb: NoNewPrivileges is not set" >&2; exit 1; }
  local exec
  read -r -a exec <<<"$(unit_value ExecStart)"
  TELLTALE_LISTEN=127.0.0.1:$port TELLTALE_SNMP_TRAP_LISTEN=127.0.0.1:162 \
    start_server "$(unit_value User)" "$(unit_value AmbientCapabilities)" "$(unit_value UMask)" "${exec[@]}"
  # CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13): 0x2400, and nothing else.
  for f in CapEff CapBnd CapAmb; do
    grep -q "^$f:[[:space:]]*0000000000002400$" "/proc/$server/status" ||
      { echo "test-deb: $f is not CAP_NET_RAW+CAP_NET_BIND_SERVICE" >&2; exit 1; }
  done
  # UDP 162 is below 1024: CAP_NET_BIND_SERVICE at work.
  wait_log "SNMP traps: listening on udp 127.0.0.1:162"
  grep "SNMP traps:" "$log"
}

step "install $old_deb (dpkg -i)"
dpkg -i "$old_deb"
getent passwd telltale
stat -c '%U:%G %a %n' /var/lib/telltale /etc/telltale/telltale.conf
dpkg-query -W -f='${Conffiles}\n' telltale

step "systemd-analyze verify"
systemd-analyze verify "$unit" /lib/systemd/system/telltale-agent.service
echo "verified: $unit, telltale-agent.service"
systemd-analyze security --offline=yes "$unit" | tail -1

step "the unit's command line, as its user with its capabilities"
start_as_unit
python3 packaging/smoke.py first "$url" "$log" -- telltale setup-code --data /var/lib/telltale
echo "test-deb: /var/lib/telltale: $(ls /var/lib/telltale | tr '\n' ' ')"
stop_server

step "upgrade to $new_deb (dpkg -i): the data stays"
echo "# changed by test-deb" >>/etc/telltale/telltale.conf  # a changed conffile is kept too
dpkg -i "$new_deb"
dpkg-query -W telltale
grep -q "changed by test-deb" /etc/telltale/telltale.conf || { echo "test-deb: conffile replaced" >&2; exit 1; }
start_as_unit
python3 packaging/smoke.py again "$url"
stop_server

step "purge: data, configuration and user go"
dpkg --purge telltale
for p in /var/lib/telltale /etc/telltale /usr/bin/telltale "$unit" \
  /etc/systemd/system/multi-user.target.wants/telltale.service; do
  [[ ! -e $p ]] || { echo "test-deb: $p is still there" >&2; exit 1; }
done
! getent passwd telltale || { echo "test-deb: the telltale user is still there" >&2; exit 1; }
! getent group telltale || { echo "test-deb: the telltale group is still there" >&2; exit 1; }
! find /var/lib/systemd/deb-systemd-helper-* -name 'telltale*' 2>/dev/null | grep . ||
  { echo "test-deb: deb-systemd-helper still has state of the units" >&2; exit 1; }
echo "test-deb: purged: no /var/lib/telltale, /etc/telltale, unit, enablement, user or group"
printf '\ntest-deb: PASSED\n'
