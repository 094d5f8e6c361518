// Who a host is, over the fixture tree (a Raspberry Pi 4 with wired and wireless default routes)
// and over trees that lack the machine id or the default route.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "collect/identity.h"
#include "core/random.h"
#include "samples.h"

using namespace tt::collect;

TEST_CASE("identity: the fixture Pi is its machine id, named and described from its files") {
  auto id = identify(test::fixture_roots());
  CHECK(id.id == "machine-id:4f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(id.hostname == "raspberrypi");
  CHECK(id.interface == "eth0");  // the lower metric of the two default routes
  CHECK(id.mac == "dc:a6:32:01:02:03");
  CHECK(id.os == "Debian GNU/Linux 12 (bookworm)");
  CHECK(id.kernel == "6.1.0-rpi7-rpi-v8");
  CHECK(id.arch == "aarch64");
  CHECK(id.cpu_model == "Raspberry Pi 4 Model B Rev 1.4");
  CHECK(id.cores == 2);
  CHECK(id.memory_bytes == 3884852ULL * 1024);
  CHECK(id.boot_time_s == 1700000000);
}

TEST_CASE("identity: without a machine id a host is the MAC of its default-route interface") {
  // The fixture's trees, but a rootfs without etc/machine-id.
  auto roots = test::fixture_roots();
  roots.rootfs = (std::filesystem::temp_directory_path() / ("tt-id-" + tt::random_hex(6))).string();
  std::filesystem::create_directories(roots.rootfs + "/etc");
  std::ofstream(roots.rootfs + "/etc/machine-id") << "uninitialized\n";
  auto id = identify(roots);
  CHECK(id.id == "mac:dc:a6:32:01:02:03");
  CHECK(id.os.empty());
  std::filesystem::remove_all(roots.rootfs);

  // No files at all: no identity, and nothing else either.
  Roots none;
  none.procfs = test::fixture("none/proc");
  none.sysfs = test::fixture("none/sys");
  none.rootfs = test::fixture("none");
  auto empty = identify(none);
  CHECK(empty.id.empty());
  CHECK(empty.interface.empty());
  CHECK(empty.cores == 0);
}

TEST_CASE("identity parsers take what the kernel and systemd write, and refuse the rest") {
  CHECK(parse_machine_id("4F1E2D3C4B5A69788796A5B4C3D2E1F0\n") ==
        "4f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK_FALSE(parse_machine_id("uninitialized\n"));
  CHECK_FALSE(parse_machine_id("4f1e2d3c4b5a69788796a5b4c3d2e1f"));
  CHECK_FALSE(parse_machine_id("4f1e2d3c4b5a69788796a5b4c3d2e1fg"));

  CHECK(parse_default_route("Iface\tDestination\tGateway\n") == "");
  CHECK(parse_default_route6(
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth1\n") ==
        "eth1");
  CHECK(parse_default_route6(
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n") ==
        "");

  CHECK(parse_os_release("NAME=x\nPRETTY_NAME='Alpine Linux v3.19'\n") == "Alpine Linux v3.19");
  CHECK(parse_os_release("PRETTY_NAME=Plain\n") == "Plain");
  CHECK(parse_cpu_model("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU\nprocessor\t: 1\n") ==
        "Intel(R) Xeon(R) CPU");
  CHECK(count_processors("processor\t: 0\nmodel name\t: x\nprocessor\t: 1\n") == 2);
  CHECK(parse_cpu_model("Hardware\t: BCM2835\n") == "BCM2835");
}
