#include "backup/backup.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/result.h"
#include "db/database.h"

namespace tt::backup {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFilesTable = "telltale_backup_files";

Error failure(std::string code, std::string message) {
  return Error::make(ErrorKind::internal, std::move(code), std::move(message));
}

// A segment of the append log: ten digits and ".log" (tsdb/append_log.cpp).
bool segment_name(std::string_view name) {
  if (name.size() != 14 || !name.ends_with(".log")) return false;
  return std::all_of(name.begin(), name.begin() + 10, [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) return failure("BACKUP_IO", fmt::format("cannot read {}", path.string()));
  return bytes.str();
}

Result<void> sync_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return failure("BACKUP_IO", fmt::format("cannot sync {}: {}", path.string(), strerror(errno)));
  }
  ::close(fd);
  return ok();
}

// `from` gzip-compressed into `to`.
Result<void> gzip_file(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  gzFile out = gzopen(to.c_str(), "wb6");
  if (!in || !out) {
    if (out) gzclose(out);
    return failure("BACKUP_IO", fmt::format("cannot write {}", to.string()));
  }
  std::vector<char> block(1 << 20);
  bool written = true;
  while (written && in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<unsigned>(in.gcount());
    written = n == 0 || gzwrite(out, block.data(), n) == static_cast<int>(n);
  }
  if (gzclose(out) != Z_OK || !written || (!in && !in.eof()))
    return failure("BACKUP_IO", fmt::format("cannot write {} (is the disk full?)", to.string()));
  return sync_file(to);
}

// `from` (gzip) inflated into `to`; an error for what is not one whole gzip stream.
Result<void> gunzip_file(const fs::path& from, const fs::path& to) {
  gzFile in = gzopen(from.c_str(), "rb");
  if (!in) return failure("RESTORE_IO", fmt::format("cannot read {}", from.string()));
  gzbuffer(in, 1 << 17);
  std::ofstream out(to, std::ios::binary);
  std::vector<char> block(1 << 20);
  int n = 0;
  while (out && (n = gzread(in, block.data(), static_cast<unsigned>(block.size()))) > 0)
    out.write(block.data(), n);
  int err = Z_OK;
  std::string why = n < 0 ? gzerror(in, &err) : "";
  // gzclose_r answers Z_BUF_ERROR for a stream cut short, Z_DATA_ERROR for a bad checksum.
  const int closed = gzclose_r(in);
  out.close();
  if (n < 0 || closed != Z_OK)
    return failure("RESTORE_NOT_A_BACKUP",
                   fmt::format("{} is not a whole gzip-compressed Telltale backup{}", from.string(),
                               why.empty() ? "" : " (" + why + ")"));
  if (!out) return failure("RESTORE_IO", fmt::format("cannot write {}", to.string()));
  return ok();
}

Result<void> make_backup(const std::string& data_dir, const fs::path& out) {
  const fs::path db_path = db::database_path(data_dir);
  std::error_code ec;
  if (!fs::is_regular_file(db_path, ec))
    return failure("BACKUP_NO_DATABASE", fmt::format("{} has no database", data_dir));
  const fs::path work = out.string() + ".partial";
  const fs::path segments = out.string() + ".segments";
  fs::remove_all(work, ec);
  fs::remove_all(segments, ec);
  struct Cleanup {
    fs::path a, b;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(a, ignored);
      fs::remove_all(b, ignored);
      fs::remove(a.string() + "-journal", ignored);
    }
  } cleanup{work, segments};

  // The log's segments first (see backup.h). One may be cut short while it is written, or
  // deleted once a cut made it useless; a restored server drops a torn record.
  fs::create_directories(segments, ec);
  if (ec)
    return failure("BACKUP_IO",
                   fmt::format("cannot create {}: {}", segments.string(), ec.message()));
  for (const auto& entry : fs::directory_iterator(fs::path(data_dir) / "tsdb", ec)) {
    const auto name = entry.path().filename().string();
    if (!segment_name(name)) continue;
    std::error_code copy_ec;
    fs::copy_file(entry.path(), segments / name, copy_ec);
    if (copy_ec && fs::exists(entry.path()))
      return failure("BACKUP_IO",
                     fmt::format("cannot copy {}: {}", entry.path().string(), copy_ec.message()));
  }

  try {
    auto source = db::open(db_path.string(), db::Access::read_only);
    if (!source.ok()) return std::move(source).error();
    SQLite::Database copy(work.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Backup(copy, *source.value()).executeStep();  // every page, one snapshot
    copy.exec("PRAGMA journal_mode=DELETE");
    copy.exec(
        fmt::format("CREATE TABLE {} (name TEXT PRIMARY KEY, data BLOB NOT NULL)", kFilesTable));
    SQLite::Statement add(copy, fmt::format("INSERT INTO {} VALUES (?, ?)", kFilesTable));
    for (const auto& entry : fs::directory_iterator(segments)) {
      auto bytes = read_file(entry.path());
      if (!bytes.ok()) return std::move(bytes).error();
      add.bind(1, entry.path().filename().string());
      add.bind(2, bytes->data(), static_cast<int>(bytes->size()));
      add.exec();
      add.reset();
    }
  } catch (const SQLite::Exception& e) {
    return failure("BACKUP_IO", fmt::format("cannot copy the database: {}", e.what()));
  }
  const fs::path tmp = out.string() + ".tmp";
  if (auto zipped = gzip_file(work, tmp); !zipped.ok()) {
    fs::remove(tmp, ec);
    return zipped;
  }
  fs::rename(tmp, out, ec);
  if (ec)
    return failure("BACKUP_IO", fmt::format("cannot write {}: {}", out.string(), ec.message()));
  return ok();
}

