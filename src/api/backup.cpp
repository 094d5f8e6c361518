// POST /api/v1/backup: a backup of the running server's data directory, streamed to the admin
// who asked (the same file `telltale backup` writes). It is written under DATA/backups first,
// so the copy is consistent however slowly the client reads. The name is removed as soon as
// the file is open: the open descriptor keeps the bytes, and nothing is left behind if the
// client goes away or the server is killed mid-transfer.
#include "backup/backup.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "api/api.h"
#include "core/random.h"

namespace tt::api {

void register_backup(http::Router& r, Services& s) {
  r.add({"POST", "/api/v1/backup", http::Access::admin, [&s](http::Context& ctx) {
           namespace fs = std::filesystem;
           const fs::path dir = fs::path(s.data_dir) / "backups";
           std::error_code ec;
           fs::create_directories(dir, ec);
           const std::string path =
               (dir / fmt::format(".download-{}.backup", random_hex(8))).string();
           auto written = backup::write(s.data_dir, path);
           if (!written.ok()) return ctx.error(written.error());
           auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
           fs::remove(path, ec);
           if (!*file)
             return ctx.error(
                 Error::make(ErrorKind::internal, "BACKUP_IO", "cannot reopen the backup"));
           const std::string name =
               fs::path(backup::timestamped_path(".", "telltale")).filename().string();
           ctx.res.set_header("Content-Disposition",
                              fmt::format("attachment; filename=\"{}\"", name));
           ctx.res.set_content_provider(
               static_cast<std::size_t>(written.value()), "application/gzip",
               [file](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                 std::vector<char> block(std::min<std::size_t>(length, 1 << 16));
                 file->seekg(static_cast<std::streamoff>(offset));
                 file->read(block.data(), static_cast<std::streamsize>(block.size()));
                 const auto n = static_cast<std::size_t>(file->gcount());
                 return n > 0 && sink.write(block.data(), n);
               });
         }});
}

}  // namespace tt::api
