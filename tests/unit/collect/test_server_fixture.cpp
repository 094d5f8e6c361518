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

std::string zone(const std::string& name) {
  return read_file(test::fixture("server/rootfs/usr/share/zoneinfo/" + name)).value();
}

}  // namespace

TEST_CASE("every hwmon sensor, named, labelled and scaled as node_exporter 1.5 does") {
  const std::string nct = R"(chip="platform_nct6775_656",sensor=)";
  auto series = [&](const char* name, const char* sensor, double v) {
    return std::pair<const std::string, double>(
        std::string(name) + "{" + nct + "\"" + sensor + "\"}", v);
  };
  CHECK(
      run("hwmon", "node_hwmon") ==
      Map{
          {R"(node_hwmon_chip_names{chip="platform_nct6775_656",chip_name="nct6798"})", 1},
          series("node_hwmon_beep_enabled", "beep_enable0", 1),
          series("node_hwmon_cpu_vid_volts", "cpu0", 1.1),
          {R"(node_hwmon_curr_amps{chip="hwmon1",sensor="curr1"})", 0.25},
          series("node_hwmon_curr_amps", "curr1", 2.5),
          series("node_hwmon_energy_joule_total", "energy1", 123.456789),
          series("node_hwmon_fan", "fan3", 0),  // a bare "fan3" beside "fan3_input"
          series("node_hwmon_fan_alarm", "fan1", 0),
          series("node_hwmon_fan_input_rpm", "fan3", 812),
          series("node_hwmon_fan_min_rpm", "fan1", 300),
          series("node_hwmon_fan_pulses", "fan1", 2),
          series("node_hwmon_fan_rpm", "fan1", 1150),
          series("node_hwmon_fan_target_rpm", "fan1", 1200),
          series("node_hwmon_humidity", "humidity1", 0.045),
          series("node_hwmon_in_alarm", "in0", 0),
          series("node_hwmon_in_beep_enabled", "in0", 1),
          series("node_hwmon_in_max_volts", "in0", 1.744),
          series("node_hwmon_in_min_volts", "in0", 0),
          series("node_hwmon_in_volts", "in0", 1.032),
          series("node_hwmon_in_volts", "in1", 1.8),  // from device/, as older drivers have it
          series("node_hwmon_intrusion_alarm", "intrusion0", 1),
          series("node_hwmon_power_accuracy", "power1", 0.095),
          series("node_hwmon_power_average_interval_seconds", "power1", 1),
          series("node_hwmon_power_average_watt", "power1", 23.5),
          series("node_hwmon_power_cap_watt", "power1", 65),
          {R"(node_hwmon_power_watt{chip="hwmon1",sensor="power1"})", 5},
          series("node_hwmon_pwm", "pwm1", 128),
          series("node_hwmon_pwm_enable", "pwm1", 5),
          {R"(node_hwmon_sensor_label{chip="platform_nct6775_656",label="SYSTIN",sensor="temp1"})",
           1},
          {R"(node_hwmon_sensor_label{chip="platform_nct6775_656",label="Vcore",sensor="in0"})", 1},
          {R"(node_hwmon_temp_celsius{chip="hwmon1",sensor="temp1"})", -5.5},
          series("node_hwmon_temp_celsius", "temp1", 36),
          series("node_hwmon_temp_crit_alarm_celsius", "temp1", 0),  // node_exporter's unit
          series("node_hwmon_temp_fault", "temp1", 0),
          series("node_hwmon_temp_type", "temp1", 4),
          series("node_hwmon_update_interval_seconds", "update_interval0", 1),
          series("node_hwmon_voltage_regulator_version", "vrm0", 13),
      });
}

TEST_CASE("throttle counters: each core and package once, from the first CPU that has them") {
  CHECK(run("cpu", "node_cpu_") ==
        Map{{R"(node_cpu_core_throttles_total{core="0",package="0"})", 5},
            {R"(node_cpu_core_throttles_total{core="1",package="0"})", 7},
            {R"(node_cpu_package_throttles_total{package="0"})", 10},
            {R"(node_cpu_package_throttles_total{package="1"})", 3},
            {R"(node_cpu_seconds_total{cpu="0",mode="user"})", 1},
            {R"(node_cpu_seconds_total{cpu="0",mode="nice"})", 0.2},
            {R"(node_cpu_seconds_total{cpu="0",mode="system"})", 0.3},
            {R"(node_cpu_seconds_total{cpu="0",mode="idle"})", 40},
            {R"(node_cpu_seconds_total{cpu="0",mode="iowait"})", 0.05},
            {R"(node_cpu_seconds_total{cpu="0",mode="irq"})", 0},
            {R"(node_cpu_seconds_total{cpu="0",mode="softirq"})", 0.06},
            {R"(node_cpu_seconds_total{cpu="0",mode="steal"})", 0},
            {R"(node_cpu_guest_seconds_total{cpu="0",mode="user"})", 0},
            {R"(node_cpu_guest_seconds_total{cpu="0",mode="nice"})", 0},
            {R"(node_cpu_seconds_total{cpu="1",mode="user"})", 2},
            {R"(node_cpu_seconds_total{cpu="1",mode="nice"})", 0.1},
            {R"(node_cpu_seconds_total{cpu="1",mode="system"})", 0.4},
            {R"(node_cpu_seconds_total{cpu="1",mode="idle"})", 30},
            {R"(node_cpu_seconds_total{cpu="1",mode="iowait"})", 0.15},
            {R"(node_cpu_seconds_total{cpu="1",mode="irq"})", 0.01},
            {R"(node_cpu_seconds_total{cpu="1",mode="softirq"})", 0.07},
            {R"(node_cpu_seconds_total{cpu="1",mode="steal"})", 0.02},
            {R"(node_cpu_guest_seconds_total{cpu="1",mode="user"})", 0.03},
            {R"(node_cpu_guest_seconds_total{cpu="1",mode="nice"})", 0.04}});
}

