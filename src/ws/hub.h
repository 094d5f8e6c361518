// ws/hub.h — live WebSocket clients on the core libuv loop: adopts upgraded sockets, runs the
// subscribe/unsubscribe protocol (JSON text) and fans published events out to subscribers.
//
// Threading: every member, including the constructor and destructor, must be called on the thread
// running `loop` (the core loop). Other threads hand events over via the loop (e.g. uv_async).
// The hub never calls back into its owner from inside publish() or a drop (a disconnect's topics
// callback runs from a timer of its own), so a callback may publish, and a publish may drop
// clients, without changing a container someone up the stack is iterating.
//
// Lifetime: handles are released in uv_close callbacks. For a clean shutdown call close_all(),
// let the loop run until it returns (about shutdown_grace_ms at most), then destroy the Hub.
// Destroying a Hub with live clients closes them; the loop must then run once more to free them.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // The credential the upgrade was authenticated with, so that the socket ends with it.
  std::int64_t user_id = 0;
  std::string session_id;     // a session's id (never its secret); empty for tokens
  std::int64_t token_id = 0;  // 0 for sessions
  TimeMs expires_at_ms = 0;   // wall clock; 0: never
  // Set for an ingest socket (agents and scripts pushing batches): each of its text messages goes
  // to the ingest handler with this, and none is a subscription.
  std::shared_ptr<const void> ingest;
};

// The bytes between a socket and its WebSocket frames when they are not the frames themselves:
// TLS, which the HTTP server terminates (http/tls.h) and app/ plugs in here. Called on the loop.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // What the socket read in; the bytes it carried appended to `plain`, and what must go back to
  // the peer appended to `reply`. False: the stream ended or broke; the hub closes the socket.
  virtual bool decode(std::string_view in, std::string& plain, std::string& reply) = 0;
  // Bytes to send in; what to write to the socket appended to `out`.
  virtual void encode(std::string_view plain, std::string& out) = 0;
};

struct HubOptions {
  ConnectionOptions connection;
  std::uint64_t tick_ms = 1000;            // keepalive timer period
  std::uint64_t shutdown_grace_ms = 1000;  // close_all(): force-close after this
  std::size_t max_topics_per_client = 256;
  std::size_t max_topic_bytes = 512;
  // Every distinct series topic costs a selector match per appended series: bounded per
  // connection and in all.
  std::size_t max_series_topics_per_client = 32;
  std::size_t max_series_topics = 256;
  const Clock* clock = nullptr;  // monotonic time source; SystemClock when null
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
  // `place` is kept until the socket is closed (the HTTP server's connection caps count it).
  // With a `filter`, every byte read or written passes through it (`leftover` is already
  // decoded).
  void adopt(int fd, ClientInfo info, std::string leftover = {}, std::shared_ptr<void> place = {},
             std::shared_ptr<StreamFilter> filter = {});

  // Sends {"type":"event","topic":topic,"data":<data_json>} to the topic's subscribers.
  // `data_json` must be valid JSON; it is embedded verbatim and the frame is built once.
  void publish(std::string_view topic, std::shared_ptr<const std::string> data_json);

  // Sends close(code) to every client and closes the hub's timers; clients that have not
  // answered within shutdown_grace_ms are dropped. New adopt() calls are refused afterwards.
  void close_all(std::uint16_t code = kCloseGoingAway);

  // Closes with 1008 every open client whose credential `revoked` says has ended (logout, token
  // revoked, user deleted). Returns how many. Clients whose credential expires are closed by
  // the hub itself within a tick of expires_at_ms.
  std::size_t close_revoked(const std::function<bool(const ClientInfo&)>& revoked);

  // Takes each message of an ingest socket (text, or binary when `binary`), with the socket's id
  // for the answer (send_to). False: the ingest cannot take more now; the socket is closed (1013)
  // and its sender resends.
  using IngestHandler =
      std::function<bool(std::uint64_t client, const std::shared_ptr<const void>& ingest,
                         std::string&& message, bool binary)>;
  void on_ingest(IngestHandler fn) { m_on_ingest = std::move(fn); }
  // Sends a text message to the client with that id, if it is still open; with `close_code`,
  // closes it after.
  void send_to(std::uint64_t client, std::string_view text, std::uint16_t close_code = 0);

  // The newest open client that `match` accepts (say, the socket of a node's agent); 0: none.
  std::uint64_t find(const std::function<bool(const ClientInfo&)>& match) const;

  std::size_t client_count() const { return m_clients.size(); }

  // The series topics (kSeriesPrefix + selector) some client subscribes to.
  std::set<std::string> series_topics() const;
  // Called on the loop with the new set after series_topics() changed: when a subscribe or
  // unsubscribe changed it, before the client is answered; when a client left, from a timer
  // soon after (never inside publish(), which may drop clients).
  void on_series_topics_changed(std::function<void(const std::set<std::string>&)> fn) {
    m_on_series_topics_changed = std::move(fn);
  }

  static constexpr std::string_view kSeriesPrefix = "series:";
  // nodes, events, checks, alerts, or series:<non-empty selector>.
  static bool is_known_topic(std::string_view topic);

 private:
  struct Client;
  struct WriteReq;

  std::int64_t now() const;
  void handle_input(Client* c, const char* data, std::size_t len);
  // Bytes read from the socket, through the client's filter if it has one.
  void handle_read(Client* c, const char* data, std::size_t len);
  // Writes `chunks` to the socket; `frame_bytes` of the client's queue are done when it is.
  bool write(Client* c, std::vector<SharedBytes> chunks, std::size_t frame_bytes);
  void on_text(Client* c, const std::string& text);
  void reply(Client* c, const std::string& json);
  void flush(Client* c);
  void remove(Client* c);
  void drop_slow(Client* c);
  // Count a client's series topic in or out; true when the set of series topics changed.
  bool add_series_topic(const std::string& topic);
  bool release_series_topic(const std::string& topic);
  void series_topics_changed_later();
  void tick();
  void close_for_credentials(Client* c, const char* reason);
  void close_timers();

  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_client_closed(uv_handle_t* handle);
  static void on_timer_closed(uv_handle_t* handle);

  uv_loop_t* m_loop;
  HubOptions m_options;
  const Clock* m_clock;
  uv_timer_t* m_tick_timer = nullptr;  // heap-allocated: freed in its close callback
  uv_timer_t* m_grace_timer = nullptr;
  uv_timer_t* m_topics_timer = nullptr;  // runs the series topics callback after a client left
  bool m_shutting_down = false;
  std::unordered_set<Client*> m_clients;               // open clients; closing ones free themselves
  std::unordered_map<std::uint64_t, Client*> m_by_id;  // the same, by id
  std::uint64_t m_next_id = 1;
  IngestHandler m_on_ingest;
  std::unique_ptr<char[]> m_read_buf;  // shared: reads are consumed synchronously
  std::map<std::string, std::size_t, std::less<>> m_series_refs;  // series topic -> subscribers
  std::function<void(const std::set<std::string>&)> m_on_series_topics_changed;

  metrics::Gauge* m_clients_gauge;
  metrics::Gauge* m_memory_gauge;  // every client, counted at each tick
  metrics::Counter* m_received;
  metrics::Counter* m_sent;
  metrics::Counter* m_dropped_slow;
  metrics::Counter* m_closed_revoked;
  metrics::Counter* m_closed_expired;
  metrics::Counter* m_closed_ingest_busy;
};

}  // namespace tt::ws
