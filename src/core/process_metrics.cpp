#include "core/process_metrics.h"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/metrics.h"

namespace tt::metrics {

namespace {

int count_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

}  // namespace

void register_process_collector(Registry& r) {
  auto& rss =
      r.family("process_resident_memory_bytes", "Resident memory size in bytes.", Type::gauge)
          .gauge();
  auto& vms = r.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::gauge)
                  .gauge();
  auto& cpu = r.family("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                       Type::counter);
  auto& fds = r.family("process_open_fds", "Number of open file descriptors.", Type::gauge).gauge();
  auto& max_fds =
      r.family("process_max_fds", "Maximum number of open file descriptors.", Type::gauge).gauge();
  auto& start = r.family("process_start_time_seconds",
                         "Start time of the process since the Unix epoch in seconds.", Type::gauge)
                    .gauge();
  auto& cpu_total = cpu.counter();
  static const long ticks = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  // Start time: boot time plus the process's start in ticks since boot.
  {
    std::ifstream stat("/proc/self/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream rest(s.substr(s.rfind(')') + 2));
    std::string f;
    for (int i = 3; i <= 22 && rest >> f; ++i)
      if (i == 22) {
        std::ifstream procstat("/proc/stat");
        std::string key;
        long long btime = 0;
        while (procstat >> key)
          if (key == "btime") {
            procstat >> btime;
            break;
          }
        start.set(static_cast<double>(btime) + std::stod(f) / static_cast<double>(ticks));
      }
  }
  // What malloc holds: in use by the program, and freed (fragmentation shows here, not in any
  // pool's own count). The freed bytes include pages trimming gave back to the kernel: they
  // bound what is resident, RSS tells the rest.
  auto& malloc_used = memory_pool("malloc_in_use");
  auto& malloc_free = memory_pool("malloc_free");
  r.add_collector([&rss, &vms, &cpu_total, &fds, &max_fds, &malloc_used, &malloc_free](Registry&) {
    const auto mi = ::mallinfo2();
    malloc_used.set(static_cast<double>(mi.uordblks + mi.hblkhd));
    malloc_free.set(static_cast<double>(mi.fordblks));
    std::ifstream stat("/proc/self/stat");
    std::string s((std::istreambuf_iterator<char>(stat)), {});
    auto close = s.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream rest(s.substr(close + 2));
    std::string f;
    double utime = 0, stime = 0, vsize = 0, rss_pages = 0;
    for (int i = 3; i <= 24 && rest >> f; ++i) {
      if (i == 14) utime = std::stod(f);
      if (i == 15) stime = std::stod(f);
      if (i == 23) vsize = std::stod(f);
      if (i == 24) rss_pages = std::stod(f);
    }
    double cpu_now = (utime + stime) / static_cast<double>(ticks);
    cpu_total.inc(cpu_now - cpu_total.value());
    vms.set(vsize);
    rss.set(rss_pages * static_cast<double>(page));
    fds.set(count_fds());
    std::ifstream limits("/proc/self/limits");
    std::string line;
    while (std::getline(limits, line)) {
      if (line.rfind("Max open files", 0) == 0) {
        std::istringstream ls(line.substr(14));
        double soft = 0;
        if (ls >> soft) max_fds.set(soft);
      }
    }
  });
}

}  // namespace tt::metrics
