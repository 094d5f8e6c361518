#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

namespace tt {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

std::error_code pread_all(int fd, std::uint64_t offset, std::size_t size_bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + size_bytes);
  std::size_t got = 0;
  std::error_code ec;
  while (got < size_bytes) {
    ssize_t n =
        ::pread(fd, out.data() + start + got, size_bytes - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ec = last_error();
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(start + got);
  return ec;
}

class PosixFile final : public AppendFile {
 public:
  explicit PosixFile(int fd) : m_fd(fd) {}
  ~PosixFile() override { ::close(m_fd); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  std::size_t write(std::string_view data, std::error_code& ec) override {
    for (;;) {
      ssize_t n = ::write(m_fd, data.data(), data.size());
      if (n > 0) return static_cast<std::size_t>(n);
      if (n < 0 && errno == EINTR) continue;
      // write(2) returns 0 for a non-empty buffer only on odd devices: no progress is an error.
      ec = n < 0 ? last_error() : std::error_code(EIO, std::generic_category());
      return 0;
    }
  }
  std::error_code sync() override {
    return ::fdatasync(m_fd) == 0 ? std::error_code{} : last_error();
  }
  std::error_code truncate(std::uint64_t size_bytes) override {
    return ::ftruncate(m_fd, static_cast<off_t>(size_bytes)) == 0 ? std::error_code{}
                                                                  : last_error();
  }
  std::error_code read_at(std::uint64_t offset, std::size_t size_bytes, std::string& out) override {
    return pread_all(m_fd, offset, size_bytes, out);
  }

 private:
  int m_fd;
};

class PosixFs final : public FileSystem {
 public:
  std::error_code create_dirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return ec;
  }
  std::error_code list(const std::string& dir, std::vector<std::string>& names) override {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    return ec;
  }
  std::error_code read(const std::string& path, std::string& out) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return last_error();
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    auto ec = n < 0 ? last_error() : std::error_code{};
    ::close(fd);
    return ec;
  }
  std::error_code file_size(const std::string& path, std::uint64_t& size_bytes) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return last_error();
    size_bytes = static_cast<std::uint64_t>(st.st_size);
    return {};
  }
  std::error_code read_at(const std::string& path, std::uint64_t offset, std::size_t size_bytes,
                          std::string& out) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return last_error();
    auto ec = pread_all(fd, offset, size_bytes, out);
    ::close(fd);
    return ec;
  }
  std::unique_ptr<AppendFile> open_append(const std::string& path, std::error_code& ec) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      ec = last_error();
      return nullptr;
    }
    return std::make_unique<PosixFile>(fd);
  }
  std::error_code truncate(const std::string& path, std::uint64_t size_bytes) override {
    return ::truncate(path.c_str(), static_cast<off_t>(size_bytes)) == 0 ? std::error_code{}
                                                                         : last_error();
  }
  std::error_code remove(const std::string& path) override {
    return ::unlink(path.c_str()) == 0 ? std::error_code{} : last_error();
  }
  std::error_code rename(const std::string& from, const std::string& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? std::error_code{} : last_error();
  }
  std::error_code sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return last_error();
    auto ec = ::fsync(fd) == 0 ? std::error_code{} : last_error();
    ::close(fd);
    return ec;
  }
};

}  // namespace

FileSystem& posix_fs() {
  static PosixFs fs;
  return fs;
}

}  // namespace tt
