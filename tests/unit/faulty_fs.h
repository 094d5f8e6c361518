// An in-memory FileSystem (core/fs.h) that fails as disks do, for the fault tests of the store's
// append log and of the agent's buffer (after leveldb's fault_injection_test): a full disk, short
// writes, a write torn by a crash, a failed sync, and crashes — a process kill keeps what was
// written, a power loss only what was synced. Each file has two views: what the OS holds (what
// reads see) and what is on the disk. Thread-safe: the store calls it on its writer thread while
// the test sets faults.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace tt::test {

class FaultyFs final : public FileSystem {
 public:
  // Room for this many more bytes of writes (nullopt: no limit); past it, writes and creates
  // fail with ENOSPC. Nothing frees room but another call.
  void set_free_bytes(std::optional<std::uint64_t> bytes);
  // Each write takes at most this many bytes (0: all it is given).
  void set_max_write(std::size_t bytes);
  // The next sync fails with EIO, and what it should have saved is lost: on the disk the bytes
  // written since the last good sync read as zeros, whatever later syncs do (as Linux drops
  // dirty pages after a failed writeback and marks them clean).
  void fail_next_sync();
  // While set, truncating a file fails with EIO.
  void set_truncate_fails(bool fails);
  // While set, reads at an offset (read_at) fail with EIO, as a failing sector would.
  void set_read_at_fails(bool fails);
  // The next write lands its first `bytes` bytes, all the file holds reaches the disk, and the
  // machine stops: that write and every later call fail with EIO until crash().
  void tear_next_write(std::size_t bytes);

  enum class Crash { process, power };
  // The machine runs again. After a power loss each file holds what is on its disk; files whose
  // directory was not synced since their creation are gone, and files removed since its last
  // sync are back.
  void crash(Crash how);

  // Makes `path` hold `data`, on the disk too, as if written and synced long ago (for damage a
  // test makes, or a file from elsewhere).
  void set_contents(const std::string& path, std::string data);

  // What `path` holds now (nullopt: no such file), and the paths of all files.
  std::optional<std::string> contents(const std::string& path) const;
  std::vector<std::string> files() const;
  std::size_t syncs() const;  // successful file syncs so far

  std::error_code create_dirs(const std::string& dir) override;
  std::error_code list(const std::string& dir, std::vector<std::string>& names) override;
  std::error_code read(const std::string& path, std::string& out) override;
  std::error_code file_size(const std::string& path, std::uint64_t& size_bytes) override;
  std::error_code read_at(const std::string& path, std::uint64_t offset, std::size_t size_bytes,
                          std::string& out) override;
  std::unique_ptr<AppendFile> open_append(const std::string& path, std::error_code& ec) override;
  std::error_code truncate(const std::string& path, std::uint64_t size_bytes) override;
  std::error_code remove(const std::string& path) override;
  std::error_code rename(const std::string& from, const std::string& to) override;
  std::error_code sync_dir(const std::string& dir) override;

  struct Node {
    std::string data;                                       // what the OS holds
    std::string disk;                                       // what a power loss leaves
    std::size_t synced = 0;                                 // bytes of data the last sync covered
    std::vector<std::pair<std::size_t, std::size_t>> lost;  // [from, to) a failed sync dropped
    bool entry_durable = false;  // its directory was synced since creation
  };

 private:
  class File;
  std::size_t write(Node& node, std::string_view data, std::error_code& ec);
  std::error_code sync(Node& node);
  std::error_code truncate(Node& node, std::uint64_t size_bytes);
  std::error_code read_at(Node& node, std::uint64_t offset, std::size_t size_bytes,
                          std::string& out);
  std::error_code stopped() const;  // under m_mutex
  static void save(Node& node);     // data to disk, lost ranges zeroed
  void unlink(std::map<std::string, std::shared_ptr<Node>>::iterator it);  // under m_mutex

  mutable std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<Node>> m_files;
  std::map<std::string, std::shared_ptr<Node>> m_removed;  // since their directory's last sync
  std::optional<std::uint64_t> m_free;
  std::size_t m_max_write = 0;
  bool m_fail_next_sync = false;
  bool m_truncate_fails = false;
  bool m_read_at_fails = false;
  std::optional<std::size_t> m_tear;
  bool m_stopped = false;
  std::size_t m_syncs = 0;
};

}  // namespace tt::test
