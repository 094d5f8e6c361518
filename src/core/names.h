// core/names.h — what a display name (of a node, check, alert rule, channel, inhibit rule or
// maintenance window) may hold. Names are shown in the UI, in notifications and in logs: a
// control character or a bidirectional override there can make one name read as another
// ("Trojan Source"), so every service validates its names here. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tt {

// Why `name` is not acceptable as a display name, as a field error's message ("must not
// contain control characters"), or nullopt when it is. Refused: invalid UTF-8, C0 and C1
// control characters and DEL, and the bidirectional controls U+061C, U+200E, U+200F,
// U+202A–U+202E and U+2066–U+2069. Length and emptiness are the caller's rules.
std::optional<std::string> display_name_problem(std::string_view name);

}  // namespace tt
