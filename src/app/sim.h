// app/sim.h — `telltale sim`: a load generator of agents (seed 000's simulator). It registers
// `agents` hosts with the token, opens a WebSocket for each and sends each one's batch of
// `series` samples every `interval`, the agents' phases spread over it, as real agents do
// (compressed binary batches); `flap` is the share of agents that, each interval, fall silent for
// four intervals (their nodes go down at the hub, then up). Every 10 s it prints what it sent and
// how long the hub took to acknowledge (p50, p99); at the end one JSON line with the totals.
#pragma once

#include <string>

namespace tt::app {

struct SimOptions {
  std::string hub;
  std::string ca_file;  // https: client::ServerUrl::ca_file
  std::string token;    // an enrolment token, or an api/admin API token
  int agents = 10;
  int series = 300;
  std::string interval = "10s";
  double flap = 0;       // 0..1
  std::string duration;  // empty: until SIGINT/SIGTERM
  int threads = 2;
};

int sim(const SimOptions& options);

}  // namespace tt::app
