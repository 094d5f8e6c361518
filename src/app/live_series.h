// app/live_series.h — streams new samples to the WebSocket topics `series:<selector>`: the
// glue between the store's append listener, the bus and the hub.
//
// Selectors are user input (regexes among them), so they are parsed and matched on the thread
// that appends the samples, never on the core loop: the loop hands the hub the set of watched
// topics (set_topics) and gets back ready messages over the bus.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/series.h"
#include "query/query.h"

namespace tt::app {

class LiveSeries {
 public:
  // Loop thread: the series topics some client watches now (Hub::series_topics()).
  void set_topics(std::set<std::string> topics);
  // Any thread, cheap: whether some client watches a series topic (the store's listener asks
  // before it copies a batch).
  bool wanted() const { return m_wanted.load(std::memory_order_relaxed); }
  // Any thread (the appending one): for each watched topic whose selector matches some series
  // of the batch, the message {"series":[...]} of those series. Topics whose selector does not
  // parse match nothing.
  std::vector<bus::SeriesMessage> match(const std::vector<SeriesSamples>& batch);

 private:
  struct Selector {
    std::string topic;
    std::vector<query::Matcher> matchers;
  };
  using Selectors = std::vector<Selector>;
  // The parsed form of m_topics; parses only topics new since the last call, outside the
  // mutex, which the loop takes too.
  std::shared_ptr<const Selectors> selectors();

  std::atomic<bool> m_wanted{false};
  std::mutex m_mutex;  // guards the members below
  std::set<std::string> m_topics;
  std::uint64_t m_topics_version = 0;  // counts set_topics() calls
  // Immutable once published: matching threads keep their copy while a change swaps in another.
  std::shared_ptr<const Selectors> m_selectors = std::make_shared<const Selectors>();
  std::uint64_t m_selectors_version = 0;  // the m_topics_version m_selectors was parsed from
};

}  // namespace tt::app