// The backup inflated into `staging`: its database checked, its segments in staging/tsdb, its
// own table dropped.
Result<void> unpack(const fs::path& in, const fs::path& staging) {
  const fs::path db_path = staging / "telltale.db";
  TT_TRY(gunzip_file(in, db_path));
  try {
    SQLite::Database db(db_path.string(), SQLite::OPEN_READWRITE);
    if (db.execAndGet("PRAGMA integrity_check").getString() != "ok")
      return failure("RESTORE_NOT_A_BACKUP",
                     fmt::format("{} holds a damaged database", in.string()));
    const int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > db::latest_schema_version())
      return failure("DB_TOO_NEW", fmt::format("{} was made by a newer Telltale (schema {}, this "
                                               "one knows up to {})",
                                               in.string(), version, db::latest_schema_version()));
    if (!db.tableExists(kFilesTable))
      return failure("RESTORE_NOT_A_BACKUP",
                     fmt::format("{} is not a Telltale backup", in.string()));
    fs::create_directories(staging / "tsdb");
    SQLite::Statement files(db, fmt::format("SELECT name, data FROM {}", kFilesTable));
    while (files.executeStep()) {
      const std::string name = files.getColumn(0).getString();
      if (!segment_name(name))
        return failure("RESTORE_NOT_A_BACKUP",
                       fmt::format("{} holds a file named {:?}", in.string(), name));
      const auto data = files.getColumn(1);
      std::ofstream out(staging / "tsdb" / name, std::ios::binary);
      out.write(static_cast<const char*>(data.getBlob()), data.getBytes());
      if (!out) return failure("RESTORE_IO", fmt::format("cannot write {}", name));
    }
    files.reset();
    db.exec(fmt::format("DROP TABLE {}", kFilesTable));
    db.exec("VACUUM");
  } catch (const SQLite::Exception& e) {
    return failure("RESTORE_NOT_A_BACKUP",
                   fmt::format("{} is not a Telltale backup: {}", in.string(), e.what()));
  }
  return ok();
}

Result<void> restore_into(const fs::path& in, const std::string& data_dir) {
  const fs::path dir(data_dir), staging = dir / ".restore";
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec)
    return failure("RESTORE_IO",
                   fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  auto unpacked = unpack(in, staging);
  if (!unpacked.ok()) {
    fs::remove_all(staging, ec);
    return unpacked;
  }
  // Checked: now the old files go and the new ones come, each by a rename.
  for (const char* name : {"telltale.db-wal", "telltale.db-shm"}) fs::remove(dir / name, ec);
  fs::remove_all(dir / "tsdb", ec);
  fs::rename(staging / "telltale.db", dir / "telltale.db", ec);
  if (!ec) fs::rename(staging / "tsdb", dir / "tsdb", ec);
  if (ec)
    return failure("RESTORE_IO", fmt::format("cannot move the restored files into {}: {}", data_dir,
                                             ec.message()));
  fs::remove_all(staging, ec);
  return sync_file(dir);
}

}  // namespace

Result<std::uint64_t> write(const std::string& data_dir, const std::string& out) {
  TT_TRY(make_backup(data_dir, out));
  std::error_code ec;
  return static_cast<std::uint64_t>(fs::file_size(out, ec));
}

Result<void> restore(const std::string& in, const std::string& data_dir) {
  return restore_into(in, data_dir);
}

std::string timestamped_path(const std::string& dir, std::string_view name) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  return fmt::format("{}/{}-{}.backup", dir, name, stamp);
}

}  // namespace tt::backup
