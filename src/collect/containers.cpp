// The containers collector: the Engine API's list, each running container's cgroup v2 files and
// its init process's network counters.
#include "collect/containers.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <unordered_set>

#include "collect/collectors.h"
#include "collect/engine_api.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "collect/unix_http.h"
#include "core/json.h"

namespace tt::collect {

namespace {

// Docker 20.10 and later, and Podman's compatible socket, serve this version of the API.
constexpr std::string_view kApiVersion = "/v1.41";

Result<HttpReply> engine_get(const Roots& roots, const std::string& path) {
  return unix_http_get(roots.docker_socket, std::string(kApiVersion) + path, roots.engine_timeout);
}

Error status_error(const HttpReply& reply, std::string_view what) {
  // The API's error body is {"message": "..."}.
  std::string detail;
  if (auto j = parse_json(reply.body);
      j && j->is_object() && j->contains("message") && (*j)["message"].is_string())
    detail = ": " + (*j)["message"].get<std::string>();
  return Error::make(ErrorKind::bad_gateway, "CONTAINER_ENGINE_BAD_REPLY",
                     std::string(what) + " answered " + std::to_string(reply.status) + detail);
}

// An id we may put in a request path (the engine's are hex).
bool safe_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool has_process(std::string_view state) {
  return state == "running" || state == "paused" || state == "restarting";
}

bool has_exited(std::string_view state) { return state == "exited" || state == "dead"; }

bool path_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

LabelSet container_labels(const ContainerInfo& c) {
  return {{"id", c.id}, {"image", c.image}, {"name", c.name}};
}

LabelSet with(LabelSet labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

// The container's cgroup directory under <sysfs>/fs/cgroup: its init process's cgroup, else
// where Docker (systemd or cgroupfs driver) and Podman put one by default.
std::optional<std::string> cgroup_dir(const Roots& roots, const ContainerInfo& c) {
  const auto root = join(roots.sysfs, "fs/cgroup");
  std::vector<std::string> candidates;
  if (auto text = read_file(join(roots.procfs, std::to_string(c.pid) + "/cgroup"))) {
    auto path = parse_cgroup_v2_path(*text);
    // "/" is the host's own cgroup (a container run without one); ".." a path relative to the
    // agent's cgroup namespace, which the candidates below find instead.
    if (path && *path != "/" && path->find("/..") == std::string::npos) {
      // Podman runs a container's systemd in a child cgroup; the scope holds all of it.
      if (path->ends_with("/container")) path->resize(path->size() - 10);
      candidates.push_back(std::move(*path));
    }
  }
  candidates.push_back("system.slice/docker-" + c.id + ".scope");
  candidates.push_back("machine.slice/libpod-" + c.id + ".scope");
  candidates.push_back("docker/" + c.id);
  for (const auto& candidate : candidates) {
    auto dir = join(root, candidate);
    if (path_exists(dir + "/cpu.stat")) return dir;
  }
  return std::nullopt;
}

// "/dev/<name>" of a block device, from sysfs' uevent; the numbers when it has none.
std::string block_device_name(const Roots& roots, const std::string& major_minor) {
  if (auto text = read_file(join(roots.sysfs, "dev/block/" + major_minor + "/uevent"))) {
    std::string name;
    for_each_line(*text, [&](std::string_view line) {
      if (line.starts_with("DEVNAME=")) name = "/dev/" + std::string(line.substr(8));
    });
    if (!name.empty()) return name;
  }
  return major_minor;
}

void add_cgroup_samples(const Roots& roots, const std::string& dir, const LabelSet& labels,
                        Samples& out) {
  if (auto cpu = read_file(dir + "/cpu.stat")) {
    static constexpr std::pair<std::string_view, std::string_view> kCpu[] = {
        {"usage_usec", "container_cpu_usage_seconds_total"},
        {"user_usec", "container_cpu_user_seconds_total"},
        {"system_usec", "container_cpu_system_seconds_total"}};
    for (const auto& [key, name] : kCpu)
      if (auto v = keyed_value(*cpu, key))
        add(out, std::string(name), static_cast<double>(*v) / 1e6, labels);
  }
  auto usage = read_value(dir + "/memory.current");
  auto usage_bytes = usage ? to_u64(*usage) : std::nullopt;
  auto stat = read_file(dir + "/memory.stat").value_or("");
  if (usage_bytes) {
    add(out, "container_memory_usage_bytes", static_cast<double>(*usage_bytes), labels);
    // cAdvisor's working set: what the kernel cannot simply drop, the usage less inactive files.
    auto inactive = keyed_value(stat, "inactive_file").value_or(0);
    add(out, "container_memory_working_set_bytes",
        static_cast<double>(*usage_bytes > inactive ? *usage_bytes - inactive : 0), labels);
  }
  if (auto anon = keyed_value(stat, "anon"))
    add(out, "container_memory_rss", static_cast<double>(*anon), labels);
  if (auto file = keyed_value(stat, "file"))
    add(out, "container_memory_cache", static_cast<double>(*file), labels);
  if (auto io = read_file(dir + "/io.stat")) {
    for (const auto& dev : parse_io_stat(*io)) {
      auto l = with(labels, "device", block_device_name(roots, dev.device));
      add(out, "container_fs_reads_bytes_total", static_cast<double>(dev.rbytes), l);
      add(out, "container_fs_writes_bytes_total", static_cast<double>(dev.wbytes), l);
      add(out, "container_fs_reads_total", static_cast<double>(dev.rios), l);
      add(out, "container_fs_writes_total", static_cast<double>(dev.wios), l);
    }
  }
}

// The container's interfaces, unless it shares the host's network namespace (its counters
// would be the host's, which the netdev collector reports).
void add_network_samples(const Roots& roots, const ContainerInfo& c, const LabelSet& labels,
                         Samples& out) {
  const auto pid_dir = join(roots.procfs, std::to_string(c.pid));
  std::error_code e1, e2;
  auto ns = std::filesystem::read_symlink(pid_dir + "/ns/net", e1);
  auto host_ns = std::filesystem::read_symlink(join(roots.procfs, "1/ns/net"), e2);
  if (!e1 && !e2 && ns == host_ns) return;
  auto text = read_file(pid_dir + "/net/dev");
  if (!text) return;
  // node_exporter's names of the same columns, as parse_net_dev gives them, to cAdvisor's.
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"node_network_receive_bytes_total", "container_network_receive_bytes_total"},
      {"node_network_receive_packets_total", "container_network_receive_packets_total"},
      {"node_network_receive_errs_total", "container_network_receive_errors_total"},
      {"node_network_receive_drop_total", "container_network_receive_packets_dropped_total"},
      {"node_network_transmit_bytes_total", "container_network_transmit_bytes_total"},
      {"node_network_transmit_packets_total", "container_network_transmit_packets_total"},
      {"node_network_transmit_errs_total", "container_network_transmit_errors_total"},
      {"node_network_transmit_drop_total", "container_network_transmit_packets_dropped_total"}};
  Samples host_named;
  parse_net_dev(*text, host_named);
  for (const auto& s : host_named)
    for (const auto& [from, to] : kNames)
      if (s.name == from && !s.labels.empty())
        add(out, std::string(to), s.value, with(labels, "interface", s.labels[0].value));
}

}  // namespace

