// The pure parsers of collect/parsers.h: text in, node_exporter's samples out, malformed lines
// skipped.
#include <doctest/doctest.h>

#include "collect/parsers.h"
#include "samples.h"

using namespace tt::collect;
using Map = std::map<std::string, double>;

namespace {

Map parsed(void (*parse)(std::string_view, Samples&), std::string_view text) {
  Samples out;
  parse(text, out);
  return test::by_key(out);
}

}  // namespace

TEST_CASE("parse_stat reads per-CPU modes in seconds and the system counters") {
  auto m = parsed(parse_stat,
                  "cpu  1 2 3 4 5 6 7 8 9 10\n"
                  "cpu0 150 20 30 4000 5 0 6 1 3 4\n"
                  "cpu1 1 2\n"
                  "cpu1x 9 9 9\n"
                  "intr 42 1 2\n"
                  "ctxt 7\nbtime 1700000000\nprocesses 99\nprocs_running 2\nprocs_blocked 0\n"
                  "ctxt notanumber\n");
  CHECK(m == Map{
                 {R"(node_cpu_seconds_total{cpu="0",mode="user"})", 1.5},
                 {R"(node_cpu_seconds_total{cpu="0",mode="nice"})", 0.2},
                 {R"(node_cpu_seconds_total{cpu="0",mode="system"})", 0.3},
                 {R"(node_cpu_seconds_total{cpu="0",mode="idle"})", 40},
                 {R"(node_cpu_seconds_total{cpu="0",mode="iowait"})", 0.05},
                 {R"(node_cpu_seconds_total{cpu="0",mode="irq"})", 0},
                 {R"(node_cpu_seconds_total{cpu="0",mode="softirq"})", 0.06},
                 {R"(node_cpu_seconds_total{cpu="0",mode="steal"})", 0.01},
                 {R"(node_cpu_guest_seconds_total{cpu="0",mode="user"})", 0.03},
                 {R"(node_cpu_guest_seconds_total{cpu="0",mode="nice"})", 0.04},
                 {R"(node_cpu_seconds_total{cpu="1",mode="user"})", 0.01},
                 {R"(node_cpu_seconds_total{cpu="1",mode="nice"})", 0.02},
                 {"node_intr_total", 42},
                 {"node_context_switches_total", 7},
                 {"node_boot_time_seconds", 1700000000},
                 {"node_forks_total", 99},
                 {"node_procs_running", 2},
                 {"node_procs_blocked", 0},
             });
}

TEST_CASE("parse_meminfo names fields as node_exporter does") {
  auto m = parsed(parse_meminfo,
                  "MemTotal:  1000 kB\nActive(anon): 2 kB\nHugePages_Total:   3\n"
                  "Bad Name: 1 kB\nNoValue:\nOdd: 1 MB\nToo: 1 kB x\n");
  CHECK(m == Map{{"node_memory_MemTotal_bytes", 1024000},
                 {"node_memory_Active_anon_bytes", 2048},
                 {"node_memory_HugePages_Total", 3}});
}

TEST_CASE("parse_loadavg reads the three averages") {
  CHECK(parsed(parse_loadavg, "0.52 0.48 0.41 2/345 6789\n") ==
        Map{{"node_load1", 0.52}, {"node_load5", 0.48}, {"node_load15", 0.41}});
  CHECK(parsed(parse_loadavg, "0.52 0.48").empty());
}

TEST_CASE("parse_pressure turns some and full totals into seconds") {
  Samples out;
  parse_pressure("io", "some avg10=0 total=2500000\nfull avg10=0 total=1250000\n", out);
  parse_pressure("cpu", "some total=1000000\nfull total=5\n", out);
  parse_pressure("irq", "full total=5\n", out);
  CHECK(test::by_key(out) == Map{{"node_pressure_io_waiting_seconds_total", 2.5},
                                 {"node_pressure_io_stalled_seconds_total", 1.25},
                                 {"node_pressure_cpu_waiting_seconds_total", 1}});
}

TEST_CASE("parse_net_dev reads every counter of every device but lo") {
  auto m = parsed(parse_net_dev,
                  "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n"
                  "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                  "eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                  "short: 1 2 3\n");
  CHECK(m.size() == 16);
  CHECK(m[R"(node_network_receive_bytes_total{device="eth0"})"] == 1);
  CHECK(m[R"(node_network_receive_multicast_total{device="eth0"})"] == 8);
  CHECK(m[R"(node_network_transmit_bytes_total{device="eth0"})"] == 9);
  CHECK(m[R"(node_network_transmit_colls_total{device="eth0"})"] == 14);
  CHECK(m[R"(node_network_transmit_compressed_total{device="eth0"})"] == 16);
}

TEST_CASE("disk_excluded follows node_exporter's default device-exclude") {
  for (auto d : {"ram0", "loop12", "fd0", "sda1", "hdb2", "vda3", "xvdc1", "nvme0n1p2"})
    CHECK_MESSAGE(disk_excluded(d), d);
  for (auto d : {"sda", "vda", "nvme0n1", "mmcblk0", "mmcblk0p1", "dm-0", "zram0", "md127", "",
                 "loop", "nvmen1p1", "xyd1", "nvme0x1p1"})
    CHECK_MESSAGE(!disk_excluded(d), d);
}

