#include "core/resident.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace tt {

std::size_t release_startup_pages() {
  struct Mapping {
    std::uintptr_t start = 0, end = 0;
    bool candidate = false;
    std::size_t rss_kib = 0, anonymous_kib = 0;
  };
  std::size_t released = 0;
  auto release = [&](const Mapping& m) {
    if (!m.candidate || m.anonymous_kib != 0 || m.rss_kib == 0) return;
    if (::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) == 0)
      released += m.rss_kib * 1024;
  };
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  Mapping m;
  while (std::getline(smaps, line)) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find_first_not_of("0123456789abcdef") == dash) {  // a mapping's first line
      release(m);
      m = {};
      m.start = std::stoull(line.substr(0, dash), nullptr, 16);
      m.end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      // "start-end perms offset dev inode path": read-only, backed by a file on disk.
      const std::string perms = line.substr(space + 1, 4);
      const auto path = line.find('/');
      m.candidate = perms[1] == '-' && perms[3] == 'p' && path != std::string::npos &&
                    line.find("(deleted)") == std::string::npos;
    } else if (line.starts_with("Rss:")) {
      m.rss_kib = std::stoull(line.substr(4));
    } else if (line.starts_with("Anonymous:")) {
      m.anonymous_kib = std::stoull(line.substr(10));
    }
  }
  release(m);
  release_free_heap();
  return released;
}

void release_free_heap() { ::malloc_trim(0); }

}  // namespace tt
