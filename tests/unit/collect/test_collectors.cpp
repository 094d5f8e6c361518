// The collectors over the fixture tree tests/fixtures/collect (a small /proc, /sys and /, with a
// Raspberry Pi's thermal zone): exact values, the devices and mounts node_exporter skips
// skipped, and nothing from a root that has none of the files.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/statvfs.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "collect/collect.h"
#include "samples.h"

using namespace tt::collect;
using Map = std::map<std::string, double>;

namespace {

Samples run(std::string name) {
  std::vector<std::string> names = {std::move(name)};
  return collect(test::fixture_roots(), names);
}

}  // namespace

TEST_CASE("the cpu collector reads two CPUs and the counters of /proc/stat") {
  auto m = test::by_key(run("cpu"));
  CHECK(m.size() == 2 * 10 + 6);
  CHECK(m[R"(node_cpu_seconds_total{cpu="0",mode="user"})"] == 1.0);
  CHECK(m[R"(node_cpu_seconds_total{cpu="0",mode="idle"})"] == 40.0);
  CHECK(m[R"(node_cpu_seconds_total{cpu="1",mode="iowait"})"] == 0.15);
  CHECK(m[R"(node_cpu_seconds_total{cpu="1",mode="steal"})"] == 0.02);
  CHECK(m[R"(node_cpu_guest_seconds_total{cpu="1",mode="nice"})"] == 0.04);
  CHECK(m["node_boot_time_seconds"] == 1700000000);
  CHECK(m["node_context_switches_total"] == 987654);
  CHECK(m["node_forks_total"] == 4242);
  CHECK(m["node_intr_total"] == 123456);
  CHECK(m["node_procs_running"] == 3);
  CHECK(m["node_procs_blocked"] == 1);
}

TEST_CASE("the meminfo and loadavg collectors") {
  auto m = test::by_key(run("meminfo"));
  CHECK(m.size() == 11);
  CHECK(m["node_memory_MemTotal_bytes"] == 3884852.0 * 1024);
  CHECK(m["node_memory_MemAvailable_bytes"] == 2345678.0 * 1024);
  CHECK(m["node_memory_Active_anon_bytes"] == 11111.0 * 1024);
  CHECK(m["node_memory_Inactive_file_bytes"] == 22222.0 * 1024);
  CHECK(m["node_memory_HugePages_Total"] == 0);
  CHECK(test::by_key(run("loadavg")) ==
        Map{{"node_load1", 0.52}, {"node_load5", 0.48}, {"node_load15", 0.41}});
}

TEST_CASE("the diskstats collector skips loops and partitions and adds udev's names") {
  auto m = test::by_key(run("diskstats"));
  std::set<std::string> devices;
  for (const auto& s : run("diskstats")) devices.insert(s.labels.front().value);
  CHECK(devices == std::set<std::string>{"mmcblk0", "nvme0n1", "sda"});
  CHECK(m[R"(node_disk_reads_completed_total{device="sda"})"] == 1000);
  CHECK(m[R"(node_disk_read_bytes_total{device="sda"})"] == 80000.0 * 512);
  CHECK(m[R"(node_disk_written_bytes_total{device="sda"})"] == 160000.0 * 512);
  CHECK(m[R"(node_disk_write_time_seconds_total{device="sda"})"] == 3.0);
  CHECK(m[R"(node_disk_io_now{device="sda"})"] == 2);
  CHECK(m[R"(node_disk_io_time_seconds_total{device="sda"})"] == 4.0);
  CHECK(m[R"(node_disk_flush_requests_total{device="sda"})"] == 30);
  CHECK(m[R"(node_disk_info{device="sda",major="8",minor="0",model="Samsung_SSD_870",)"
          R"(path="platform-fd500000.pcie",serial="S6PNNX0R"})"] == 1);
  CHECK(m[R"(node_disk_info{device="mmcblk0",major="179",minor="0"})"] == 1);
  CHECK(m.count(R"(node_disk_discards_completed_total{device="mmcblk0"})") == 0);
}

