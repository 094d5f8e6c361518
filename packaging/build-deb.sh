#!/usr/bin/env bash
# Builds the Debian package of Telltale for one architecture, on a Debian 12 amd64 machine, as
# root (or with sudo):
#   packaging/build-deb.sh amd64|arm64|armhf [--version VERSION] [--no-deps]
# writes build-deb/telltale_VERSION_ARCH.deb (VERSION defaults to the project's, "-1" added).
# arm64 and armhf are cross-built with Debian's cross toolchain (crossbuild-essential-ARCH) and
# the multiarch -dev packages of every library the build links (libfoo-dev:ARCH, beside the
# amd64 ones in /usr: they co-install), through cmake/debian-cross.cmake. The web UI is
# architecture-independent: node and npm of the build machine build it, whatever the target.
# Run by hand, not by CI (see README, "Packages"). --no-deps skips the apt-get step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

arch=${1:-}
shift || true
version=$(sed -n 's/^project(telltale VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)-1
deps=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    --no-deps) deps=0; shift ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $arch in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *) echo "usage: packaging/build-deb.sh amd64|arm64|armhf [--version VERSION] [--no-deps]" >&2; exit 2 ;;
esac
native=$([[ $(dpkg --print-architecture) == "$arch" ]] && echo 1 || echo 0)
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

# ---- what the build needs, from Debian's packages ----
# The libraries the build links (CMakeLists.txt, src/layers.txt); the header-only ones
# (nlohmann-json3-dev, libcli11-dev, doctest-dev) are architecture-independent, from install-deps.
libs=(libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libsqlitecpp-dev libsqlite3-dev
      libuv1-dev libfmt-dev libsodium-dev libcurl4-openssl-dev libc-ares-dev libre2-dev
      libhowardhinnant-date-dev)
if [[ $deps -eq 1 ]]; then
  bash packaging/install-deps.sh
  want=(dpkg-dev fakeroot lintian doctest-dev)
  if [[ $native -eq 0 ]]; then
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      $SUDO dpkg --add-architecture "$arch"
      $SUDO apt-get update -qq || true
    fi
    want+=("crossbuild-essential-$arch" "${libs[@]/%/:$arch}")
  fi
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "build-deb: installing ${missing[*]}" >&2
    # The -dev packages of both architectures must be the same version (Multi-Arch: same):
    # apt-get upgrades the amd64 ones along when the archive has a newer one.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi

# ---- the binary: Release, stripped ----
# The native build shares the tree (and so ccache's entries) of packaging/run.sh and the tests.
build=$root/build
[[ $native -eq 0 ]] && build=$root/build-$arch
# Debian's compilers make PIE and link with -z relro already; -z now makes the relocations
# read-only too (lintian's hardening-no-bindnow).
cmake_args=(-S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTELLTALE_TESTS=ON -DTELLTALE_UNIT_TESTS=ON
            -DCMAKE_EXE_LINKER_FLAGS=-Wl,-z,now)
[[ $native -eq 0 ]] && cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/debian-cross.cmake" -DTELLTALE_TRIPLET="$triplet")
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${cmake_args[@]}" >/dev/null
nice cmake --build "$build" -j"${TELLTALE_JOBS:-2}" --target telltale
strip=strip
[[ $native -eq 0 ]] && strip=$triplet-strip

# ---- the package tree ----
out=$root/build-deb
pkg=$out/telltale_${version}_$arch
rm -rf "$pkg"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/telltale" \
  "$pkg/usr/share/doc/telltale" "$pkg/usr/share/man/man1" "$pkg/usr/share/lintian/overrides"
install -m 0755 "$build/telltale" "$pkg/usr/bin/telltale"
$strip --remove-section=.comment --remove-section=.note "$pkg/usr/bin/telltale"
d=packaging/deb
install -m 0644 $d/telltale.service "$pkg/lib/systemd/system/telltale.service"
# The agent's unit as packaging/ has it for a hand install, but for the packaged binary's path
# and with the packaged manual.
sed 's|/usr/local/bin/telltale|/usr/bin/telltale|g; /^Description=/a Documentation=man:telltale(1)' \
  packaging/telltale-agent.service \
  >"$pkg/lib/systemd/system/telltale-agent.service"
