// collect/containers.h — the containers of a Docker engine, or of Podman through its
// Docker-compatible socket: the list from the Engine API (Roots::docker_socket), each running
// container's resources from its cgroup v2 files and its network from its init process's
// /proc/<pid>/net/dev, named as cAdvisor names them; and the events between two lists.
// The agent's main loop owns a ContainerSource (one per engine) and keeps the previous list for
// container_changes; the `containers` collector of collect() makes a fresh source each call.
// Blocking calls (the socket, files), at most Roots::engine_timeout per request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/collect.h"
#include "core/result.h"

namespace tt::collect {

struct ContainerInfo {
  std::string id;      // the engine's full id, 64 hex digits
  std::string name;    // without the engine's leading '/'
  std::string image;   // as the container was created from it, e.g. "nginx:1.27"
  std::string state;   // created, running, paused, restarting, removing, exited, dead
  std::string status;  // the engine's words: "Up 2 hours", "Exited (137) 5 seconds ago"
  double created_s = 0;
  // From inspecting it (ContainerSource): the init process in the host's pid namespace (0 when
  // not running), the last exit code, when it last started (Unix seconds; 0: never).
  int pid = 0;
  int exit_code = 0;
  double started_s = 0;
};

// The engine's containers, inspecting only what the list does not tell: a container is inspected
// when first seen and when its state changes, or when its init process is gone (it restarted
// between two lists), so a steady state costs one list request. Not thread-safe; about 200 bytes
// kept per container, dropped when the container leaves the list.
class ContainerSource {
 public:
  // Every container, whatever its state. CONTAINER_ENGINE_UNREACHABLE (no socket, refused),
  // CONTAINER_ENGINE_TIMEOUT, CONTAINER_ENGINE_BAD_REPLY (not HTTP, not the API's JSON, a status
  // other than 200; a container removed between the list and its inspection is left out).
  Result<std::vector<ContainerInfo>> list(const Roots& roots);

 private:
  struct Inspected {
    std::string state;  // the list's state when it was inspected
    int pid = 0;
    int exit_code = 0;
    double started_s = 0;
  };
  bool current(const Roots& roots, const ContainerInfo& c, const Inspected& seen) const;
  std::unordered_map<std::string, Inspected> m_inspected;  // by container id
};

// The samples of `containers`: container_state for each, and for a running one whose cgroup is
// found, its CPU, memory, block I/O, network, start time and last-seen time (docs/agent.md).
void collect_containers(const Roots& roots, const std::vector<ContainerInfo>& containers,
                        Samples& out);

// One collection from the engine: `telltale_agent_container_engine_up` (1, or 0 when the list
// failed) and collect_containers' samples. Returns the list for container_changes, nullopt when
// the engine did not answer or there is no socket at Roots::docker_socket (then no samples).
std::optional<std::vector<ContainerInfo>> collect_engine(const Roots& roots,
                                                         ContainerSource& source, Samples& out);

enum class ContainerEventKind { created, started, stopped, died, removed };
std::string_view to_string(ContainerEventKind kind);

struct ContainerEvent {
  ContainerEventKind kind = ContainerEventKind::created;
  std::string id, name, image;
  int exit_code = 0;  // stopped: 0; died: the code (never 0)
};

// What happened between two lists of the same engine, in `after`'s order then removals:
//  - new in `after`: created, then started when running, or stopped/died when it already exited;
//  - in both: started when it runs now and did not (or started again: a new start time),
//    stopped (exit code 0) or died (any other code) when it ran and now has exited or is dead;
//  - gone from `after`: removed (a `--rm` container that ran between the lists shows only this).
// The first list of a run has no `before`: the caller skips this call rather than pass none.
std::vector<ContainerEvent> container_changes(const std::vector<ContainerInfo>& before,
                                              const std::vector<ContainerInfo>& after);

}  // namespace tt::collect
