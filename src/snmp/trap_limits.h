// snmp/trap_limits.h — what a trap storm may cost. v1 and v2c traps are unauthenticated UDP, so
// anyone who can reach the port can send thousands a second from forged addresses with made-up
// trap OIDs. TrapLabels bounds the series they add to snmp_traps; TrapEventLimiter bounds the
// events they write (a token bucket per sender and one for all) and summarises what it held
// back. Pure and not thread-safe: the trap recorder's thread owns both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tt::snmp {

// The label value that stands for the senders, and per sender the trap OIDs, past the limits.
inline constexpr const char* kOtherLabel = "other";

struct TrapLimits {
  std::size_t max_sources = 256;  // senders with series (and a token bucket) of their own
  std::size_t max_unnamed_traps =
      64;                    // per sender, trap OIDs without a MIB name with series of their own
  double events_per_s = 10;  // per sender
  double event_burst = 100;
  double all_events_per_s = 100;  // all senders together
  double all_event_burst = 1000;
  TimeMs summary_every_ms = 60'000;  // at most one "suppressed" event per sender this often
};

// The `source` and `trap` labels of a trap's snmp_traps series. A sender gets its own `source`
// while fewer than max_sources have one, or when a node has its address; a trap OID its own
// `trap` when it has a MIB name (linkDown: the built-in table is small) or the sender has fewer
// than max_unnamed_traps unnamed ones; the rest are "other". Series once given keep their labels.
class TrapLabels {
 public:
  explicit TrapLabels(TrapLimits limits = {}) : m_limits(limits) {}

  struct Labels {
    std::string source, trap;
  };
  // `trap` is the OID's name_of(); `has_node` when a node has the address.
  Labels labels(const std::string& address, const std::string& trap, bool has_node);
  // A series the store already has, so that a restart does not grant every sender a new set.
  void remember(const std::string& source, const std::string& trap);

 private:
  TrapLimits m_limits;
  std::map<std::string, std::set<std::string>> m_unnamed;  // source → its unnamed trap values
};

// Which traps become events. A trap is written when both its sender's bucket and the bucket of
// all senders have a token; otherwise it is suppressed (still counted in snmp_traps), and once
// summary_every_ms has passed since a sender's first suppressed trap, due() reports how many.
// Senders past max_sources share one bucket, "other"; an idle sender's bucket (full, nothing
// suppressed) is given up to a new one, which loses nothing since a new bucket starts full.
class TrapEventLimiter {
 public:
  explicit TrapEventLimiter(TrapLimits limits = {});

  bool admit(const std::string& address, TimeMs now);

  struct Suppressed {
    std::string source;  // an address, or "other"
    std::uint64_t count = 0;
    TimeMs since = 0;  // the first of them
  };
  // The summaries due at `now`; each sender's count starts again from zero.
  std::vector<Suppressed> due(TimeMs now);
  // When due() next has something; nullopt when nothing is suppressed.
  std::optional<TimeMs> next_due() const;

 private:
  struct Bucket {
    double tokens = 0;
    TimeMs at = 0;
    std::uint64_t suppressed = 0;
    TimeMs since = 0;
  };
  void refill(Bucket& b, double per_s, double burst, TimeMs now) const;
  Bucket& bucket_of(const std::string& address, TimeMs now);

  TrapLimits m_limits;
  Bucket m_all;
  std::map<std::string, Bucket> m_buckets;
};

}  // namespace tt::snmp