chmod 0644 "$pkg/lib/systemd/system/telltale-agent.service"
install -m 0644 $d/telltale.conf "$pkg/etc/telltale/telltale.conf"
install -m 0644 $d/agent.conf "$pkg/etc/telltale/agent.conf"
install -m 0644 $d/copyright "$pkg/usr/share/doc/telltale/copyright"
sed "s/@VERSION@/$version/; s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct)")/" $d/changelog |
  gzip -9n >"$pkg/usr/share/doc/telltale/changelog.Debian.gz"
gzip -9n <$d/telltale.1 >"$pkg/usr/share/man/man1/telltale.1.gz"
install -m 0644 $d/lintian-overrides "$pkg/usr/share/lintian/overrides/telltale"
for s in postinst prerm postrm; do install -m 0755 $d/$s "$pkg/DEBIAN/$s"; done
printf '/etc/telltale/telltale.conf\n/etc/telltale/agent.conf\n' >"$pkg/DEBIAN/conffiles"
# Checksums of the files but the conffiles (dpkg keeps theirs), for debsums and dpkg --verify.
(cd "$pkg" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)

# Depends: the shared libraries the binary links (dpkg-shlibdeps reads the :ARCH packages'
# symbols files), plus libcurl, which curl/ loads with dlopen() for HTTP checks and webhooks,
# so no tool can see it; adduser for the maintainer scripts (their deb-systemd-helper is in
# init-system-helpers, which is Essential).
# dpkg-shlibdeps wants a debian/control (any will do) where it runs.
mkdir -p "$pkg/debian"
printf 'Source: telltale\n\nPackage: telltale\nArchitecture: any\n' >"$pkg/debian/control"
shlibs=$(cd "$pkg" && DEB_HOST_ARCH=$arch dpkg-shlibdeps -O usr/bin/telltale 2>"$out/shlibdeps.log" |
  sed -n 's/^shlibs:Depends=//p') || true
rm -rf "$pkg/debian"
[[ -n $shlibs ]] || { echo "build-deb: dpkg-shlibdeps failed:" >&2; cat "$out/shlibdeps.log" >&2; exit 1; }
curl_version=$(dpkg-query -W -f='${Version}' "libcurl4:$arch" 2>/dev/null || dpkg-query -W -f='${Version}' libcurl4)
depends="$shlibs, libcurl4 (>= ${curl_version%%-*}), adduser"
size_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<EOF
Package: telltale
Version: $version
Architecture: $arch
Maintainer: Telltale maintainers <maintainers@users.noreply.b-seed-a4ff8d26.example>
Installed-Size: $size_kb
Depends: $depends
Section: net
Priority: optional
Description: network and node monitoring in one executable
 Telltale checks hosts and services (ICMP, TCP, HTTP, DNS, SNMP), receives
 SNMP traps and agents' metrics, stores time series, evaluates alert rules
 and sends notifications. The web UI, the API and the WebSocket live updates
 are served by the one binary, with its data in SQLite.
 .
 This package runs "telltale serve" as the telltale.service systemd unit, as
 the telltale system user, with its data in /var/lib/telltale and its options
 in /etc/telltale/telltale.conf. The agent's unit, telltale-agent.service, is
 installed disabled.
EOF
deb=$out/telltale_${version}_$arch.deb
# Files owned by root whoever builds; xz as Debian's own packages are.
fakeroot dpkg-deb -Zxz --build "$pkg" "$deb" >/dev/null
echo "build-deb: $deb ($(stat -c %s "$deb") bytes; binary $(stat -c %s "$pkg/usr/bin/telltale") bytes)"
echo "build-deb: Depends: $depends"
if command -v lintian >/dev/null; then
  lintian --info --display-info "$deb" || true
fi
