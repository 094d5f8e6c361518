// app/live_series.h — streams new samples to the WebSocket topics `series:<selector>`: the
// glue between the store's append listener, the bus and the hub.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "query/query.h"
#include "ws/hub.h"

namespace tt::app {

class LiveSeries {
 public:
  explicit LiveSeries(ws::Hub& hub) : m_hub(hub) {}

  // Any thread: whether some client watches a series topic (the store's listener checks it
  // before copying a batch onto the bus).
  bool wanted() const { return m_wanted.load(std::memory_order_relaxed); }
  // Loop thread: re-reads the hub's series topics (call when subscriptions change).
  void refresh();
  // Loop thread: sends each series of the batch to every topic whose selector matches it.
  void deliver(const bus::SamplesAppended& appended);

 private:
  ws::Hub& m_hub;
  std::atomic<bool> m_wanted{false};
  std::map<std::string, std::vector<query::Matcher>> m_topics;  // topic → parsed selector
};

}  // namespace tt::app
