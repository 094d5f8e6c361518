#include "app/live_series.h"

#include <map>

#include "core/series_json.h"
#include "ws/hub.h"

namespace tt::app {

void LiveSeries::set_topics(std::set<std::string> topics) {
  std::lock_guard lock(m_mutex);
  m_wanted = !topics.empty();
  m_topics = std::move(topics);
  ++m_topics_version;
}

std::shared_ptr<const LiveSeries::Selectors> LiveSeries::selectors() {
  std::set<std::string> topics;
  std::shared_ptr<const Selectors> current;
  std::uint64_t version = 0;
  {
    std::lock_guard lock(m_mutex);
    if (m_selectors_version == m_topics_version) return m_selectors;
    topics = m_topics;
    current = m_selectors;
    version = m_topics_version;
  }
  std::map<std::string_view, const Selector*> parsed;
  for (const auto& s : *current) parsed.emplace(s.topic, &s);
  auto next = std::make_shared<Selectors>();
  for (const auto& topic : topics) {
    if (auto it = parsed.find(topic); it != parsed.end()) {
      next->push_back(*it->second);
      continue;
    }
    auto matchers =
        query::parse_selector(std::string_view(topic).substr(ws::Hub::kSeriesPrefix.size()));
    if (matchers.ok()) next->push_back({topic, std::move(matchers.value())});
  }
  std::lock_guard lock(m_mutex);
  // Another thread may have parsed the same or a newer set meanwhile.
  if (version > m_selectors_version) {
    m_selectors = next;
    m_selectors_version = version;
  }
  return next;
}

std::vector<bus::SeriesMessage> LiveSeries::match(const std::vector<SeriesSamples>& batch) {
  std::vector<bus::SeriesMessage> out;
  const auto current = selectors();  // held: another thread may swap in a newer set meanwhile
  for (const auto& [topic, matchers] : *current) {
    nlohmann::json matched = nlohmann::json::array();
    for (const auto& s : batch)
      if (query::matches_all(matchers, s.labels))
        matched.push_back(series_json(s.labels, s.samples));
    if (!matched.empty())
      out.push_back(
          {topic, std::make_shared<const std::string>(nlohmann::json{{"series", matched}}.dump())});
  }
  return out;
}

}  // namespace tt::app
