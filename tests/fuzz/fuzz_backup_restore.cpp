// A file given to `telltale restore`, whatever it holds: restore must refuse it with a clear
// error (or, for a real backup, take it) without crashing, and a refused file must leave the data
// directory as it was. The bytes go through zlib's gzip reader and SQLite's checks first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "backup/backup.h"
#include "core/log.h"

namespace {

namespace fs = std::filesystem;

const fs::path& work() {
  static const fs::path dir = [] {
    tt::log::set_level(tt::log::Level::error);
    auto d = fs::temp_directory_path() / ("tt-fuzz-restore-" + std::to_string(::getpid()));
    fs::create_directories(d / "data");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path file = work() / "in.backup", dir = work() / "data";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::ofstream(dir / "telltale.db", std::ios::trunc) << "before";
  auto restored = tt::backup::restore(file.string(), dir.string());
  if (!restored.ok()) {
    std::ifstream in(dir / "telltale.db");
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (kept != "before" || restored.error().code.empty()) __builtin_trap();
  }
  std::error_code ec;
  fs::remove_all(dir / "tsdb", ec);
  return 0;
}
