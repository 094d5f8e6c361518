// The contract every ingest parser's ParseResult keeps, checked by each parser's fuzz target:
// labels sorted, unique and non-empty with a valid metric name, no empty series, counts that add
// up, at most kMaxErrorsKept errors kept, messages printable ASCII. A broken rule traps.
#pragma once

#include <cstddef>

#include "ingest/ingest.h"

namespace tt::fuzz {

inline void check_parse_result(const tt::ingest::ParseResult& r) {
  std::size_t samples = 0;
  for (const auto& s : r.series) {
    if (s.samples.empty() || s.labels.empty()) __builtin_trap();
    samples += s.samples.size();
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
      if (s.labels[i].value.empty()) __builtin_trap();
      if (i > 0 && !(s.labels[i - 1].name < s.labels[i].name)) __builtin_trap();
    }
    if (!tt::valid_metric_name(tt::metric_name(s.labels))) __builtin_trap();
  }
  if (samples != r.sample_count || r.errors.size() > tt::ingest::kMaxErrorsKept ||
      r.errors.size() > r.error_count)
    __builtin_trap();
  for (const auto& e : r.errors)
    for (char c : e.message)
      if (c < 0x20 || c > 0x7e) __builtin_trap();
}
}  // namespace tt::fuzz
