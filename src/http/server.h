// http/server.h — cpp-httplib's server with one addition: WebSocket upgrades on the same port.
// cpp-httplib 0.11 has no WebSocket support, so this class runs the keep-alive loop itself
// (process_request is protected and reusable), reads each request head into its own buffer,
// and when the head asks for a WebSocket upgrade of the WebSocket path, hands it to
// `on_upgrade` instead; the socket then leaves the HTTP pool for the core loop.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/parker.h"

namespace tt::http {

struct UpgradeRequest {
  std::string method, target, path, version;
  httplib::Headers headers;  // case-insensitive lookups
  std::string remote;
  int fd = -1;
  std::string leftover;  // bytes the client sent after the head
};

// Returns true when it took ownership of req.fd (after writing the 101 answer); false when it
// wrote an error answer and the server should close the connection.
using UpgradeHandler = std::function<bool(UpgradeRequest& req)>;

// Debian's cpp-httplib compresses answers on the fly with brotli at quality 11 when the client
// accepts it: about half a second for 100 kB of JSON, far longer than sending it. So the server
// takes "br" out of Accept-Encoding before cpp-httplib sees it (gzip stays, cheap), and keeps the
// client's header as it came under this name, for the UI's precompressed assets.
inline constexpr const char* kClientAcceptEncoding = "X-Telltale-Accept-Encoding";

// Idle keep-alive connections are parked (see parker.h) rather than holding a pool thread, so
// the pool's threads serve requests, not connections.
class Server : public httplib::Server {
 public:
  explicit Server(std::size_t threads = 8);
  ~Server() override;

  void set_upgrade_handler(std::string path, UpgradeHandler handler) {
    m_upgrade_path = std::move(path);
    m_upgrade = std::move(handler);
  }
  // Binds host:port (port 0: any free port) with a real listen backlog. Returns the port, or -1.
  int bind(const std::string& host, int port);
  // Stops accepting, closes parked connections and lets in-flight requests finish; listen()
  // returns once the pool has drained. Use this rather than httplib::Server::stop().
  void shutdown();

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Serves requests on sock until it closes, is upgraded, or goes idle (then it is parked).
  bool serve(socket_t sock, std::size_t requests_left);
  // Hands a connection with a request waiting back to the pool.
  void resume(int fd, std::size_t requests_left);
  // Answers an error cpp-httplib must not see, then closes; returns false.
  bool answer_and_close(int fd, int status, Error error);

  std::string m_upgrade_path;
  UpgradeHandler m_upgrade;
  std::size_t m_threads;
  std::atomic<bool> m_stopping{false};
  httplib::TaskQueue* m_queue = nullptr;  // owned by httplib's listen loop
  std::unique_ptr<ConnectionParker> m_parker;
};

// Writes all of `data` to a blocking socket; false on error.
bool write_all(int fd, std::string_view data);

}  // namespace tt::http
