// core/actor.h — who made a change and from where; recorded in the audit log and events.
#pragma once

#include <string>

namespace tt {

struct Actor {
  std::string name;    // user name, or "cli" / "system"
  std::string remote;  // client address, empty for local tools
};

// The server itself: check results, node status, alert transitions, traps.
inline const Actor kSystemActor{"system", ""};

}  // namespace tt
