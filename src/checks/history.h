// checks/history.h — a check's past from its outcome stretches (check_outcomes: runs in a row
// with the same outcome): uptime and average latency over a window, the heartbeat bar, and the
// outages. Pure functions over stretches, so the API, the UI's bars and reports compute the same
// figures; the stretches come from SQLite, the open ones as the recorder holds them (fresher
// than their last checkpoint).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tt::checks {

struct Stretch {
  std::int64_t row = 0;  // check_outcomes.id; 0 until written
  std::int64_t check_id = 0;
  TimeMs first_at = 0, last_at = 0;  // the first and the last run
  std::int64_t runs = 0;
  bool up = false;
  double latency_sum = 0;  // seconds, over the runs; up stretches only
  bool timed = false;      // latency_sum is known
  std::string error, message;
  std::int64_t interval_ms = 0;  // the check's: a run stands for [at, at + interval)
};

// Runs and their latency over a window. A stretch that straddles an edge counts the share of
// its runs inside, as if they were spread evenly between its first and last run.
struct Availability {
  double runs = 0, up_runs = 0;
  double latency_sum = 0, timed_runs = 0;

  void add(const Stretch& s, TimeMs from, TimeMs to);
  std::optional<double> uptime() const;  // up runs / runs; none without runs
  std::optional<double> latency_avg_s() const;
};

// The heartbeat bar: `slots` slots of `width_ms` ending at `now`, oldest first. A slot is 'd'
// when a stretch that was down covers its middle, 'u' when only up ones do, '-' when none does
// (no runs: before the first, paused, the server off). Sampling the middle makes a slot as wide
// as a check's interval show each of its runs once. `stretches` may be of several checks (a
// node's): any down one makes the slot down.
std::string heartbeat(std::span<const Stretch> stretches, TimeMs now, std::int64_t width_ms,
                      int slots);

// A stretch of down runs (of one or more errors) until the next up run.
struct Outage {
  TimeMs from = 0;
  std::optional<TimeMs> to;  // the first run up again; none while it lasts
  std::int64_t runs = 0;
  std::string error, message;  // the first down stretch's
};
// The outages of one check's stretches, sorted by first_at; newest first.
std::vector<Outage> outages(std::span<const Stretch> stretches);

}  // namespace tt::checks
