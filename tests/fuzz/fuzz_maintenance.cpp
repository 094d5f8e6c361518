// Maintenance window bodies from outside: the depth-limited JSON parser, the decoder, whether
// a decoded window is active at a few times, and the body as a merge patch of a stored window.
// A decoded window's input document must decode back to the same document. Must never crash
// or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alerts/maintenance.h"
#include "core/json.h"

using namespace tt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  auto body = parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body.ok()) return 0;
  const LabelSet labels{{"alertname", "Down"}, {"node", "gw1"}};
  const TimeMs times[] = {-86'400'000LL * 365 * 100, 0, 1'700'000'000'000, 4'102'444'800'000};
  auto check = [&](const alerts::MaintenanceWindow& w) {
    for (auto t : times) (void)w.mutes(labels, t);
    auto doc = alerts::to_input_json(w);
    auto again = alerts::decode_maintenance(doc);
    if (!again.ok() || alerts::to_input_json(again.value()) != doc) __builtin_trap();
  };
  if (auto w = alerts::decode_maintenance(body.value()); w.ok()) check(w.value());
  auto stored = alerts::decode_maintenance({{"name", "n"},
                                            {"node_ids", {1}},
                                            {"starts_at", "2026-11-21T10:00:00Z"},
                                            {"ends_at", "2026-11-21T12:00:00Z"}});
  if (auto p = alerts::apply_patch(stored.value(), body.value()); p.ok()) check(p.value());
  return 0;
}
