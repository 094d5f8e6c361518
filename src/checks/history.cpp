#include "checks/history.h"

#include <algorithm>

namespace tt::checks {

void Availability::add(const Stretch& s, TimeMs from, TimeMs to) {
  if (s.runs <= 0 || s.last_at < from || s.first_at >= to) return;
  double share = 1;
  if (s.last_at > s.first_at && (s.first_at < from || s.last_at >= to)) {
    const TimeMs a = std::max(s.first_at, from), b = std::min(s.last_at, to);
    share = static_cast<double>(b - a) / static_cast<double>(s.last_at - s.first_at);
  }
  const double n = share * static_cast<double>(s.runs);
  runs += n;
  if (!s.up) return;
  up_runs += n;
  if (s.timed) {
    latency_sum += share * s.latency_sum;
    timed_runs += n;
  }
}

std::optional<double> Availability::uptime() const {
  if (runs <= 0) return std::nullopt;
  return up_runs / runs;
}

std::optional<double> Availability::latency_avg_s() const {
  if (timed_runs <= 0) return std::nullopt;
  return latency_sum / timed_runs;
}

std::string heartbeat(std::span<const Stretch> stretches, TimeMs now, std::int64_t width_ms,
                      int slots) {
  std::string bar(static_cast<std::size_t>(std::max(slots, 0)), '-');
  if (width_ms <= 0) return bar;
  const TimeMs start = now - width_ms * slots;
  for (const auto& s : stretches) {
    if (s.runs <= 0) continue;
    // The slots whose middle lies in [first_at, last_at + interval).
    const TimeMs covered_to = s.last_at + std::max<std::int64_t>(s.interval_ms, 1);
    const TimeMs half = width_ms / 2;
    auto first_slot = [&](TimeMs t) {  // the first slot whose middle is at or after t
      const TimeMs d = t - start - half;
      return d <= 0 ? 0 : (d + width_ms - 1) / width_ms;
    };
    const TimeMs lo = first_slot(s.first_at);
    const TimeMs hi = std::min<TimeMs>(first_slot(covered_to), slots);
    for (TimeMs i = lo; i < hi; ++i) {
      char& c = bar[static_cast<std::size_t>(i)];
      if (!s.up)
        c = 'd';
      else if (c == '-')
        c = 'u';
    }
  }
  return bar;
}

std::vector<Outage> outages(std::span<const Stretch> stretches) {
  std::vector<Outage> out;
  bool open = false;
  for (const auto& s : stretches) {
    if (!s.up) {
      if (!open) out.push_back({s.first_at, std::nullopt, 0, s.error, s.message});
      out.back().runs += s.runs;
      open = true;
    } else if (open) {
      out.back().to = s.first_at;
      open = false;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace tt::checks
