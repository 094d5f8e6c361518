// collect/parsers.h — the pure parsers behind the collectors: the text of one procfs or sysfs
// file in, node_exporter's samples (or a few fields) out. Any bytes are accepted: a malformed
// line is skipped, never an error, so the parsers are fuzzed as they are (tests/fuzz).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collect/collect.h"

namespace tt::collect {

// /proc/stat: node_cpu_seconds_total{cpu,mode}, node_cpu_guest_seconds_total{cpu,mode} (USER_HZ
// is 100 on every Linux architecture's userspace ABI), node_boot_time_seconds,
// node_context_switches_total, node_forks_total, node_intr_total, node_procs_running/blocked.
void parse_stat(std::string_view text, Samples& out);
// /proc/loadavg: node_load1, node_load5, node_load15.
void parse_loadavg(std::string_view text, Samples& out);
// /proc/meminfo: node_memory_<Field>_bytes for kB fields, node_memory_<Field> for counts;
// "Active(anon)" is named Active_anon.
void parse_meminfo(std::string_view text, Samples& out);
// /proc/pressure/<resource> (cpu, io, memory): node_pressure_<resource>_waiting_seconds_total
// from "some", _stalled_seconds_total from "full" (not for cpu, as node_exporter 1.5).
void parse_pressure(std::string_view resource, std::string_view text, Samples& out);
// /proc/net/dev: node_network_{receive,transmit}_<field>_total{device}; lo is left out, as
// node_exporter's default device-exclude "^lo$" does.
void parse_net_dev(std::string_view text, Samples& out);
// /proc/diskstats: node_disk_*{device} for the fields the kernel has (sectors as bytes,
// milliseconds as seconds) and node_disk_info{device,major,minor}; devices node_exporter
// excludes by default (disk_excluded) are left out.
void parse_diskstats(std::string_view text, Samples& out);
// node_exporter's default diskstats device-exclude:
// ^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$ (RAM disks, loops, floppies, partitions).
bool disk_excluded(std::string_view device);
// A udev database file (/run/udev/data/b<major>:<minor>): its E: lines' properties, the first of
// each name.
using UdevProperties = std::vector<std::pair<std::string, std::string>>;
UdevProperties parse_udev(std::string_view text);
// node_disk_info's labels model, path, revision, serial and wwn from a udev database file.
LabelSet parse_udev_info(std::string_view text);
// What else node_exporter's diskstats takes from udev for `device`: node_disk_filesystem_info,
// node_disk_device_mapper_info and, for ATA disks, node_disk_ata_{write_cache,
// write_cache_enabled,rotation_rate_rpm}.
void udev_samples(const UdevProperties& properties, const std::string& device, Samples& out);

// A line of /proc/<pid>/mounts, its octal escapes (\040 for a space) decoded.
struct Mount {
  std::string device, mountpoint, fstype;
  bool readonly = false;
};
std::vector<Mount> parse_mounts(std::string_view text);
// node_exporter's default mount-points-exclude and fs-types-exclude (pseudo filesystems).
bool filesystem_excluded(const Mount& m);

// A sysfs value in thousandths (millidegrees Celsius) as units.
std::optional<double> parse_milli(std::string_view text);
// A hwmon chip or device name as node_exporter cleans it: lower case, [^a-z0-9:_] as '_', no
// '_' at either end.
std::string clean_chip_name(std::string_view name);

// A zone's abbreviation and its offset from UTC at some time: node_time_zone_offset_seconds.
struct ZoneOffset {
  std::string abbreviation;  // "CET"; "+0530" for a zone written <+0530>
  std::int64_t offset_s = 0;
};
// A TZif file (RFC 8536: /etc/localtime, versions 1 to 4) at a Unix time: the time type of the
// last transition before it, or after the last one the footer's POSIX TZ rule. nullopt for
// what is not TZif.
std::optional<ZoneOffset> zone_offset(std::string_view tzif, std::int64_t unix_s);
// A POSIX TZ string with its DST rule ("CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30") at a
// Unix time; nullopt for one without rules where it names a DST zone, or malformed.
std::optional<ZoneOffset> posix_zone_offset(std::string_view tz, std::int64_t unix_s);

// systemd's Version property ("252.19-1~deb12u1") as node_exporter reads it: the first run of
// three digits or more and its fraction (252.19); nullopt when there is none.
std::optional<double> systemd_version(std::string_view version);

// /proc/<pid>/cgroup: the process's cgroup v2 path (the "0::" line), e.g.
// "/system.slice/docker-<id>.scope"; nullopt on a cgroup v1 only host.
std::optional<std::string> parse_cgroup_v2_path(std::string_view text);
// The value of `key` in a flat-keyed cgroup file ("key value" lines: cpu.stat, memory.stat).
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key);
// A line of a cgroup's io.stat: "<major>:<minor> rbytes=.. wbytes=.. rios=.. wios=.. ...".
struct IoStat {
  std::string device;  // "<major>:<minor>"
  std::uint64_t rbytes = 0, wbytes = 0, rios = 0, wios = 0;
};
std::vector<IoStat> parse_io_stat(std::string_view text);

}  // namespace tt::collect
