// fleet/batch.h — one message of the ingest WebSocket (docs/api.md, "Pushing over a WebSocket"):
// a numbered batch of samples, in one of the three push formats, with an agent's events. Pure:
// the ingestor decodes each message on its own thread, and the fuzzer feeds this any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"

namespace tt::fleet {

inline constexpr std::size_t kMaxEventsPerBatch = 100;

// Something that happened on the host (a container died): stored as an event of its node, kind
// "agent.<kind>".
struct AgentEvent {
  std::string kind;  // lower case, dots and underscores: "container.died"
  std::string message;
  nlohmann::json data = nlohmann::json::object();
  TimeMs at = 0;
};

struct Batch {
  std::uint64_t seq = 0;  // from 1, increasing on its stream
  TimeMs time = 0;        // when the sender collected it (its samples' default time)
  std::vector<SeriesSamples> series;
  std::size_t samples = 0;
  std::vector<AgentEvent> events;
  // What the sender's buffer dropped (full) since it last told: reported once.
  std::uint64_t dropped_records = 0;
  std::uint64_t dropped_bytes = 0;
};

// A message as the ingestor needs it: the seq it names (0 when it names none), and the batch or
// why it is refused: INGEST_BAD_BATCH (not a batch message), INGEST_PARSE_ERROR (samples that do
// not parse, each in `fields`, nothing stored). `now` is the time of samples that carry none.
// A "from" message (`{"type":"from","seq":N}`: the sender holds nothing unacknowledged below N;
// see fleet/seqs.h) gives `from` = N, seq 0 and an empty batch.
struct Decoded {
  std::uint64_t seq = 0;
  Result<Batch> batch;
  std::uint64_t from = 0;
};
Decoded decode_batch(std::string_view text, TimeMs now);

// A binary message: the batch's seq as 8 bytes big-endian, then the batch's JSON as a zlib stream
// (RFC 1950) of at most kMaxInflatedBytes once inflated, whose "seq" may be left out. What agents
// send: their buffer keeps batches compressed (a collection's text is about 8x smaller), and the
// link carries them as they are kept.
inline constexpr std::size_t kMaxInflatedBytes = 16u << 20;
Decoded decode_binary_batch(std::string_view bytes, TimeMs now);

}  // namespace tt::fleet