TEST_CASE("the time collector: the root's zone through its absolute link, the clock sources") {
  auto roots = server_roots();
  tt::ManualClock winter(1'700'000'000'250);
  roots.clock = &winter;
  CHECK(run("time", "node_time", roots) ==
        Map{{"node_time_seconds", 1700000000.25},
            {R"(node_time_zone_offset_seconds{time_zone="CET"})", 3600},
            {R"(node_time_clocksource_available_info{clocksource="acpi_pm",device="0"})", 1},
            {R"(node_time_clocksource_available_info{clocksource="hpet",device="0"})", 1},
            {R"(node_time_clocksource_available_info{clocksource="tsc",device="0"})", 1},
            {R"(node_time_clocksource_current_info{clocksource="tsc",device="0"})", 1}});
  tt::ManualClock summer(1'720'000'000'000);
  roots.clock = &summer;
  CHECK(run("time", "node_time_zone", roots) ==
        Map{{R"(node_time_zone_offset_seconds{time_zone="CEST"})", 7200}});
}

TEST_CASE("rx_nohandler beside /proc/net/dev's counters, for the devices that have it") {
  CHECK(run("netdev", "node_network_receive_nohandler") ==
        Map{{R"(node_network_receive_nohandler_total{device="eno1"})", 12}});
  CHECK(run("netdev", "node_network_receive_bytes").size() == 2);
}

TEST_CASE("TZif and POSIX TZ: the zone glibc gives for the same file at the same time") {
  struct Case {
    const char* zone;
    std::int64_t t;
    const char* abbreviation;
    std::int64_t offset_s;
  };
  // From `TZ=<file> python3 -c 'time.localtime(t)'` (glibc), at and around the transitions.
  const Case cases[] = {
      {"Europe/Berlin", 1711846799, "CET", 3600},   // a fat file: its transitions
      {"Europe/Berlin", 1711846800, "CEST", 7200},  //
      {"Europe/Berlin", 1729990799, "CEST", 7200},  //
      {"Europe/Berlin", 1729990800, "CET", 3600},   //
      {"Europe/Berlin", -1000000000, "CET", 3600},  // 1938
      {"Europe/Berlin", 2234998799, "CEST", 7200},  // 2040: past them, the footer
      {"Europe/Berlin", 2234998800, "CET", 3600},   //
      {"Test/Slim", 1711846799, "CET", 3600},       // a slim file: only the footer
      {"Test/Slim", 1711846800, "CEST", 7200},      //
      {"Test/Slim", 1729990800, "CET", 3600},       //
      {"Test/Slim", -1000000000, "CEST", 7200},     //
      {"Test/Fixed", 1700000000, "+0530", 19800},   // <+0530>-5:30
      {"Test/South", 1712458799, "-04", -7200},     // the southern half: DST over new year
      {"Test/South", 1712458800, "-03", -10800},    //
      {"Test/South", 1725767999, "-03", -10800},    //
      {"Test/South", 1725768000, "-04", -7200},     //
      {"Test/South", 2234998800, "-04", -7200},     //
  };
  for (const auto& c : cases) {
    INFO(c.zone << " at " << c.t);
    auto z = zone_offset(zone(c.zone), c.t);
    REQUIRE(z);
    CHECK(z->abbreviation == c.abbreviation);
    CHECK(z->offset_s == c.offset_s);
  }
  auto posix = [](const char* tz, std::int64_t t) {
    auto z = posix_zone_offset(tz, t);
    return z ? z->abbreviation + " " + std::to_string(z->offset_s) : std::string("none");
  };
  CHECK(posix("UTC0", 0) == "UTC 0");
  CHECK(posix("EST5EDT,M3.2.0,M11.1.0", 1720000000) == "EDT -14400");
  CHECK(posix("EST5EDT,M3.2.0/2:00:00,M11.1.0/2", 1700000000) == "EST -18000");
  CHECK(posix("<-0330>3:30", 0) == "-0330 -12600");
  // 2000-02-29: Julian days never count it (J60 is March 1st), zero-based ones do.
  CHECK(posix("AAA-1BBB-3,J59/0,J60/0", 951782400) == "BBB 10800");
  CHECK(posix("AAA-1BBB-3,59/0,60/0", 951782400) == "BBB 10800");  // zero-based days
  CHECK(posix("EST5EDT", 0) == "none");                            // no rules
  for (const char* bad : {"", "U0", "UTC", "<UT>0", "UTC0,", "CET-1CEST,M13.1.0,M1.1.0",
                          "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0/", "UTC 0"})
    CHECK(posix(bad, 0) == "none");
  CHECK(!zone_offset("TZif", 0));
  CHECK(!zone_offset(zone("Europe/Berlin").substr(0, 100), 0));
  CHECK(!zone_offset(std::string(60, '\0'), 0));
}
