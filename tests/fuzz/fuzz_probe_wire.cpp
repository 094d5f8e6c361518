// The messages of checks that run on agents: an agent reads runs from its hub, the hub reads
// observations from its agents. Any bytes must decode or be refused without a crash, and what
// decodes as an observation must encode to one that decodes again, with the same metrics.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.h"
#include "probes/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt;
  auto message = parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!message.ok()) return 0;
  (void)probes::decode_run(message.value());
  auto seen = probes::decode_observation(message.value());
  if (!seen.ok()) return 0;
  const auto& [run, o] = seen.value();
  auto again = probes::decode_observation(parse_json(probes::observation_message(run, o)).value());
  if (!again.ok() || again->first != run || again->second.metrics.size() != o.metrics.size() ||
      again->second.ok != o.ok)
    std::abort();
  return 0;
}
