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
#include <vector>

#include "core/fs.h"
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

// `bytes` as the file `path`, synced: the append log's segments, through the file system the
// log itself uses.
Result<void> write_synced(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  auto file = posix_fs().open_append(path.string(), ec);
  while (file && !ec && !bytes.empty()) bytes.remove_prefix(file->write(bytes, ec));
  if (file && !ec) ec = file->sync();
  if (ec)
    return failure("RESTORE_IO", fmt::format("cannot write {}: {}", path.string(), ec.message()));
  return ok();
}

Result<void> sync_dir(const fs::path& dir, const char* code) {
  if (auto ec = posix_fs().sync_dir(dir.string()))
    return failure(code, fmt::format("cannot sync {}: {}", dir.string(), ec.message()));
  return ok();
}

// The gzip file written by zlib's gz* calls (the log's file system has no such writer).
Result<void> sync_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return failure("BACKUP_IO", fmt::format("cannot sync {}: {}", path.string(), strerror(errno)));
  }
  ::close(fd);
  return ok();
}

// `from` gzip-compressed into `to`, telling `progress` after each MiB read.
Result<void> gzip_file(const fs::path& from, const fs::path& to, const Progress& progress) {
  std::error_code size_ec;
  const std::uint64_t total = fs::file_size(from, size_ec);
  std::uint64_t done = 0;
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
    done += n;
    if (progress && n) progress(done, total);
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

Result<void> make_backup(const std::string& data_dir, const fs::path& out,
                         const Progress& progress) {
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
      std::string bytes;
      if (auto read_ec = posix_fs().read(entry.path().string(), bytes))
        return failure("BACKUP_IO",
                       fmt::format("cannot read {}: {}", entry.path().string(), read_ec.message()));
      add.bind(1, entry.path().filename().string());
      add.bind(2, bytes.data(), static_cast<int>(bytes.size()));
      add.exec();
      add.reset();
    }
  } catch (const SQLite::Exception& e) {
    return failure("BACKUP_IO", fmt::format("cannot copy the database: {}", e.what()));
  }
  const fs::path tmp = out.string() + ".tmp";
  if (auto zipped = gzip_file(work, tmp, progress); !zipped.ok()) {
    fs::remove(tmp, ec);
    return zipped;
  }
  fs::rename(tmp, out, ec);
  if (ec)
    return failure("BACKUP_IO", fmt::format("cannot write {}: {}", out.string(), ec.message()));
  return sync_dir(out.parent_path().empty() ? fs::path(".") : out.parent_path(), "BACKUP_IO");
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
      TT_TRY(write_synced(staging / "tsdb" / name, {static_cast<const char*>(data.getBlob()),
                                                    static_cast<std::size_t>(data.getBytes())}));
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
  TT_TRY(sync_dir(dir / "tsdb", "RESTORE_IO"));
  return sync_dir(dir, "RESTORE_IO");
}

}  // namespace

Result<std::uint64_t> write(const std::string& data_dir, const std::string& out,
                            const Progress& progress) {
  TT_TRY(make_backup(data_dir, out, progress));
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
