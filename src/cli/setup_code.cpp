#include "cli/setup_code.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "auth/service.h"

namespace tt::cli {

int setup_code(const std::string& data_dir) {
  const std::string path = auth::setup_code_path(data_dir);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "re"), std::fclose);
  if (!file && errno != ENOENT && errno != ENOTDIR) {
    fmt::print(stderr, "error: cannot read {}: {}; run as the server's user or root ({})\n", path,
               std::strerror(errno), "SETUP_CODE_UNREADABLE");
    return 1;
  }
  char line[64] = {};
  if (!file || !std::fgets(line, sizeof line, file.get()) || line[0] == '\n') {
    fmt::print(stderr,
               "error: no setup code in {}: setup is done (log in, or add a user with `telltale "
               "user add`), or no server runs on it ({})\n",
               data_dir, "SETUP_CODE_NONE");
    return 1;
  }
  fmt::print("{}", line);
  return 0;
}

}  // namespace tt::cli