TEST_CASE("the netdev collector reads eth0 and wlan0, not lo") {
  auto m = test::by_key(run("netdev"));
  CHECK(m.size() == 2 * 16);
  CHECK(m[R"(node_network_receive_bytes_total{device="eth0"})"] == 9876543210.0);
  CHECK(m[R"(node_network_receive_packets_total{device="eth0"})"] == 7654321);
  CHECK(m[R"(node_network_receive_errs_total{device="eth0"})"] == 3);
  CHECK(m[R"(node_network_receive_drop_total{device="eth0"})"] == 4);
  CHECK(m[R"(node_network_transmit_bytes_total{device="eth0"})"] == 1234567890);
  CHECK(m[R"(node_network_transmit_packets_total{device="eth0"})"] == 1234567);
  CHECK(m[R"(node_network_transmit_errs_total{device="eth0"})"] == 9);
  CHECK(m[R"(node_network_transmit_drop_total{device="eth0"})"] == 10);
  CHECK(m[R"(node_network_receive_bytes_total{device="wlan0"})"] == 1000);
  CHECK(m[R"(node_network_transmit_drop_total{device="wlan0"})"] == 1);
}

TEST_CASE("the filesystem collector measures the host's real mounts under the root") {
  auto m = test::by_key(run("filesystem"));
  auto labels = [](const char* device, const char* mountpoint) {
    return fmt::format(R"({{device="{}",fstype="ext4",mountpoint="{}"}})", device, mountpoint);
  };
  // /, /data (once, though mounted twice) and "/srv/my files"; /gone has no directory.
  CHECK(m.size() == 3 * 7 + 1);
  CHECK(m["node_filesystem_device_error" + labels("/dev/sdd1", "/gone")] == 1);
  CHECK(m["node_filesystem_readonly" + labels("/dev/sda1", "/data")] == 1);
  CHECK(m["node_filesystem_readonly" + labels("/dev/root", "/")] == 0);
  CHECK(m["node_filesystem_device_error" + labels("/dev/sdc1", "/srv/my files")] == 0);
  struct statvfs st {};
  REQUIRE(statvfs(test::fixture("rootfs").c_str(), &st) == 0);
  auto size = static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize);
  CHECK(m["node_filesystem_size_bytes" + labels("/dev/root", "/")] == size);
  CHECK(m["node_filesystem_files" + labels("/dev/root", "/")] == static_cast<double>(st.f_files));
  CHECK(m["node_filesystem_avail_bytes" + labels("/dev/root", "/")] <=
        m["node_filesystem_free_bytes" + labels("/dev/root", "/")]);
}

namespace {

// A statvfs whose "/srv/my files" hangs, as on a dead NFS server, until released.
std::mutex g_hang_mutex;
std::condition_variable g_hang_cv;
bool g_released = false;
std::atomic<int> g_hung_calls{0};

int hanging_statvfs(const char* path, struct statvfs* st) {
  if (std::string_view(path).ends_with("/srv/my files")) {
    ++g_hung_calls;
    std::unique_lock lock(g_hang_mutex);
    g_hang_cv.wait(lock, [] { return g_released; });
  }
  return statvfs(path, st);
}

}  // namespace

TEST_CASE("a mount that does not answer is a device error, asked again only once it answers") {
  auto roots = test::fixture_roots();
  roots.statvfs = hanging_statvfs;
  roots.mount_timeout = std::chrono::milliseconds(50);
  const auto error =
      R"(node_filesystem_device_error{device="/dev/sdc1",fstype="ext4",mountpoint="/srv/my files"})";
  const std::vector<std::string> names = {"filesystem"};
  auto first = test::by_key(collect(roots, names));
  CHECK(first[error] == 1);
  CHECK(first.count(
            R"(node_filesystem_size_bytes{device="/dev/root",fstype="ext4",mountpoint="/"})") == 1);
  // Still hanging: the stuck mount is not asked again, so it holds one thread.
  CHECK(test::by_key(collect(roots, names))[error] == 1);
  CHECK(g_hung_calls == 1);
  {
    std::lock_guard lock(g_hang_mutex);
    g_released = true;
  }
  g_hang_cv.notify_all();
  bool answered = false;
  for (int i = 0; i < 200 && !answered; ++i) {
    answered = test::by_key(collect(roots, names))[error] == 0;
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(answered);
}

TEST_CASE("the hwmon and thermal_zone collectors read a PC's sensors and a Pi's SoC") {
  CHECK(test::by_key(run("hwmon")) ==
        Map{
            {R"(node_hwmon_chip_names{chip="platform_coretemp_0",chip_name="coretemp"})", 1},
            {R"(node_hwmon_sensor_label{chip="platform_coretemp_0",label="Package id 0",)"
             R"(sensor="temp1"})",
             1},
            {R"(node_hwmon_sensor_label{chip="platform_coretemp_0",label="Core 0",)"
             R"(sensor="temp2"})",
             1},
            {R"(node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"})", 45},
            {R"(node_hwmon_temp_crit_celsius{chip="platform_coretemp_0",sensor="temp1"})", 100},
            {R"(node_hwmon_temp_max_celsius{chip="platform_coretemp_0",sensor="temp1"})", 80},
            {R"(node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp2"})", 43.5},
            {R"(node_hwmon_chip_names{chip="cpu_thermal",chip_name="cpu_thermal"})", 1},
            {R"(node_hwmon_temp_celsius{chip="cpu_thermal",sensor="temp1"})", 48.312},
        });
  CHECK(test::by_key(run("thermal_zone")) ==
        Map{{R"(node_thermal_zone_temp{type="cpu-thermal",zone="0"})", 48.312}});
}

