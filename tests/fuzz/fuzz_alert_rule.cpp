// Alert rule and silence bodies from outside: the depth-limited JSON parser, the rule decoder,
// the whole rule's validation (expression, selector, templates), the templates expanded over a
// few values, the silence decoder; the raw bytes as one template and one RFC 3339 time. Must
// never crash or hang.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alerts/rule.h"
#include "alerts/silence.h"
#include "core/clock.h"
#include "core/json.h"

using namespace tt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const LabelSet labels{{"__name__", "up"}, {"check", "web"}, {"job", "a"}};
  const double values[] = {0, -1.5, 1e21, 1e-7, NAN, HUGE_VAL, -HUGE_VAL, 123456789.125};
  if (auto t = alerts::Template::parse(text); t.ok()) {
    for (double v : values) (void)t->expand(labels, v);
  } else if (t.error().message.rfind("at position ", 0) != 0) {
    __builtin_trap();
  }
  (void)parse_rfc3339(text);
  auto body = parse_json(text);
  if (!body.ok()) return 0;
  if (auto s = alerts::decode_silence(body.value(), 1'700'000'000'000); s.ok())
    (void)s->mutes(labels, 1'700'000'000'000);
  for (auto mode : {alerts::InputMode::create, alerts::InputMode::patch}) {
    auto in = alerts::decode_rule_input(body.value(), mode);
    if (!in.ok()) continue;
    alerts::Rule r;
    if (!alerts::apply_input(r, in.value()).ok()) continue;
    for (const auto& [name, t] : r.annotation_templates)
      for (double v : values) (void)t.expand(labels, v);
    (void)alerts::to_json(r).dump();
  }
  return 0;
}
