#include "app/live_series.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace tt::app {

namespace {
constexpr std::string_view kPrefix = "series:";

nlohmann::json series_json(const SeriesSamples& s) {
  nlohmann::json labels = nlohmann::json::object(), ts = nlohmann::json::array(), vs = nlohmann::json::array();
  for (const auto& l : s.labels)
    if (l.name != kMetricNameLabel) labels[l.name] = l.value;
  for (const auto& p : s.samples) {
    ts.push_back(p.t);
    if (std::isnan(p.v)) vs.push_back("NaN");
    else if (std::isinf(p.v)) vs.push_back(p.v > 0 ? "+Inf" : "-Inf");
    else vs.push_back(p.v);
  }
  return {{"metric", std::string(metric_name(s.labels))}, {"labels", labels}, {"timestamps", ts}, {"values", vs}};
}
}  // namespace

void LiveSeries::refresh() {
  std::map<std::string, std::vector<query::Matcher>> next;
  for (const auto& topic : m_hub.topics_with_prefix(kPrefix)) {
    if (auto it = m_topics.find(topic); it != m_topics.end()) {
      next.emplace(topic, it->second);
      continue;
    }
    // A selector that does not parse simply matches nothing.
    auto matchers = query::parse_selector(std::string_view(topic).substr(kPrefix.size()));
    if (matchers.ok()) next.emplace(topic, std::move(matchers.value()));
  }
  m_topics.swap(next);
  m_wanted = !m_topics.empty();
}

void LiveSeries::deliver(const bus::SamplesAppended& appended) {
  for (const auto& [topic, matchers] : m_topics) {
    nlohmann::json matched = nlohmann::json::array();
    for (const auto& s : *appended.batch)
      if (query::matches_all(matchers, s.labels)) matched.push_back(series_json(s));
    if (!matched.empty()) m_hub.publish(topic, std::make_shared<const std::string>(nlohmann::json{{"series", matched}}.dump()));
  }
}

}  // namespace tt::app
