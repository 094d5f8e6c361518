#include "cli/backup.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "app/app.h"
#include "backup/backup.h"

namespace tt::cli {

namespace {

int failed(const Error& e) {
  fmt::print(stderr, "error: {} ({})\n", e.message, e.code);
  return 1;
}

}  // namespace

int backup(const std::string& data_dir, const std::string& out_path) {
  // A progress bar on a terminal; nothing in a pipe or a log.
  backup::Progress progress;
  if (isatty(STDERR_FILENO))
    progress = [](std::uint64_t done, std::uint64_t total) {
      const double share = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
      const int filled = static_cast<int>(share * 30);
      fmt::print(stderr, "\rcompressing [{:<30}] {:3.0f}% of {:.1f} MiB", std::string(filled, '#'),
                 share * 100, static_cast<double>(total) / (1 << 20));
      if (done >= total) fmt::print(stderr, "\n");
    };
  auto written = backup::write(data_dir, out_path, progress);
  if (!written.ok()) return failed(written.error());
  fmt::print("{}: {} bytes\n", out_path, written.value());
  return 0;
}

int restore(const std::string& in_path, const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(in_path, ec)) {
    fmt::print(stderr, "error: {} is not a file\n", in_path);
    return 2;
  }
  std::string err;
  if (!app::ensure_data_dir(data_dir, err)) {
    fmt::print(stderr, "error: {}\n", err);
    return 1;
  }
  auto lock = app::DataDirLock::acquire(data_dir);  // held until the files are in place
  if (!lock.ok()) return failed(lock.error());
  auto restored = backup::restore(in_path, data_dir);
  if (!restored.ok()) return failed(restored.error());
  fmt::print("restored {} into {}\n", in_path, data_dir);
  return 0;
}

}  // namespace tt::cli
