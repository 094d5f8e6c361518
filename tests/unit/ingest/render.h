// Test helper for the ingest parsers: a ParseResult as text, so cases read as input -> output.
// One line per entry: `name{label="value",...} value@t value@t ...`, then one line per kept
// error: `E line:column message` (JSON: `E path: message`).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "ingest/ingest.h"

namespace tt::ingest::test {

inline std::string render_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

inline std::string render(const ParseResult& r) {
  std::string out;
  for (const auto& s : r.series) {
    out += metric_name(s.labels);
    out += '{';
    bool first = true;
    for (const auto& l : s.labels) {
      if (l.name == kMetricNameLabel) continue;
      if (!first) out += ',';
      first = false;
      out += fmt::format("{}=\"{}\"", l.name, l.value);
    }
    out += '}';
    for (const auto& smp : s.samples) out += fmt::format(" {}@{}", render_value(smp.v), smp.t);
    out += '\n';
  }
  for (const auto& e : r.errors) {
    if (e.line == 0)
      out += fmt::format("E {}: {}\n", e.path, e.message);
    else
      out += fmt::format("E {}:{} {}\n", e.line, e.column, e.message);
  }
  return out;
}

}  // namespace tt::ingest::test
