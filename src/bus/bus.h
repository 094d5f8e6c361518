// bus/ — how work and events cross threads into the core loop. `CoreLoop` owns the one libuv
// loop thread; `Channel<T>` is a typed, bounded, many-producer queue whose messages are
// delivered to subscribers on that loop thread (woken through uv_async). Probes, the HTTP pool
// and the writer publish; the WebSocket hub, alerts and the scheduler subscribe.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"

namespace tt::bus {

// The core loop thread. Start once, post work from any thread, stop once.
class CoreLoop {
 public:
  CoreLoop();
  ~CoreLoop();
  CoreLoop(const CoreLoop&) = delete;
  CoreLoop& operator=(const CoreLoop&) = delete;

  uv_loop_t* uv() { return &m_loop; }
  void start();
  // Runs fn on the loop thread, later (never inside the call). Safe from any thread; dropped
  // after stop().
  void post(std::function<void()> fn);
  // Runs `on_stop` on the loop (to close handles), then waits for the loop to end.
  void stop(std::function<void()> on_stop = {});
  bool on_loop_thread() const { return std::this_thread::get_id() == m_thread.get_id(); }
  // Milliseconds since the loop last ran a tick; /readyz uses it to tell a stuck loop.
  std::int64_t ms_since_heartbeat() const;

 private:
  static void on_async(uv_async_t* handle);
  static void on_prepare(uv_prepare_t* handle);
  void drain();

  uv_loop_t m_loop{};
  uv_async_t m_async{};
  // Work posted by the loop itself (every check result crosses the bus this way) runs before
  // the loop next waits for I/O: no wake-up through the async handle's eventfd, which costs
  // a write, an epoll round and a read per message.
  uv_prepare_t m_prepare{};
  std::vector<std::function<void()>> m_local, m_local_running;  // loop thread only
  uv_timer_t m_heartbeat{};
  std::atomic<std::int64_t> m_last_beat_ms{0};
  std::mutex m_mutex;
  std::vector<std::function<void()>> m_tasks;
  bool m_closed = false;
  bool m_stopping = false;
  std::thread m_thread;
};

// A topic of typed messages. publish() from any thread copies the message into a bounded queue;
// subscribers run on the loop thread in publish order. When the queue is full the message is
// dropped and counted: the bus never blocks a producer and never grows without bound. Durable
// facts (events, samples) are written to SQLite before they are published, so a drop loses only
// a live notification, never data.
template <typename T>
class Channel {
 public:
  using Handler = std::function<void(const T&)>;

  Channel(CoreLoop& loop, std::string name, std::size_t capacity = 4096)
      : m_loop(loop), m_name(std::move(name)), m_capacity(capacity) {
    auto& fam = metrics::registry().family(
        "telltale_bus_queue_depth", "Messages waiting on a bus channel.", metrics::Type::gauge);
    m_depth = &fam.gauge({{"channel", m_name}});
    m_dropped =
        &metrics::registry()
             .family("telltale_bus_dropped_total",
                     "Messages dropped because a bus channel was full.", metrics::Type::counter)
             .counter({{"channel", m_name}});
  }

  // Loop thread only (or before the loop starts).
  void subscribe(Handler h) { m_handlers.push_back(std::move(h)); }

  bool publish(T message) {
    {
      std::lock_guard lock(m_mutex);
      if (m_queue.size() >= m_capacity) {
        m_dropped->inc();
        return false;
      }
      m_queue.push_back(std::move(message));
      m_depth->set(static_cast<double>(m_queue.size()));
      if (m_scheduled) return true;
      m_scheduled = true;
    }
    m_loop.post([this] { deliver(); });
    return true;
  }

 private:
  void deliver() {
    {
      std::lock_guard lock(m_mutex);
      m_delivering.swap(m_queue);  // both keep their capacity: no allocation per delivery
      m_scheduled = false;
      m_depth->set(0);
    }
    for (const auto& m : m_delivering)
      for (const auto& h : m_handlers) h(m);
    m_delivering.clear();
  }

  CoreLoop& m_loop;
  std::string m_name;
  std::size_t m_capacity;
  std::mutex m_mutex;
  std::vector<T> m_queue;
  std::vector<T> m_delivering;  // loop thread only
  bool m_scheduled = false;
  std::vector<Handler> m_handlers;
  metrics::Gauge* m_depth;
  metrics::Counter* m_dropped;
};

// A change to a monitored object, already serialised once for every browser that wants it.
struct Event {
  std::int64_t id = 0;                      // cursor in the events table
  std::string topic;                        // nodes, checks, alerts, ...
  std::string kind;                         // node.created, node.updated, node.deleted
  std::shared_ptr<const std::string> json;  // the whole event as a JSON object
};

// Samples the store has just made durable, for live charts: the message of one watched series
// topic, built on the appending thread (matching user selectors stays off the loop). Published
// only while some browser watches a series topic, so ingest pays nothing otherwise.
struct SeriesMessage {
  std::string topic;                        // series:<selector>
  std::shared_ptr<const std::string> data;  // {"series":[...]}
};

// The channels of one running Telltale.
struct Bus {
  explicit Bus(CoreLoop& loop) : events(loop, "events"), samples(loop, "samples", 1024) {}
  Channel<Event> events;
  Channel<std::vector<SeriesMessage>> samples;  // one append's messages
};

}  // namespace tt::bus
