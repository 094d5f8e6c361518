// core/fs.h — the file system as the store's append log and the agent's buffer use it (leveldb's
// Env, reduced to what they need), so tests can swap in one that injects faults: a full disk,
// short and torn writes, failed syncs, power loss. posix_fs() is the real one and the default.
// Only those files go through it; SQLite (series rows, packs) does its own I/O.
// Errors are errno values (std::generic_category), as the system calls give them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tt {

// A file open for appending (and reading back); closed when destroyed. Not thread-safe.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Writes a prefix of `data` at the end of the file, as write(2): returns how many bytes (at
  // least one), or 0 with `ec` set. A short count is no error; the next call tells what stopped it.
  virtual std::size_t write(std::string_view data, std::error_code& ec) = 0;
  // fdatasync(2). After a failure the bytes written since the last good sync must be taken as
  // lost whatever a later sync says: the kernel may have dropped them and marked them clean.
  virtual std::error_code sync() = 0;
  virtual std::error_code truncate(std::uint64_t size_bytes) = 0;
  // Appends to `out` up to `size_bytes` bytes from `offset` (pread(2)); fewer only at the end.
  virtual std::error_code read_at(std::uint64_t offset, std::size_t size_bytes,
                                  std::string& out) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual std::error_code create_dirs(const std::string& dir) = 0;
  // The names (not paths) of the entries in `dir`.
  virtual std::error_code list(const std::string& dir, std::vector<std::string>& names) = 0;
  virtual std::error_code read(const std::string& path, std::string& out) = 0;
  virtual std::error_code file_size(const std::string& path, std::uint64_t& size_bytes) = 0;
  // Appends to `out` up to `size_bytes` bytes of `path` from `offset` (pread(2)); fewer only at
  // the end of the file.
  virtual std::error_code read_at(const std::string& path, std::uint64_t offset,
                                  std::size_t size_bytes, std::string& out) = 0;
  // Opens `path` for appending, creating it (mode 0600) when missing; null with `ec` set on
  // failure.
  virtual std::unique_ptr<AppendFile> open_append(const std::string& path, std::error_code& ec) = 0;
  virtual std::error_code truncate(const std::string& path, std::uint64_t size_bytes) = 0;
  virtual std::error_code remove(const std::string& path) = 0;
  // rename(2): replaces `to` atomically; durable, as a creation, only after sync_dir.
  virtual std::error_code rename(const std::string& from, const std::string& to) = 0;
  // Makes the entries of `dir` durable: a file created there survives a power loss only after
  // this, whatever syncs its data.
  virtual std::error_code sync_dir(const std::string& dir) = 0;
};

// The real file system (POSIX calls). Thread-safe; lives for the whole process.
FileSystem& posix_fs();

}  // namespace tt
