// probes/ — the network probes, one file per kind behind one interface. A probe runs on the core
// loop: run() starts non-blocking I/O and returns at once; the probe reports one Observation when
// the exchange ends or times out. Probes know nothing of checks, schedules or storage: sched/
// decides when to run, checks/ decides what an observation means (conditions, state), and the
// time-series store keeps the metrics.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/facts.h"
#include "core/series.h"

namespace tt::probes {

// One number a probe measured, named as Prometheus' blackbox_exporter names it so that existing
// dashboards fit: probe_http_status_code, probe_icmp_rtt_seconds{stat="avg"}, ...
// Made for every run, so nothing in it allocates in the common case: names are literals and
// the one extra label's value is short.
struct Metric {
  std::string_view name;  // a literal
  double value = 0;
  std::string_view label;  // an extra label's name (a literal), or empty: stat, phase, version
  std::string label_value;
  std::string_view label2;  // a second extra label (a literal), or empty: ifIndex beside ifName
  std::string label2_value;
};

// Something a probe saw happen, beside its measurement: an interface that went down. The
// recorder stores it in the events log (topic "checks") with the check's id and name added.
struct ProbeEvent {
  std::string kind;  // "snmp.interface_down"
  nlohmann::json data;
};

// What one run of a probe saw.
struct Observation {
  bool ok = false;  // the target answered and the protocol exchange succeeded
  std::string
      error;  // when !ok: a short stable code (timeout, refused, unreachable, resolve, tls, ...)
  std::string message;    // for people: what went wrong, or a summary such as "200 OK"
  double duration_s = 0;  // wall time of the whole run
  std::vector<Metric> metrics;
  // Named values that conditions test (status, latency, body, cert_days, loss, ...), in base
  // units: seconds, ratios 0..1, bytes, days. Shown by the API as the check's last result.
  Facts facts;
  std::vector<ProbeEvent> events;
};

// A kind's options, validated, defaults filled in, durations in ms. Shared: most checks of a kind
// have the same, and the runner holds equal ones once (about 580 B a check for HTTP).
using Options = std::shared_ptr<const nlohmann::json>;
inline Options make_options(nlohmann::json o) {
  return std::make_shared<const nlohmann::json>(std::move(o));
}

struct Request {
  std::string target;  // accepted by the kind's descriptor
  Options options;
  std::chrono::milliseconds timeout{5000};
  // The check that runs (0 in tests): probes that keep state from run to run (SNMP counters)
  // key it by this.
  std::int64_t check_id = 0;
};

using Done = std::function<void(Observation)>;

class Probe {
 public:
  virtual ~Probe() = default;
  // Loop thread only. Starts one run and calls `done` exactly once, on the loop thread, no later
  // than shortly after `timeout` (then with error "timeout"). It may be called before run returns.
  virtual void run(const Request& req, Done done) = 0;
  // Loop thread only. Ends every run in flight (each `done` gets error "cancelled") and closes
  // the probe's handles; the loop can then finish. run() after close() answers "cancelled".
  virtual void close() = 0;
};

// An observation for a run that never started or was cut short.
inline Observation failed(std::string error, std::string message, double duration_s = 0) {
  Observation o;
  o.error = std::move(error);
  o.message = std::move(message);
  o.duration_s = duration_s;
  return o;
}

}  // namespace tt::probes
