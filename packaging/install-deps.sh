#!/usr/bin/env bash
# Installs what Telltale needs from Debian 12 packages. Idempotent: packages already present are
# skipped, so a second run is a no-op. Run as root (or with sudo available).
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --test   also the peers and tools the tests and benchmarks use
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config gzip brotli
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  libsqlitecpp-dev libsqlite3-dev
  nlohmann-json3-dev libuv1-dev libcli11-dev libfmt-dev libsodium-dev
  libcurl4-openssl-dev libc-ares-dev libre2-dev libcap2-bin libhowardhinnant-date-dev
)
test_pkgs=(
  doctest-dev clang libclang-rt-14-dev python3 curl
  prometheus victoria-metrics prometheus-node-exporter wrk procps chromium
  dnsmasq-base fping iproute2 iptables openssl prometheus-blackbox-exporter
  snmpd snmp libsnmp-dev prometheus-alertmanager python3-aiosmtpd ccache clang-format
  podman busybox-static dbus-daemon python3-dbus python3-gi python3-yaml zsh fish sqlite3 zstd
  nginx-light gnuplot-nox
)

want=("${build_pkgs[@]}")
# The web UI is built with Node.js and npm (and so are the browser tests run); use the
# machine's if it has them, else Debian's.
command -v node >/dev/null || want+=(nodejs)
command -v npm >/dev/null || want+=(npm)
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
# Package maintainer scripts must not start daemons (prometheus, node-exporter) on a build box.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  own_policy=1
fi
trap '[[ $own_policy -eq 1 ]] && $SUDO rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
