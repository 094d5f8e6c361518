#include "core/series_json.h"

#include <cmath>

namespace tt {

nlohmann::json number_json(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

nlohmann::json labels_json(const LabelSet& labels, bool with_name) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& l : labels)
    if (with_name || l.name != kMetricNameLabel) out[l.name] = l.value;
  return out;
}

nlohmann::json series_json(const LabelSet& labels, std::span<const Sample> samples) {
  nlohmann::json ts = nlohmann::json::array(), vs = nlohmann::json::array();
  for (const auto& s : samples) {
    ts.push_back(s.t);
    vs.push_back(number_json(s.v));
  }
  return {{"metric", std::string(metric_name(labels))},
          {"labels", labels_json(labels, false)},
          {"timestamps", std::move(ts)},
          {"values", std::move(vs)}};
}

}  // namespace tt