TEST_CASE("uname, time, pressure and entropy from the fixture's procfs") {
  CHECK(test::by_key(run("uname")) ==
        Map{{R"x(node_uname_info{domainname="(none)",machine="aarch64",nodename="raspberrypi",)x"
             R"(release="6.1.0-rpi7-rpi-v8",sysname="Linux",)"
             R"x(version="#1 SMP PREEMPT Debian 1:6.1.63-1+rpt1 (2023-11-24)"})x",
             1}});
  tt::ManualClock clock(1'700'000'000'250);
  auto roots = test::fixture_roots();
  roots.clock = &clock;
  std::vector<std::string> time = {"time"};
  CHECK(test::by_key(collect(roots, time)) == Map{{"node_time_seconds", 1700000000.25}});
  CHECK(test::by_key(run("pressure")) ==
        Map{{"node_pressure_cpu_waiting_seconds_total", 1.5},
            {"node_pressure_io_waiting_seconds_total", 2.5},
            {"node_pressure_io_stalled_seconds_total", 1.25},
            {"node_pressure_memory_waiting_seconds_total", 0.0003},
            {"node_pressure_memory_stalled_seconds_total", 0.0001}});
  CHECK(test::by_key(run("entropy")) ==
        Map{{"node_entropy_available_bits", 256}, {"node_entropy_pool_size_bits", 256}});
}

TEST_CASE("a root without the files yields nothing but the clock") {
  Roots empty;
  empty.procfs = test::fixture("none/proc");
  empty.sysfs = test::fixture("none/sys");
  empty.rootfs = test::fixture("none");
  auto samples = collect(empty);
  REQUIRE(samples.size() == 1);
  CHECK(samples[0].name == "node_time_seconds");
}

TEST_CASE("every collector has a name find_collector knows; all run when none are named") {
  std::set<std::string> names;
  for (const auto& c : collectors()) {
    CHECK(find_collector(c.name) == &c);
    names.emplace(c.name);
  }
  CHECK(names.size() == 16);
  CHECK(find_collector("nope") == nullptr);
  CHECK(collect(test::fixture_roots()).size() > 100);
}

TEST_CASE("to_prometheus_text groups samples by name with their types") {
  Samples s;
  add(s, "node_load1", 0.5);
  add(s, "node_cpu_seconds_total", 1.25, {{"mode", "idle"}, {"cpu", "0"}});
  add(s, "node_uname_info", 1, {{"version", "a\"b\\c\nd"}, {"domainname", ""}});
  add(s, "node_cpu_seconds_total", 1e21, {{"cpu", "1"}, {"mode", "idle"}});
  add(s, "node_load5", std::numeric_limits<double>::quiet_NaN());
  CHECK(to_prometheus_text(s) ==
        "# TYPE node_cpu_seconds_total counter\n"
        "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1.25\n"
        "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 1e+21\n"
        "# TYPE node_load1 gauge\n"
        "node_load1 0.5\n"
        "# TYPE node_load5 gauge\n"
        "node_load5 NaN\n"
        "# TYPE node_uname_info gauge\n"
        "node_uname_info{version=\"a\\\"b\\\\c\\nd\"} 1\n");
}
