// app/agent.h — `telltale agent`: this host's collectors (collect/) pushed to a hub through the
// disk buffer and the ingest socket (agent/runner.h); or, with --once, one collection printed
// (`--print`, Prometheus text) or who the host is (`--identity`, JSON: what it registers as).
#pragma once

#include <string>

namespace tt::app {

struct AgentOptions {
  bool once = false;
  bool print = false;
  bool identity = false;
  std::string hub;      // http://host:port or https://host:port of the hub
  std::string ca_file;  // https: the CAs to trust instead of the system's (a self-signed hub)
  std::string token;    // enrolment token (or an api/admin API token) to register with
  std::string name;     // empty: the host name
  std::string type = "baremetal";
  std::string labels;    // k=v,k2=v2
  std::string location;  // LAT,LON[,PLACE]
  std::string interval = "10s";
  std::string buffer_dir;  // empty: default_buffer_dir()
  std::string buffer_max = "256MiB";
  std::string buffer_sync = "30s";  // the longest an undelivered collection waits for its sync
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
// /var/lib/telltale-agent for root, else $XDG_STATE_HOME/telltale-agent or
// ~/.local/state/telltale-agent.
std::string default_buffer_dir();

// Runs the agent until SIGTERM or SIGINT (--once: one collection). Returns the process exit
// code: 0, 1 when the buffer cannot be opened, or 2 for options it cannot serve (an unknown
// collector, a malformed hub URL, label or size, no --hub), with the reason on stderr.
int agent(const AgentOptions& options);

}  // namespace tt::app
