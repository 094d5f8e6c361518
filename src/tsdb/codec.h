// tsdb/ — the time-series store. This header is its chunk codec: a chunk is one series' samples
// over a bounded span, compressed into one self-describing blob (stored as a SQLite BLOB, one row
// per chunk). Pure functions, no I/O, thread-safe; the storage layer calls them.
//
// Lossless: every float64 reads back bit-exact (NaN payloads, ±Inf, -0.0, subnormals, values
// above 2^53). Blob format (version 1) is specified in codec.cpp; the first byte is the version,
// the second the per-chunk encoding modes, so the format can evolve without rewriting old chunks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"

namespace tt::tsdb {

// Largest number of samples one chunk may hold; decode_chunk rejects blobs that declare more,
// which bounds its allocation to kMaxChunkSamples * sizeof(Sample) (16 MiB).
inline constexpr std::uint32_t kMaxChunkSamples = 1u << 20;

// Chunking policy the storage layer should follow (not enforced here): cut a chunk at
// kTargetChunkSamples samples or kTargetChunkSpanMs of time, whichever comes first. Larger
// chunks compress a little better (per-chunk tables amortise) but a short-range query must
// decode whole chunks; 4096 samples decode in ~50 µs on one core.
inline constexpr std::uint32_t kTargetChunkSamples = 4096;
inline constexpr TimeMs kTargetChunkSpanMs = 24 * 3600 * 1000;

// Error code for every rejected blob (ErrorKind::internal: a stored chunk that does not decode
// is data corruption, not a caller mistake).
inline constexpr std::string_view kChunkCorrupt = "CHUNK_CORRUPT";

// How hard the encoder looks for the smallest form: thorough for what is stored (a Huffman table
// per candidate coding), fast for what is kept in memory a while (the heads' blocks: one table,
// the candidate chosen by an estimate), which costs a few percent of size and a fraction of the
// time. Both decode the same way.
enum class Effort { thorough, fast };

// Encodes samples. Preconditions: timestamps strictly increasing (callers dedupe) and
// samples.size() <= kMaxChunkSamples. Never fails for such input; an empty span encodes too.
std::string encode_chunk(std::span<const Sample> samples, Effort effort = Effort::thorough);

// Decodes a blob made by encode_chunk. Any inconsistency (truncation, trailing bytes, unknown
// version or mode, out-of-range field, non-increasing timestamps) gives kChunkCorrupt; never
// reads outside `blob`, never allocates more than the bound above.
Result<std::vector<Sample>> decode_chunk(std::string_view blob);

// Header-only peek: sample count and first/last timestamp, without decoding samples (O(1)).
// For an empty chunk count is 0 and min_t == max_t == 0.
struct ChunkInfo {
  std::uint32_t count = 0;
  TimeMs min_t = 0;
  TimeMs max_t = 0;
};
Result<ChunkInfo> chunk_info(std::string_view blob);

}  // namespace tt::tsdb
