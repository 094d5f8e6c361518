// collect/ — the host collectors of `telltale agent`: each reads files under the roots it is
// given (/proc, /sys and / on a host; fixture trees in tests) and returns samples named, labelled
// and in the units of Prometheus' node_exporter 1.x, so its dashboards read them unchanged.
// Files and a few system calls (statvfs, uname); besides, the containers collector asks the
// container engine's unix socket (cAdvisor's names, collect/containers.h), the systemd
// collector asks systemd over the system bus (collect/dbus.h) and the scripts collector runs
// programs. No libuv, no store. The text of each file is parsed by a pure
// function (collect/parsers.h, fuzzed). A missing file yields no samples; a malformed line is
// skipped. Safe to call from any thread; nothing is shared.
#pragma once

#include <sys/statvfs.h>

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/series.h"

namespace tt::collect {

// Where the host's files are: another root lets an agent in a container read the host's
// (mounted at /host/proc, ...) and tests read fixture trees.
struct Roots {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  const Clock* clock = &SystemClock::instance();  // for node_time_seconds
  // How long a mount may take to answer statvfs (a dead NFS server blocks it), and the call
  // itself (tests put one that hangs in its place).
  std::chrono::milliseconds mount_timeout{5000};
  int (*statvfs)(const char* path, struct statvfs* st) = ::statvfs;
  // The container engine's API socket: Docker's, or Podman's Docker-compatible one
  // (/run/podman/podman.sock); and how long one request to it may take.
  std::string docker_socket = "/var/run/docker.sock";
  std::chrono::milliseconds engine_timeout{5000};
  // How long the systemd collector may take over the system bus
  // (<rootfs>/run/dbus/system_bus_socket), connecting included.
  std::chrono::milliseconds dbus_timeout{5000};
  // node_exporter's textfile directory (*.prom files); empty: the textfile collector is off.
  std::string textfile_dir;
  // Executables whose output is collected (the scripts collector); empty: off. How long each
  // may run before its process group is killed.
  std::string scripts_dir;
  std::chrono::milliseconds script_timeout{5000};
};

struct Sample {
  std::string name;
  LabelSet labels;  // sorted by name, no empty values; without __name__
  double value = 0;
};
using Samples = std::vector<Sample>;

// Appends a sample, its labels sorted and those with empty values left out.
void add(Samples& out, std::string name, double value, LabelSet labels = {});

// A collector: node_exporter's name for the same group of metrics (docs/agent.md lists what
// each reads and writes), and the function.
struct Collector {
  std::string_view name;
  void (*collect)(const Roots& roots, Samples& out);
};

// Every collector, in the order their samples are collected.
std::span<const Collector> collectors();
// nullptr when there is no collector of that name.
const Collector* find_collector(std::string_view name);

// One collection by the named collectors (every one when `names` is empty); names must come
// from collectors() (check with find_collector first).
Samples collect(const Roots& roots, std::span<const std::string> names = {});

// The Prometheus text exposition format: samples grouped by name, a `# TYPE` line for each
// (counter for names ending in _total, else gauge), values in their shortest exact form.
std::string to_prometheus_text(Samples samples);

}  // namespace tt::collect
