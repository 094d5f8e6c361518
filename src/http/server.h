// http/server.h — cpp-httplib's server with its accept loop replaced and WebSocket upgrades on
// the same port. cpp-httplib 0.11 gives each connection a pool thread from accept to close and
// has no WebSocket support; here the parker (parker.h) accepts connections, within caps below
// the descriptor limit, and waits for each whole request head, which request_head.h checks; the
// pool only serves whole heads (process_request is protected and reusable), and a head that
// asks for a WebSocket upgrade of the WebSocket path goes to `on_upgrade` instead: the socket
// then leaves the HTTP pool for the core loop.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/connection.h"
#include "http/envelope.h"
#include "http/parker.h"
#include "http/tls.h"

namespace tt::http {

struct UpgradeRequest {
  std::string method, target, path, version;
  httplib::Headers headers;  // case-insensitive lookups
  std::string remote;
  int fd = -1;
  std::string leftover;  // bytes the client sent after the head (decrypted, over TLS)
  Scheme scheme = Scheme::http;
  // Writes to the client (through TLS on HTTPS); false when it could not take it all in time.
  std::function<bool(std::string_view)> send;
  // On HTTPS, the connection's session (call with hand_over): the socket's new owner passes
  // what it reads and writes through it. Null on plain HTTP.
  std::function<std::unique_ptr<TlsPipe>()> take_tls;
  // Call when taking the socket (before returning true): the connection's place in the
  // connection caps, to keep while the socket is open.
  std::function<std::shared_ptr<void>()> hand_over;
};

// Returns true when it took ownership of req.fd (after writing the 101 answer); false when it
// wrote an error answer and the server should close the connection.
using UpgradeHandler = std::function<bool(UpgradeRequest& req)>;

// Debian's cpp-httplib compresses answers on the fly with brotli at quality 11 when the client
// accepts it: about half a second for 100 kB of JSON, far longer than sending it. So the server
// takes "br" out of Accept-Encoding before cpp-httplib sees it (gzip stays, cheap), and keeps the
// client's header as it came under this name, for the UI's precompressed assets.
inline constexpr const char* kClientAcceptEncoding = "X-Telltale-Accept-Encoding";

// Connections without a whole request head are parked (see parker.h) rather than holding a
// pool thread, so the pool's threads serve requests, not connections. Use bind(),
// listen_after_bind(), is_running() and shutdown() of this class; httplib::Server's listen() and
// stop() would run cpp-httplib's own accept loop.
class Server : public httplib::Server {
 public:
  explicit Server(std::size_t threads = 8);
  ~Server() override;

  // Asked before a pool thread reads a body the parker did not wait for (chunked, or over
  // kMaxParkedBody), with the request's Authorization and Cookie headers: false answers 401 at
  // once, so nobody without credentials can hold a pool thread by sending a large body slowly.
  using BodyGate = std::function<bool(const std::string& authorization, const std::string& cookie)>;
  void set_body_gate(BodyGate gate) { m_body_gate = std::move(gate); }

  // Upgrades of these paths go to `handler`, which tells them apart by UpgradeRequest::path.
  void set_upgrade_handler(std::vector<std::string> paths, UpgradeHandler handler) {
    m_upgrade_paths = std::move(paths);
    m_upgrade = std::move(handler);
  }
  // Serves under this prefix (http/base_path.h; normalised, "" for none): it is taken off each
  // request's target before the upgrade paths and the routes are matched.
  void set_base_path(std::string base) { m_base_path = std::move(base); }
  // Peers the per-client connection cap does not hold for (trusted reverse proxies: their
  // connections are many clients'), by address. Before listen_after_bind.
  void set_uncapped(std::function<bool(const std::string& address)> uncapped) {
    m_uncapped = std::move(uncapped);
  }
  // Serves HTTPS with this certificate (before listen_after_bind).
  void set_tls(std::shared_ptr<const TlsContext> tls) { m_tls = std::move(tls); }
  // Binds host:port (port 0: any free port) with a real listen backlog, and raises the soft
  // descriptor limit to the hard one, from which the connection caps follow. Returns the port,
  // or -1.
  int bind(const std::string& host, int port);
  // Serves until shutdown(); returns once the pool has drained.
  bool listen_after_bind();
  bool is_running() const { return m_running; }
  // Stops accepting, closes parked connections and lets in-flight requests finish.
  void shutdown();

 private:
  // Serves the requests whose heads are buffered, until the connection closes, is upgraded,
  // waits for more (then it is parked) or has had its turn (then it queues again).
  void serve(std::unique_ptr<Connection> conn);
  // Hands a connection with a whole head buffered to the pool.
  void resume(std::unique_ptr<Connection> conn);
  // Answers an error cpp-httplib must not see, then closes.
  void answer_and_close(std::unique_ptr<Connection> conn, int status, const Error& error,
                        std::string_view method);

  std::vector<std::string> m_upgrade_paths;
  std::string m_base_path;
  std::function<bool(const std::string&)> m_uncapped;
  UpgradeHandler m_upgrade;
  BodyGate m_body_gate;
  std::size_t m_threads;
  std::atomic<bool> m_stopping{false};
  std::atomic<bool> m_running{false};
  std::mutex m_run_mutex;
  std::condition_variable m_run_cv;
  httplib::TaskQueue* m_queue = nullptr;       // owned by listen_after_bind
  std::unique_ptr<ConnectionLimits> m_limits;  // set by bind(); outlives every connection
  std::unique_ptr<ConnectionParker> m_parker;
  std::shared_ptr<const TlsContext> m_tls;
};

}  // namespace tt::http
