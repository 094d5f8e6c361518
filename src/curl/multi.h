// curl/multi.h — libcurl's multi interface driven by a libuv loop: one uv_poll_t per
// socket curl asks about, one uv_timer_t for curl's timeout. No threads of ours and no blocking
// calls; name resolution is curl's threaded resolver (Debian's libcurl4-openssl is built with
// it: CURL_VERSION_ASYNCHDNS), so it blocks a curl thread, never the loop. Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "curl/api.h"

namespace tt::curl {

class Multi {
 public:
  // Called on the loop thread when a transfer ends; the easy handle is already out of the multi
  // handle and belongs to the caller again.
  using Finished = std::function<void(CURL* easy, CURLcode result)>;

  explicit Multi(uv_loop_t* loop);
  ~Multi();  // calls close()
  Multi(const Multi&) = delete;
  Multi& operator=(const Multi&) = delete;

  // Starts the transfer. The easy handle stays the caller's (it cleans it up after `finished`
  // or after remove()). Returns false when curl refuses it (nothing will be called then).
  [[nodiscard]] bool add(CURL* easy, Finished finished);
  // Abandons a transfer without calling its `finished`.
  void remove(CURL* easy);
  // Abandons every transfer (no `finished` calls) and closes the uv handles; the handles' memory
  // is freed by their close callbacks, so this object may be destroyed right after. Idempotent.
  void close();

  // True when curl resolves names without blocking the calling thread.
  static bool async_dns();

 private:
  struct Socket;
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socket_ctx);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_timeout(uv_timer_t* handle);
  void action(curl_socket_t s, int ev_bitmask);
  void drain_finished();
  void close_socket(Socket* s);

  uv_loop_t* m_loop;
  CURLM* m_multi = nullptr;
  uv_timer_t* m_timer = nullptr;  // heap: freed by its close callback
  std::unordered_set<Socket*> m_sockets;
  std::unordered_map<CURL*, Finished> m_running;
  bool m_closed = false;
};

}  // namespace tt::curl
