#include "curl/multi.h"

#include <vector>

namespace tt::curl {

struct Multi::Socket {
  uv_poll_t poll{};
  curl_socket_t fd = CURL_SOCKET_BAD;
  Multi* owner = nullptr;
};

bool Multi::async_dns() {
  const auto* v = curl::version_info();
  return v && (v->features & CURL_VERSION_ASYNCHDNS) != 0;
}

Multi::Multi(uv_loop_t* loop) : m_loop(loop) {
  m_multi = curl::multi_init();
  m_timer = new uv_timer_t{};
  uv_timer_init(loop, m_timer);
  m_timer->data = this;
  curl::multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &Multi::on_socket);
  curl::multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
  curl::multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &Multi::on_timer);
  curl::multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
}

Multi::~Multi() { close(); }

bool Multi::add(CURL* easy, Finished finished) {
  if (m_closed) return false;
  if (curl::multi_add_handle(m_multi, easy) != CURLM_OK) return false;
  m_running[easy] = std::move(finished);
  return true;
}

void Multi::remove(CURL* easy) {
  if (m_closed || !m_running.erase(easy)) return;
  curl::multi_remove_handle(m_multi, easy);
}

void Multi::close() {
  if (m_closed) return;
  m_closed = true;
  for (auto& [easy, finished] : m_running) curl::multi_remove_handle(m_multi, easy);
  m_running.clear();
  // Cleanup may still tell us about sockets (CURL_POLL_REMOVE); those close through on_socket.
  curl::multi_cleanup(m_multi);
  m_multi = nullptr;
  std::vector<Socket*> left(m_sockets.begin(), m_sockets.end());
  for (auto* s : left) close_socket(s);
  uv_timer_stop(m_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(m_timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  m_timer = nullptr;
}

void Multi::close_socket(Socket* s) {
  m_sockets.erase(s);
  uv_poll_stop(&s->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->poll),
           [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
}

int Multi::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* socket_ctx) {
  auto* self = static_cast<Multi*>(self_ptr);
  auto* s = static_cast<Socket*>(socket_ctx);
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      if (self->m_multi) curl::multi_assign(self->m_multi, fd, nullptr);
      self->close_socket(s);
    }
    return 0;
  }
  if (!s) {
    s = new Socket{};
    s->fd = fd;
    s->owner = self;
    s->poll.data = s;
    if (uv_poll_init_socket(self->m_loop, &s->poll, fd) != 0) {
      delete s;
      return -1;  // curl fails the transfer that owns this socket
    }
    self->m_sockets.insert(s);
    curl::multi_assign(self->m_multi, fd, s);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, &Multi::on_poll);
  return 0;
}

int Multi::on_timer(CURLM*, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<Multi*>(self_ptr);
  if (!self->m_timer) return 0;
  if (timeout_ms < 0) uv_timer_stop(self->m_timer);
  // Even a zero timeout goes through the loop: curl forbids calling it back from here.
  else
    uv_timer_start(self->m_timer, &Multi::on_timeout, static_cast<std::uint64_t>(timeout_ms), 0);
  return 0;
}

void Multi::on_poll(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<Socket*>(handle->data);
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  s->owner->action(s->fd, flags);
}

void Multi::on_timeout(uv_timer_t* handle) {
  static_cast<Multi*>(handle->data)->action(CURL_SOCKET_TIMEOUT, 0);
}

void Multi::action(curl_socket_t fd, int ev_bitmask) {
  if (m_closed) return;
  int running = 0;
  curl::multi_socket_action(m_multi, fd, ev_bitmask, &running);
  drain_finished();
}

void Multi::drain_finished() {
  int left = 0;
  while (!m_closed) {
    CURLMsg* msg = curl::multi_info_read(m_multi, &left);
    if (!msg) break;
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;  // msg dies with remove_handle
    CURLcode result = msg->data.result;
    curl::multi_remove_handle(m_multi, easy);
    auto it = m_running.find(easy);
    if (it == m_running.end()) continue;
    Finished finished = std::move(it->second);
    m_running.erase(it);
    // May add transfers or close this driver; the loop condition notices the latter.
    finished(easy, result);
  }
}

}  // namespace tt::curl
