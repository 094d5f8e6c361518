#include "faulty_fs.h"

#include <algorithm>
#include <cerrno>

namespace tt::test {

namespace {

std::error_code err(int e) { return {e, std::generic_category()}; }

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

class FaultyFs::File final : public AppendFile {
 public:
  File(FaultyFs& fs, std::shared_ptr<Node> node) : m_fs(fs), m_node(std::move(node)) {}
  std::size_t write(std::string_view data, std::error_code& ec) override {
    return m_fs.write(*m_node, data, ec);
  }
  std::error_code sync() override { return m_fs.sync(*m_node); }
  std::error_code truncate(std::uint64_t size_bytes) override {
    return m_fs.truncate(*m_node, size_bytes);
  }
  std::error_code read_at(std::uint64_t offset, std::size_t size_bytes, std::string& out) override {
    return m_fs.read_at(*m_node, offset, size_bytes, out);
  }

 private:
  FaultyFs& m_fs;
  std::shared_ptr<Node> m_node;  // kept when the file is removed while open, as POSIX does
};

void FaultyFs::set_free_bytes(std::optional<std::uint64_t> bytes) {
  std::lock_guard lock(m_mutex);
  m_free = bytes;
}

void FaultyFs::set_max_write(std::size_t bytes) {
  std::lock_guard lock(m_mutex);
  m_max_write = bytes;
}

void FaultyFs::fail_next_sync() {
  std::lock_guard lock(m_mutex);
  m_fail_next_sync = true;
}

void FaultyFs::set_truncate_fails(bool fails) {
  std::lock_guard lock(m_mutex);
  m_truncate_fails = fails;
}

void FaultyFs::set_read_at_fails(bool fails) {
  std::lock_guard lock(m_mutex);
  m_read_at_fails = fails;
}

void FaultyFs::tear_next_write(std::size_t bytes) {
  std::lock_guard lock(m_mutex);
  m_tear = bytes;
}

void FaultyFs::crash(Crash how) {
  std::lock_guard lock(m_mutex);
  m_stopped = false;
  m_tear.reset();
  if (how == Crash::process) return;
  for (auto it = m_files.begin(); it != m_files.end();) {
    if (!it->second->entry_durable) {
      it = m_files.erase(it);
      continue;
    }
    auto& node = *it->second;
    node.data = node.disk;
    node.synced = node.data.size();
    ++it;
  }
  for (auto& [path, node] : m_removed) {
    node->data = node->disk;
    node->synced = node->data.size();
    node->entry_durable = true;
    m_files[path] = node;
  }
  m_removed.clear();
}

void FaultyFs::set_contents(const std::string& path, std::string data) {
  std::lock_guard lock(m_mutex);
  auto node = std::make_shared<Node>();
  node->disk = node->data = std::move(data);
  node->synced = node->data.size();
  node->entry_durable = true;
  m_files[path] = std::move(node);
}

std::optional<std::string> FaultyFs::contents(const std::string& path) const {
  std::lock_guard lock(m_mutex);
  auto it = m_files.find(path);
  if (it == m_files.end()) return std::nullopt;
  return it->second->data;
}

std::vector<std::string> FaultyFs::files() const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  for (const auto& [path, node] : m_files) out.push_back(path);
  return out;
}

std::size_t FaultyFs::syncs() const {
  std::lock_guard lock(m_mutex);
  return m_syncs;
}

std::error_code FaultyFs::stopped() const { return m_stopped ? err(EIO) : std::error_code{}; }

void FaultyFs::save(Node& node) {
  node.disk = node.data;
  for (auto [from, to] : node.lost)
    if (from < node.disk.size())
      std::fill(node.disk.begin() + static_cast<std::ptrdiff_t>(from),
                node.disk.begin() + static_cast<std::ptrdiff_t>(std::min(to, node.disk.size())),
                '\0');
  node.synced = node.data.size();
}

std::error_code FaultyFs::create_dirs(const std::string&) {
  std::lock_guard lock(m_mutex);
  return stopped();
}

std::error_code FaultyFs::list(const std::string& dir, std::vector<std::string>& names) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  for (const auto& [path, node] : m_files)
    if (parent_of(path) == dir) names.push_back(path.substr(dir.size() + 1));
  return {};
}

std::error_code FaultyFs::read(const std::string& path, std::string& out) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  auto it = m_files.find(path);
  if (it == m_files.end()) return err(ENOENT);
  out = it->second->data;
  return {};
}