TEST_CASE("parse_diskstats converts sectors to bytes and milliseconds to seconds") {
  auto m = parsed(parse_diskstats,
                  " 8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
                  " 8 1 sda1 1 2 3 4 5 6 7 8 9 10 11\n"
                  " 179 0 mmcblk0 1 2 3 4 5 6 7 8 9 10 11\n"
                  " 1 2 short 1 2\n");
  CHECK(m[R"(node_disk_reads_completed_total{device="sda"})"] == 1);
  CHECK(m[R"(node_disk_read_bytes_total{device="sda"})"] == 3 * 512);
  CHECK(m[R"(node_disk_read_time_seconds_total{device="sda"})"] == 0.004);
  CHECK(m[R"(node_disk_written_bytes_total{device="sda"})"] == 7 * 512);
  CHECK(m[R"(node_disk_io_now{device="sda"})"] == 9);
  CHECK(m[R"(node_disk_io_time_weighted_seconds_total{device="sda"})"] == 0.011);
  CHECK(m[R"(node_disk_discarded_sectors_total{device="sda"})"] == 14);
  CHECK(m[R"(node_disk_flush_requests_time_seconds_total{device="sda"})"] == 0.017);
  CHECK(m[R"(node_disk_info{device="sda",major="8",minor="0"})"] == 1);
  std::size_t mmc = 0;
  for (const auto& [k, v] : m) mmc += k.find("mmcblk0") != std::string::npos;
  CHECK(mmc == 11 + 1);  // a kernel before 4.18: eleven fields, and the info
  CHECK(m.size() == 17 + 1 + 11 + 1);
}

TEST_CASE("parse_udev_info keeps the first of each property") {
  auto labels = parse_udev_info("S:x\nE:ID_MODEL=A\nE:ID_WWN=0x5\nE:ID_MODEL=B\nE:ID_PATH=p\n");
  CHECK(labels == tt::LabelSet{{"model", "A"}, {"path", "p"}, {"wwn", "0x5"}});
}

TEST_CASE(
    "udev's facts of a disk: filesystem, device mapper and ATA, as node_exporter writes them") {
  Samples out;
  udev_samples(parse_udev("E:DM_NAME=vg0-root\nE:DM_VG_NAME=vg0\nE:DM_LV_NAME=root\n"
                          "E:ID_FS_TYPE=ext4\nE:ID_FS_UUID=0b3f\nE:ID_ATA=1\n"
                          "E:ID_ATA_WRITE_CACHE=1\nE:ID_ATA_ROTATION_RATE_RPM=5400\n"
                          "E:ID_ATA_WRITE_CACHE_ENABLED=yes\nE:BROKEN\n"),
               "dm-0", out);
  auto m = test::by_key(out);
  CHECK(m == Map{{R"(node_disk_filesystem_info{device="dm-0",type="ext4",uuid="0b3f"})", 1},
                 {R"(node_disk_device_mapper_info{device="dm-0",lv_name="root",name="vg0-root",)"
                  R"(vg_name="vg0"})",
                  1},
                 {R"(node_disk_ata_write_cache{device="dm-0"})", 1},
                 {R"(node_disk_ata_rotation_rate_rpm{device="dm-0"})", 5400}});
  out.clear();
  // Not an ATA disk: its ATA properties say nothing.
  udev_samples(parse_udev("E:ID_ATA_ROTATION_RATE_RPM=0\n"), "nvme0n1", out);
  CHECK(out.empty());
}

TEST_CASE("parse_mounts decodes escapes and reads the ro option") {
  auto mounts = parse_mounts(
      "/dev/a /my\\040disk ext4 rw,noatime 0 0\n/dev/b / xfs ro 0 0\n"
      "x y\n/dev/c /t\\134x vfat rwx,errors=remount-ro 0 0\n");
  REQUIRE(mounts.size() == 3);
  CHECK(mounts[0].mountpoint == "/my disk");
  CHECK(!mounts[0].readonly);
  CHECK(mounts[1].readonly);
  CHECK(mounts[2].mountpoint == "/t\\x");
  CHECK(!mounts[2].readonly);
}

TEST_CASE("filesystem_excluded skips pseudo filesystems and node_exporter's mount points") {
  CHECK(filesystem_excluded({"proc", "/proc", "proc", false}));
  CHECK(filesystem_excluded({"/dev/sda1", "/run/media", "ext4", false}));
  CHECK(filesystem_excluded({"/dev/sda1", "/mnt", "ext4", false}));
  CHECK(filesystem_excluded({"/dev/sda1", "/var/lib/docker/x", "ext4", false}));
  CHECK(filesystem_excluded({"x", "/data", "cgroup2", false}));
  CHECK(!filesystem_excluded({"/dev/sda1", "/", "ext4", false}));
  CHECK(!filesystem_excluded({"/dev/sda1", "/devices", "ext4", false}));
  CHECK(!filesystem_excluded({"/dev/sda1", "/var/lib/docker", "ext4", false}));
  CHECK(!filesystem_excluded({"tmpfs", "/tmp", "tmpfs", false}));
}

TEST_CASE("parse_milli and clean_chip_name") {
  CHECK(parse_milli("48312\n") == 48.312);
  CHECK(parse_milli("-5000") == -5.0);
  CHECK(!parse_milli("garbage"));
  CHECK(!parse_milli(""));
  CHECK(clean_chip_name("coretemp.0") == "coretemp_0");
  CHECK(clean_chip_name("_Foo-Bar:1__") == "foo_bar:1");
  CHECK(clean_chip_name("...") == "");
}
