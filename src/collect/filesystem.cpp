// The filesystem collector: the mounts of the host's init (as the host sees them), less
// node_exporter's default exclusions, each measured with statvfs under the root filesystem.
#include <sys/statvfs.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"

namespace tt::collect {

namespace {

// The kernel writes space, tab, newline and backslash in mount fields as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                 s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7';
    if (!octal) {
      out += s[i];
      continue;
    }
    out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
    i += 3;
  }
  return out;
}

bool has_option(std::string_view options, std::string_view option) {
  while (!options.empty()) {
    auto end = options.find(',');
    if (options.substr(0, end) == option) return true;
    if (end == std::string_view::npos) break;
    options.remove_prefix(end + 1);
  }
  return false;
}

// ^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)
bool mountpoint_excluded(std::string_view mp) {
  for (std::string_view dir : {"/dev", "/proc", "/run", "/sys", "/mnt", "/media"})
    if (mp.starts_with(dir) && (mp.size() == dir.size() || mp[dir.size()] == '/')) return true;
  for (std::string_view dir : {"/var/lib/docker/", "/var/lib/containers/storage/"})
    if (mp.starts_with(dir) && mp.size() > dir.size()) return true;
  return false;
}

constexpr std::string_view kExcludedTypes[] = {
    "autofs",     "binfmt_misc", "bpf",       "cgroup",   "cgroup2",   "configfs",
    "debugfs",    "devpts",      "devtmpfs",  "fusectl",  "hugetlbfs", "iso9660",
    "mqueue",     "nsfs",        "overlay",   "proc",     "procfs",    "pstore",
    "rpc_pipefs", "securityfs",  "selinuxfs", "squashfs", "sysfs",     "tracefs"};

// The mount point as the host sees it: node_exporter strips the root filesystem's path when a
// mount table lists it (an agent in a container with the host's / at /host).
std::string host_mountpoint(const std::string& rootfs, std::string mp) {
  std::string_view root(rootfs);
  while (root.ends_with('/')) root.remove_suffix(1);
  if (root.empty() || !mp.starts_with(root)) return mp;
  if (mp.size() == root.size()) return "/";
  if (mp[root.size()] != '/') return mp;
  return mp.substr(root.size());
}

// A dead mount (an NFS server gone) blocks statvfs in the kernel for as long as it is dead, so
// each statvfs runs on a thread of its own and is waited for only `mount_timeout`. A mount that
// did not answer is stuck: a device error, and not asked again until its statvfs returns, so it
// holds one thread, not one per collection (node_exporter's mount timeout and stuck mounts).
struct PendingStat {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  bool ok = false;
  struct statvfs st {};
};

std::mutex g_stuck_mutex;
std::set<std::string> g_stuck;  // paths whose statvfs has not returned

std::optional<struct statvfs> stat_mount(const Roots& roots, const std::string& path) {
  {
    std::lock_guard lock(g_stuck_mutex);
    if (g_stuck.contains(path)) return std::nullopt;
  }
  auto pending = std::make_shared<PendingStat>();
  std::thread([pending, path, call = roots.statvfs] {
    struct statvfs st {};
    const bool ok = call(path.c_str(), &st) == 0;
    {
      std::lock_guard lock(pending->mutex);
      pending->done = true;
      pending->ok = ok;
      pending->st = st;
    }
    pending->done_cv.notify_one();
    std::lock_guard lock(g_stuck_mutex);
    g_stuck.erase(path);
  }).detach();
  std::unique_lock lock(pending->mutex);
  if (!pending->done_cv.wait_for(lock, roots.mount_timeout, [&] { return pending->done; })) {
    std::lock_guard stuck(g_stuck_mutex);
    g_stuck.insert(path);  // before its thread can erase it: that takes pending->mutex first
    return std::nullopt;
  }
  if (!pending->ok) return std::nullopt;
  return pending->st;
}

}  // namespace

std::vector<Mount> parse_mounts(std::string_view text) {
  std::vector<Mount> mounts;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 4) return;
    mounts.push_back(
        {unescape_octal(f[0]), unescape_octal(f[1]), unescape_octal(f[2]), has_option(f[3], "ro")});
  });
  return mounts;
}

bool filesystem_excluded(const Mount& m) {
  return mountpoint_excluded(m.mountpoint) ||
         std::find(std::begin(kExcludedTypes), std::end(kExcludedTypes), m.fstype) !=
             std::end(kExcludedTypes);
}

void collect_filesystem(const Roots& roots, Samples& out) {
  // init's mounts are the host's even when /proc/self is a container's; /proc/1 may be hidden
  // (hidepid), then ours.
  auto text = read_file(join(roots.procfs, "1/mounts"));
  if (!text) text = read_file(join(roots.procfs, "self/mounts"));
  if (!text) return;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (auto& m : parse_mounts(*text)) {
    m.mountpoint = host_mountpoint(roots.rootfs, std::move(m.mountpoint));
    if (filesystem_excluded(m) || !seen.emplace(m.device, m.mountpoint, m.fstype).second) continue;
    LabelSet labels = {{"device", m.device}, {"fstype", m.fstype}, {"mountpoint", m.mountpoint}};
    const auto measured = stat_mount(roots, join(roots.rootfs, m.mountpoint));
    add(out, "node_filesystem_device_error", measured ? 0 : 1, labels);
    if (!measured) continue;
    const auto& st = *measured;
    auto frsize = static_cast<double>(st.f_frsize);
    add(out, "node_filesystem_size_bytes", static_cast<double>(st.f_blocks) * frsize, labels);
    add(out, "node_filesystem_free_bytes", static_cast<double>(st.f_bfree) * frsize, labels);
    add(out, "node_filesystem_avail_bytes", static_cast<double>(st.f_bavail) * frsize, labels);
    add(out, "node_filesystem_files", static_cast<double>(st.f_files), labels);
    add(out, "node_filesystem_files_free", static_cast<double>(st.f_ffree), labels);
    add(out, "node_filesystem_readonly", m.readonly ? 1 : 0, labels);
  }
}

}  // namespace tt::collect