bool ContainerSource::current(const Roots& roots, const ContainerInfo& c,
                              const Inspected& seen) const {
  if (seen.state != c.state) return false;
  // A restart between two lists leaves the state "running" but ends the old init process.
  return seen.pid <= 0 || path_exists(join(roots.procfs, std::to_string(seen.pid)));
}

Result<std::vector<ContainerInfo>> ContainerSource::list(const Roots& roots) {
  auto reply = engine_get(roots, "/containers/json?all=1");
  if (!reply) return std::move(reply).error();
  if (reply->status != 200) return status_error(*reply, "GET /containers/json");
  auto containers = parse_container_list(reply->body);
  if (!containers) return std::move(containers).error();

  std::unordered_map<std::string, Inspected> seen;
  std::vector<ContainerInfo> out;
  for (auto& c : *containers) {
    auto it = m_inspected.find(c.id);
    Inspected detail;
    if (it != m_inspected.end() && current(roots, c, it->second)) {
      detail = it->second;
    } else {
      detail.state = c.state;
      // The list's status tells an exited container's code; only a process needs inspecting.
      auto code = exit_code_from_status(c.status);
      if (code) detail.exit_code = *code;
      if ((has_process(c.state) || (has_exited(c.state) && !code)) && safe_id(c.id)) {
        auto inspected = engine_get(roots, "/containers/" + c.id + "/json");
        if (!inspected) return std::move(inspected).error();
        if (inspected->status == 404) continue;  // removed since the list
        if (inspected->status != 200) return status_error(*inspected, "GET /containers/{id}/json");
        auto d = parse_container_inspect(inspected->body);
        if (!d) return std::move(d).error();
        detail.pid = d->pid;
        detail.exit_code = d->exit_code;
        detail.started_s = d->started_s;
      }
    }
    c.pid = detail.pid;
    c.exit_code = detail.exit_code;
    c.started_s = detail.started_s;
    seen.insert_or_assign(c.id, std::move(detail));
    out.push_back(std::move(c));
  }
  m_inspected = std::move(seen);
  return out;
}

