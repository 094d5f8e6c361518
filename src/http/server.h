// http/server.h — cpp-httplib's server with one addition: WebSocket upgrades on the same port.
// cpp-httplib 0.11 has no WebSocket support, so this class runs the keep-alive loop itself
// (process_request is protected and reusable), reads each request head into its own buffer,
// and when the head asks for a WebSocket upgrade of the WebSocket path, hands it to
// `on_upgrade` instead; the socket then leaves the HTTP pool for the core loop.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>

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

class Server : public httplib::Server {
 public:
  void set_upgrade_handler(std::string path, UpgradeHandler handler) {
    m_upgrade_path = std::move(path);
    m_upgrade = std::move(handler);
  }

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::string m_upgrade_path;
  UpgradeHandler m_upgrade;
};

// Writes all of `data` to a blocking socket; false on error.
bool write_all(int fd, std::string_view data);

}  // namespace tt::http
