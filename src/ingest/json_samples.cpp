// Telltale's JSON import: {"series":[{"metric","labels","timestamps","values"}]}. The body goes
// through core's depth-limited parse_json; each series entry is then checked on its own, and its
// first problem is reported with a path such as series[3].values[7].
#include <fmt/format.h>

#include <limits>

#include "core/json.h"
#include "ingest/detail.h"

namespace tt::ingest {
namespace {

using nlohmann::json;

// A key for a path: at most 64 bytes, cut at a UTF-8 boundary (nlohmann checked the encoding).
std::string path_key(std::string_view key) {
  if (key.size() <= 64) return std::string(key);
  std::size_t n = 64;
  while (n > 0 && (static_cast<unsigned char>(key[n]) & 0xC0) == 0x80) --n;
  return std::string(key.substr(0, n)) + "...";
}

struct Problem {
  std::string path;  // relative to the series entry, e.g. ".values[7]"
  std::string message;
};

std::optional<Problem> read_timestamp(const json& j, std::size_t i, TimeMs& out) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<TimeMs>::max()))
      return Problem{fmt::format(".timestamps[{}]", i), "timestamp out of range"};
    out = j.get<TimeMs>();
    return std::nullopt;
  }
  return Problem{fmt::format(".timestamps[{}]", i), "must be an integer (milliseconds)"};
}

std::optional<Problem> read_value(const json& j, std::size_t i, double& out) {
  if (j.is_number()) {
    out = j.get<double>();
    return std::nullopt;
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return out = detail::normal_nan(), std::nullopt;
    if (s == "+Inf" || s == "Inf")
      return out = std::numeric_limits<double>::infinity(), std::nullopt;
    if (s == "-Inf") return out = -std::numeric_limits<double>::infinity(), std::nullopt;
  }
  return Problem{fmt::format(".values[{}]", i),
                 "must be a number or one of \"NaN\", \"+Inf\", \"-Inf\""};
}

// Checks one entry; fills `labels` and `samples` when it is good.
std::optional<Problem> read_entry(const json& e, LabelSet& labels, std::vector<Sample>& samples) {
  if (!e.is_object()) return Problem{"", "must be an object"};
  const json* metric = nullptr;
  const json* label_obj = nullptr;
  const json* timestamps = nullptr;
  const json* values = nullptr;
  for (const auto& [key, v] : e.items()) {
    if (key == "metric")
      metric = &v;
    else if (key == "labels")
      label_obj = &v;
    else if (key == "timestamps")
      timestamps = &v;
    else if (key == "values")
      values = &v;
    else
      return Problem{fmt::format(".{}", path_key(key)),
                     "unknown field (expected metric, labels, timestamps, values)"};
  }
  if (!metric) return Problem{".metric", "is required"};
  if (!metric->is_string()) return Problem{".metric", "must be a string"};
  std::vector<Label> raw;
  if (label_obj) {
    if (!label_obj->is_object()) return Problem{".labels", "must be an object of strings"};
    raw.reserve(label_obj->size());
    for (const auto& [name, v] : label_obj->items()) {
      if (!v.is_string())
        return Problem{fmt::format(".labels.{}", path_key(name)), "must be a string"};
      raw.push_back(Label{name, v.get<std::string>()});
    }
  }
  auto made = make_label_set(metric->get_ref<const std::string&>(), std::move(raw));
  if (!made.ok()) {
    const auto& err = made.error();
    return Problem{fmt::format(".{}", path_key(err.fields.at(0).field)), err.message};
  }
  if (!timestamps) return Problem{".timestamps", "is required"};
  if (!timestamps->is_array()) return Problem{".timestamps", "must be an array of integers"};
  if (!values) return Problem{".values", "is required"};
  if (!values->is_array()) return Problem{".values", "must be an array"};
  if (timestamps->size() != values->size())
    return Problem{".values", fmt::format("has {} elements but timestamps has {}", values->size(),
                                          timestamps->size())};
  samples.resize(values->size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (auto p = read_timestamp((*timestamps)[i], i, samples[i].t)) return p;
    if (auto p = read_value((*values)[i], i, samples[i].v)) return p;
  }
  labels = std::move(made).value();
  return std::nullopt;
}

}  // namespace

ParseResult parse_json_samples(std::string_view body) {
  detail::Collector out;
  auto doc = parse_json(body);
  if (!doc.ok()) {
    out.error(0, 0, doc.error().message, "");
    return out.take();
  }
  const json& root = doc.value();
  if (!root.is_object()) {
    out.error(0, 0, "must be an object with a \"series\" array", "");
    return out.take();
  }
  const json* series = nullptr;
  for (const auto& [key, v] : root.items()) {
    if (key == "series")
      series = &v;
    else
      out.error(0, 0, "unknown field (expected series)", path_key(key));
  }
  if (!series) {
    out.error(0, 0, "is required", "series");
    return out.take();
  }
  if (!series->is_array()) {
    out.error(0, 0, "must be an array", "series");
    return out.take();
  }
  LabelSet labels;
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < series->size(); ++i) {
    samples.clear();
    if (auto p = read_entry((*series)[i], labels, samples)) {
      out.error(0, 0, std::move(p->message), fmt::format("series[{}]{}", i, p->path));
      continue;
    }
    if (samples.empty()) continue;
    SeriesSamples* s = out.series_for(std::move(labels));
    if (!s) {
      out.error(0, 0, detail::Collector::too_many_series_message(), fmt::format("series[{}]", i));
      continue;
    }
    for (const auto& smp : samples) out.add(*s, smp);
  }
  return out.take();
}

}  // namespace tt::ingest
