#include "collect/text_samples.h"

#include <limits>

#include "ingest/ingest.h"

namespace tt::collect {

namespace {

// No input can carry this timestamp, so a sample with it had none of its own.
constexpr TimeMs kNoTimestamp = std::numeric_limits<TimeMs>::min();

std::optional<Samples> to_samples(const ingest::ParseResult& parsed, Timestamps timestamps) {
  if (parsed.error_count > 0) return std::nullopt;
  Samples out;
  for (const auto& series : parsed.series) {
    std::string name;
    LabelSet labels;
    for (const auto& l : series.labels)
      if (l.name == "__name__")
        name = l.value;
      else
        labels.push_back(l);
    for (const auto& s : series.samples) {
      if (timestamps == Timestamps::refuse && s.t != kNoTimestamp) return std::nullopt;
      out.push_back({name, labels, s.v});
    }
  }
  return out;
}

}  // namespace

std::optional<Samples> parse_prometheus_samples(std::string_view text, Timestamps timestamps) {
  return to_samples(ingest::parse_prometheus_text(text, kNoTimestamp), timestamps);
}

std::optional<Samples> parse_script_output(std::string_view text) {
  if (auto prometheus = parse_prometheus_samples(text, Timestamps::ignore)) return prometheus;
  return to_samples(ingest::parse_influx_line(text, ingest::Precision::ns, kNoTimestamp),
                    Timestamps::ignore);
}

}  // namespace tt::collect