std::error_code FaultyFs::file_size(const std::string& path, std::uint64_t& size_bytes) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  auto it = m_files.find(path);
  if (it == m_files.end()) return err(ENOENT);
  size_bytes = it->second->data.size();
  return {};
}

std::error_code FaultyFs::read_at(const std::string& path, std::uint64_t offset,
                                  std::size_t size_bytes, std::string& out) {
  std::shared_ptr<Node> node;
  {
    std::lock_guard lock(m_mutex);
    if (auto ec = stopped()) return ec;
    auto it = m_files.find(path);
    if (it == m_files.end()) return err(ENOENT);
    node = it->second;
  }
  return read_at(*node, offset, size_bytes, out);
}

std::error_code FaultyFs::read_at(Node& node, std::uint64_t offset, std::size_t size_bytes,
                                  std::string& out) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  if (m_read_at_fails) return err(EIO);
  if (offset < node.data.size())
    out.append(node.data, static_cast<std::size_t>(offset), size_bytes);
  return {};
}

std::unique_ptr<AppendFile> FaultyFs::open_append(const std::string& path, std::error_code& ec) {
  std::lock_guard lock(m_mutex);
  if ((ec = stopped())) return nullptr;
  auto it = m_files.find(path);
  if (it == m_files.end()) {
    if (m_free && *m_free == 0) {
      ec = err(ENOSPC);
      return nullptr;
    }
    it = m_files.emplace(path, std::make_shared<Node>()).first;
  }
  return std::make_unique<File>(*this, it->second);
}

std::error_code FaultyFs::truncate(const std::string& path, std::uint64_t size_bytes) {
  std::shared_ptr<Node> node;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_files.find(path);
    if (it == m_files.end()) return err(ENOENT);
    node = it->second;
  }
  return truncate(*node, size_bytes);
}

std::error_code FaultyFs::remove(const std::string& path) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  auto it = m_files.find(path);
  if (it == m_files.end()) return err(ENOENT);
  unlink(it);
  return {};
}

// As a removal of `from` (and of the `to` it replaces) and a creation of `to`: a power loss
// before the directory's next sync brings the old entries back.
std::error_code FaultyFs::rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  auto it = m_files.find(from);
  if (it == m_files.end()) return err(ENOENT);
  if (from == to) return {};
  auto node = it->second;
  unlink(it);
  if (auto old = m_files.find(to); old != m_files.end()) unlink(old);
  node->entry_durable = false;  // the new entry's; the node is the inode, open files keep it
  m_files[to] = std::move(node);
  return {};
}

void FaultyFs::unlink(std::map<std::string, std::shared_ptr<Node>>::iterator it) {
  if (it->second->entry_durable) m_removed[it->first] = it->second;
  m_files.erase(it);
}

std::error_code FaultyFs::sync_dir(const std::string& dir) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  for (auto& [path, node] : m_files)
    if (parent_of(path) == dir) node->entry_durable = true;
  std::erase_if(m_removed, [&](const auto& entry) { return parent_of(entry.first) == dir; });
  return {};
}

std::size_t FaultyFs::write(Node& node, std::string_view data, std::error_code& ec) {
  std::lock_guard lock(m_mutex);
  if ((ec = stopped())) return 0;
  if (m_tear) {
    node.data.append(data.substr(0, std::min(*m_tear, data.size())));
    save(node);
    m_tear.reset();
    m_stopped = true;
    ec = err(EIO);
    return 0;
  }
  std::size_t n = data.size();
  if (m_max_write > 0) n = std::min(n, m_max_write);
  if (m_free) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, *m_free));
  if (n == 0) {
    ec = err(ENOSPC);
    return 0;
  }
  if (m_free) *m_free -= n;
  node.data.append(data.substr(0, n));
  return n;
}

std::error_code FaultyFs::sync(Node& node) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  if (m_fail_next_sync) {
    m_fail_next_sync = false;
    if (node.synced < node.data.size()) node.lost.emplace_back(node.synced, node.data.size());
    save(node);
    return err(EIO);
  }
  save(node);
  ++m_syncs;
  return {};
}

std::error_code FaultyFs::truncate(Node& node, std::uint64_t size_bytes) {
  std::lock_guard lock(m_mutex);
  if (auto ec = stopped()) return ec;
  if (m_truncate_fails) return err(EIO);
  // Taken as on the disk at once: the size is metadata the file system journals.
  node.data.resize(std::min<std::size_t>(node.data.size(), size_bytes));
  node.disk.resize(std::min(node.disk.size(), node.data.size()));
  node.synced = std::min(node.synced, node.data.size());
  return {};
}

}  // namespace tt::test
