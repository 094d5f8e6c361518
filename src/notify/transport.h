// notify/transport.h — how a rendered notification leaves the process: one request, one outcome.
// The dispatcher sends through it; CurlTransport implements it on the core loop.
#pragma once

#include <functional>
#include <string>

#include "notify/channel.h"

namespace tt::notify {

// The outcome of one delivery attempt.
struct Outcome {
  bool ok = false;
  bool permanent = false;  // the receiver refused the request itself (4xx): retrying cannot help
  std::string error;       // what the receiver or the network said
};

// A request gets this long before it counts as failed.
inline constexpr std::int64_t kRequestTimeoutMs = 30'000;

// Sends requests; `done` is called exactly once, on any thread. Implementations: CurlTransport
// (the core loop), and what the unit tests use.
class Transport {
 public:
  using Done = std::function<void(Outcome)>;
  virtual ~Transport() = default;
  virtual void send(Request r, Done done) = 0;
};

}  // namespace tt::notify
