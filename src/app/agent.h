// app/agent.h — `telltale agent`: the host collectors (collect/) run on this host. Today only
// `--once --print` (one collection, Prometheus text on stdout) and `--once --identity` (who the
// host is, as JSON: what it will register as); the hub transport comes later.
#pragma once

#include <string>

namespace tt::app {

struct AgentOptions {
  bool once = false;
  bool print = false;
  bool identity = false;
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  std::string docker_socket = "/var/run/docker.sock";  // the containers collector's engine
  std::string textfile_dir;                            // the textfile collector's; empty: off
  std::string scripts_dir;                             // the scripts collector's; empty: off
  std::string collectors;  // comma-separated collector names; empty: all of them
};

// The comma-separated names of every collector, for --help.
std::string agent_collector_names();

// Runs the agent. Returns the process exit code: 0, or 2 for a usage the agent cannot serve
// (an unknown collector, a mode not built yet), with the reason on stderr.
int agent(const AgentOptions& options);

}  // namespace tt::app
