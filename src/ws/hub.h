// ws/hub.h — live WebSocket clients on the core libuv loop: adopts upgraded sockets, runs the
// subscribe/unsubscribe protocol (JSON text) and fans published events out to subscribers.
//
// Threading: every member, including the constructor and destructor, must be called on the thread
// running `loop` (the core loop). Other threads hand events over via the loop (e.g. uv_async).
//
// Lifetime: handles are released in uv_close callbacks. For a clean shutdown call close_all(),
// let the loop run until it returns (about shutdown_grace_ms at most), then destroy the Hub.
// Destroying a Hub with live clients closes them; the loop must then run once more to free them.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <set>
#include <unordered_set>

#include "core/clock.h"
#include "ws/connection.h"

namespace tt::metrics {
class Counter;
class Gauge;
}  // namespace tt::metrics

namespace tt::ws {

struct ClientInfo {
  std::string user;
  std::string role;
  std::string remote;  // peer address, for logs
};

struct HubOptions {
  ConnectionOptions connection;
  std::uint64_t tick_ms = 1000;              // keepalive timer period
  std::uint64_t shutdown_grace_ms = 1000;    // close_all(): force-close after this
  std::size_t max_topics_per_client = 256;
  std::size_t max_topic_bytes = 512;
  const Clock* clock = nullptr;              // monotonic time source; SystemClock when null
};

class Hub {
 public:
  Hub(uv_loop_t* loop, HubOptions options = {});
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Takes ownership of `fd`, a connected TCP socket whose 101 response was already written.
  // `leftover` holds bytes read past the request head; they are parsed as WebSocket frames.
  // After close_all() the socket is closed at once.
  void adopt(int fd, ClientInfo info, std::string leftover = {});

  // Sends {"type":"event","topic":topic,"data":<data_json>} to the topic's subscribers.
  // `data_json` must be valid JSON; it is embedded verbatim and the frame is built once.
  void publish(std::string_view topic, std::shared_ptr<const std::string> data_json);

  // Sends close(code) to every client and closes the hub's timers; clients that have not
  // answered within shutdown_grace_ms are dropped. New adopt() calls are refused afterwards.
  void close_all(std::uint16_t code = kCloseGoingAway);

  std::size_t client_count() const { return m_clients.size(); }

  // Every topic some client subscribes to that starts with prefix (e.g. "series:").
  std::set<std::string> topics_with_prefix(std::string_view prefix) const;
  // Called (on the loop) after any client's set of topics changed, including on disconnect.
  void on_topics_changed(std::function<void()> fn) { m_on_topics_changed = std::move(fn); }

  // nodes, events, checks, alerts, or series:<non-empty selector>.
  static bool is_known_topic(std::string_view topic);

 private:
  struct Client;
  struct WriteReq;

  std::int64_t now() const;
  void handle_input(Client* c, const char* data, std::size_t len);
  void on_text(Client* c, const std::string& text);
  void reply(Client* c, const std::string& json);
  void flush(Client* c);
  void remove(Client* c);
  void drop_slow(Client* c);
  void tick();
  void close_timers();

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_client_closed(uv_handle_t* handle);
  static void on_timer_closed(uv_handle_t* handle);

  uv_loop_t* m_loop;
  HubOptions m_options;
  const Clock* m_clock;
  uv_timer_t* m_tick_timer = nullptr;   // heap-allocated: freed in its close callback
  uv_timer_t* m_grace_timer = nullptr;
  bool m_shutting_down = false;
  std::unordered_set<Client*> m_clients;  // open clients; closing ones free themselves
  std::unique_ptr<char[]> m_read_buf;     // shared: reads are consumed synchronously
  std::function<void()> m_on_topics_changed;

  metrics::Gauge* m_clients_gauge;
  metrics::Counter* m_received;
  metrics::Counter* m_sent;
  metrics::Counter* m_dropped_slow;
};

}  // namespace tt::ws
