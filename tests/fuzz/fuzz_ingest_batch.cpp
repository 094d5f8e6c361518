// A message on the ingest WebSocket, as the hub decodes it: decode_batch must not crash, hang or
// grow without bound, and a batch it accepts must hold what the ingestor relies on.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fleet/batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = tt::fleet::decode_batch(text, 1'700'000'000'000);
  if (d.from != 0) {  // a "from" message names no batch
    if (d.seq != 0 || !d.batch.ok() || d.batch.value().samples != 0) std::abort();
    return 0;
  }
  if (!d.batch.ok()) return 0;
  const auto& b = d.batch.value();
  if (b.seq == 0 || b.seq != d.seq) std::abort();
  if (b.events.size() > tt::fleet::kMaxEventsPerBatch) std::abort();
  std::size_t samples = 0;
  for (const auto& s : b.series) {
    if (std::none_of(s.labels.begin(), s.labels.end(),
                     [](const tt::Label& l) { return l.name == "__name__"; }))
      std::abort();
    samples += s.samples.size();
  }
  if (samples != b.samples) std::abort();
  return 0;
}
