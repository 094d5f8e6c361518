#include "app/live_series.h"

#include "api/series_json.h"

namespace tt::app {

constexpr std::string_view kPrefix = "series:";

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
      if (query::matches_all(matchers, s.labels)) matched.push_back(api::series_json(s.labels, s.samples));
    if (!matched.empty()) m_hub.publish(topic, std::make_shared<const std::string>(nlohmann::json{{"series", matched}}.dump()));
  }
}

}  // namespace tt::app