void collect_containers(const Roots& roots, const std::vector<ContainerInfo>& containers,
                        Samples& out) {
  const double now_s = static_cast<double>(roots.clock->now_ms()) / 1000;
  for (const auto& c : containers) {
    const auto labels = container_labels(c);
    add(out, "container_state", 1, with(labels, "state", c.state));
    if (!has_process(c.state) || c.pid <= 0) continue;
    add(out, "container_last_seen", now_s, labels);
    if (c.started_s > 0) add(out, "container_start_time_seconds", c.started_s, labels);
    if (auto dir = cgroup_dir(roots, c)) add_cgroup_samples(roots, *dir, labels, out);
    add_network_samples(roots, c, labels, out);
  }
}

std::optional<std::vector<ContainerInfo>> collect_engine(const Roots& roots,
                                                         ContainerSource& source, Samples& out) {
  if (roots.docker_socket.empty() || !path_exists(roots.docker_socket)) return std::nullopt;
  auto containers = source.list(roots);
  add(out, "telltale_agent_container_engine_up", containers ? 1 : 0);
  if (!containers) return std::nullopt;
  collect_containers(roots, *containers, out);
  return std::move(containers).value();
}

void collect_container_engine(const Roots& roots, Samples& out) {
  ContainerSource source;
  (void)collect_engine(roots, source, out);
}

std::string_view to_string(ContainerEventKind kind) {
  switch (kind) {
    case ContainerEventKind::created:
      return "created";
    case ContainerEventKind::started:
      return "started";
    case ContainerEventKind::stopped:
      return "stopped";
    case ContainerEventKind::died:
      return "died";
    case ContainerEventKind::removed:
      return "removed";
  }
  return "unknown";
}

std::vector<ContainerEvent> container_changes(const std::vector<ContainerInfo>& before,
                                              const std::vector<ContainerInfo>& after) {
  std::unordered_map<std::string_view, const ContainerInfo*> previous;
  for (const auto& c : before) previous.emplace(c.id, &c);
  std::vector<ContainerEvent> events;
  auto event = [&](ContainerEventKind kind, const ContainerInfo& c) {
    events.push_back({kind, c.id, c.name, c.image, 0});
  };
  auto ended = [&](const ContainerInfo& c) {
    events.push_back({c.exit_code == 0 ? ContainerEventKind::stopped : ContainerEventKind::died,
                      c.id, c.name, c.image, c.exit_code});
  };
  std::unordered_set<std::string_view> present;
  for (const auto& c : after) {
    present.insert(c.id);
    auto it = previous.find(c.id);
    if (it == previous.end()) {
      event(ContainerEventKind::created, c);
      if (has_process(c.state)) event(ContainerEventKind::started, c);
      if (has_exited(c.state)) ended(c);
      continue;
    }
    const auto& was = *it->second;
    const bool runs = has_process(c.state), ran = has_process(was.state);
    if (runs && (!ran || (c.started_s > 0 && was.started_s > 0 && c.started_s != was.started_s)))
      event(ContainerEventKind::started, c);
    else if (ran && has_exited(c.state))
      ended(c);
  }
  for (const auto& c : before)
    if (!present.contains(c.id)) event(ContainerEventKind::removed, c);
  return events;
}

}  // namespace tt::collect
