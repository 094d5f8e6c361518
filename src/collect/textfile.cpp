// The textfile collector: node_exporter's, over Roots::textfile_dir. Each *.prom file is read
// whole on every collection (nothing is kept between them); a file that cannot be read, has a
// bad line or a sample with its own timestamp is skipped whole and sets
// node_textfile_scrape_error, as node_exporter does.
#include <sys/stat.h>

#include <filesystem>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/text_samples.h"

namespace tt::collect {

void collect_textfile(const Roots& roots, Samples& out) {
  if (roots.textfile_dir.empty()) return;
  std::error_code ec;
  bool error = !std::filesystem::is_directory(roots.textfile_dir, ec);
  for (const auto& name : list_dir(roots.textfile_dir, "")) {
    if (!name.ends_with(".prom")) continue;
    const auto path = join(roots.textfile_dir, name);
    struct stat st {};
    auto text = ::stat(path.c_str(), &st) == 0 ? read_file(path) : std::nullopt;
    auto samples = text ? parse_prometheus_samples(*text, Timestamps::refuse) : std::nullopt;
    if (!samples) {
      error = true;
      continue;
    }
    for (auto& s : *samples) out.push_back(std::move(s));
    // node_exporter's precision: milliseconds. In 64 bits: time_t is 32 bits on armhf, where
    // seconds times 1000 overflowed (found by the unit tests under qemu-arm).
    const double mtime_s = static_cast<double>(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 +
                                               st.st_mtim.tv_nsec / 1'000'000) /
                           1000;
    add(out, "node_textfile_mtime_seconds", mtime_s, {{"file", path}});
  }
  add(out, "node_textfile_scrape_error", error ? 1 : 0);
}

}  // namespace tt::collect
