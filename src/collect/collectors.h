// collect/collectors.h — the collectors' functions, one per node_exporter collector name; the
// table that names them is in collect.cpp. Each reads its files under the roots and appends.
#pragma once

#include "collect/collect.h"

namespace tt::collect {

void collect_cpu(const Roots& roots, Samples& out);      // cpu.cpp: /proc/stat
void collect_loadavg(const Roots& roots, Samples& out);  // system.cpp
void collect_pressure(const Roots& roots, Samples& out);
void collect_entropy(const Roots& roots, Samples& out);
void collect_uname(const Roots& roots, Samples& out);
void collect_time(const Roots& roots, Samples& out);        // time.cpp
void collect_meminfo(const Roots& roots, Samples& out);     // memory.cpp
void collect_filesystem(const Roots& roots, Samples& out);  // filesystem.cpp
void collect_diskstats(const Roots& roots, Samples& out);   // disk.cpp
void collect_netdev(const Roots& roots, Samples& out);      // network.cpp
void collect_hwmon(const Roots& roots, Samples& out);       // sensors.cpp
void collect_thermal_zone(const Roots& roots, Samples& out);
void collect_systemd(const Roots& roots, Samples& out);           // systemd.cpp
void collect_container_engine(const Roots& roots, Samples& out);  // containers.cpp
void collect_textfile(const Roots& roots, Samples& out);          // textfile.cpp
void collect_scripts(const Roots& roots, Samples& out);           // scripts.cpp

}  // namespace tt::collect
