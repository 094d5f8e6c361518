// notify/curl_transport.h — sends notification requests through libcurl's multi interface on
// the core loop (curl::Multi), HTTP(S) and SMTP alike. send() may be called from any
// thread; the request crosses to the loop with CoreLoop::post.
#pragma once

#include <memory>
#include <unordered_map>

#include "bus/bus.h"
#include "curl/multi.h"
#include "notify/transport.h"

namespace tt::notify {

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(bus::CoreLoop& loop) : m_loop(loop) {}
  ~CurlTransport() override;
  // Any thread. After close(), or when the loop has stopped, `done` is not called.
  void send(Request r, Done done) override;
  // Loop thread (CoreLoop::stop's callback): abandons the transfers in flight.
  void close();

 private:
  struct Transfer;
  void start(std::shared_ptr<Transfer> t);  // loop thread

  bus::CoreLoop& m_loop;
  std::unique_ptr<curl::Multi> m_multi;  // created on the loop on first use
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> m_transfers;
  bool m_closed = false;
};

}  // namespace tt::notify
