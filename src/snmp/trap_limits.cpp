#include "snmp/trap_limits.h"

#include <algorithm>

namespace tt::snmp {

namespace {

// name_of() gives a table name alone ("linkDown") only for an OID the table names exactly;
// anything else has a dotted suffix or is the dotted OID itself.
bool named(const std::string& trap) { return trap.find('.') == std::string::npos; }

}  // namespace

TrapLabels::Labels TrapLabels::labels(const std::string& address, const std::string& trap,
                                      bool has_node) {
  auto it = m_unnamed.find(address);
  if (it == m_unnamed.end()) {
    if (!has_node && m_unnamed.size() >= m_limits.max_sources)
      return {kOtherLabel, named(trap) ? trap : kOtherLabel};
    it = m_unnamed.emplace(address, std::set<std::string>{}).first;
  }
  if (named(trap)) return {address, trap};
  auto& unnamed = it->second;
  if (unnamed.count(trap) || unnamed.size() < m_limits.max_unnamed_traps) {
    unnamed.insert(trap);
    return {address, trap};
  }
  return {address, kOtherLabel};
}

void TrapLabels::remember(const std::string& source, const std::string& trap) {
  if (source == kOtherLabel) return;
  auto& unnamed = m_unnamed[source];
  if (!named(trap) && trap != kOtherLabel) unnamed.insert(trap);
}

TrapEventLimiter::TrapEventLimiter(TrapLimits limits) : m_limits(limits) {
  m_all.tokens = m_limits.all_event_burst;
}

void TrapEventLimiter::refill(Bucket& b, double per_s, double burst, TimeMs now) const {
  if (now > b.at)
    b.tokens = std::min(burst, b.tokens + static_cast<double>(now - b.at) * per_s / 1000.0);
  b.at = std::max(b.at, now);
}

TrapEventLimiter::Bucket& TrapEventLimiter::bucket_of(const std::string& address, TimeMs now) {
  if (auto it = m_buckets.find(address); it != m_buckets.end()) return it->second;
  if (m_buckets.size() - m_buckets.count(kOtherLabel) >= m_limits.max_sources) {
    auto idle = std::find_if(m_buckets.begin(), m_buckets.end(), [&](auto& kv) {
      refill(kv.second, m_limits.events_per_s, m_limits.event_burst, now);
      return kv.first != kOtherLabel && kv.second.suppressed == 0 &&
             kv.second.tokens >= m_limits.event_burst;
    });
    if (idle == m_buckets.end()) {
      auto [other, fresh] =
          m_buckets.try_emplace(kOtherLabel, Bucket{m_limits.event_burst, now, 0, 0});
      return other->second;
    }
    m_buckets.erase(idle);
  }
  return m_buckets.emplace(address, Bucket{m_limits.event_burst, now, 0, 0}).first->second;
}

bool TrapEventLimiter::admit(const std::string& address, TimeMs now) {
  Bucket& b = bucket_of(address, now);
  refill(b, m_limits.events_per_s, m_limits.event_burst, now);
  refill(m_all, m_limits.all_events_per_s, m_limits.all_event_burst, now);
  if (b.tokens >= 1 && m_all.tokens >= 1) {
    b.tokens -= 1;
    m_all.tokens -= 1;
    return true;
  }
  if (b.suppressed++ == 0) b.since = now;
  return false;
}

std::vector<TrapEventLimiter::Suppressed> TrapEventLimiter::due(TimeMs now) {
  std::vector<Suppressed> out;
  for (auto& [source, b] : m_buckets) {
    if (b.suppressed == 0 || now - b.since < m_limits.summary_every_ms) continue;
    out.push_back({source, b.suppressed, b.since});
    b.suppressed = 0;
  }
  return out;
}

std::optional<TimeMs> TrapEventLimiter::next_due() const {
  std::optional<TimeMs> next;
  for (const auto& [source, b] : m_buckets)
    if (b.suppressed > 0)
      next = std::min(next.value_or(INT64_MAX), b.since + m_limits.summary_every_ms);
  return next;
}

}  // namespace tt::snmp
