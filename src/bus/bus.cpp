#include "bus/bus.h"

#include <stdexcept>

namespace tt::bus {

CoreLoop::CoreLoop() {
  if (uv_loop_init(&m_loop) != 0) throw std::runtime_error("uv_loop_init failed");
  m_loop.data = this;
  uv_async_init(&m_loop, &m_async, &CoreLoop::on_async);
  m_async.data = this;
  uv_timer_init(&m_loop, &m_heartbeat);
  m_heartbeat.data = this;
  uv_prepare_init(&m_loop, &m_prepare);
  m_prepare.data = this;
  uv_prepare_start(&m_prepare, &CoreLoop::on_prepare);
  uv_unref(
      reinterpret_cast<uv_handle_t*>(&m_prepare));  // work, not this handle, keeps the loop alive
}

CoreLoop::~CoreLoop() {
  stop();
  uv_loop_close(&m_loop);
}

void CoreLoop::start() {
  m_last_beat_ms = SystemClock::instance().mono_ms();
  uv_timer_start(
      &m_heartbeat,
      [](uv_timer_t* t) {
        static_cast<CoreLoop*>(t->data)->m_last_beat_ms = SystemClock::instance().mono_ms();
      },
      1000, 1000);
  m_thread = std::thread([this] { uv_run(&m_loop, UV_RUN_DEFAULT); });
}

std::int64_t CoreLoop::ms_since_heartbeat() const {
  return SystemClock::instance().mono_ms() - m_last_beat_ms.load();
}

void CoreLoop::post(std::function<void()> fn) {
  if (on_loop_thread()) {
    if (!m_closed) m_local.push_back(std::move(fn));  // only this thread writes m_closed now
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    if (m_closed) return;
    m_tasks.push_back(std::move(fn));
  }
  uv_async_send(&m_async);
}

void CoreLoop::on_async(uv_async_t* handle) { static_cast<CoreLoop*>(handle->data)->drain(); }

void CoreLoop::on_prepare(uv_prepare_t* handle) {
  auto* self = static_cast<CoreLoop*>(handle->data);
  // Work may post more work; all of it runs before the loop blocks.
  auto& running = self->m_local_running;  // kept, with its capacity, between passes
  while (!self->m_local.empty()) {
    running.swap(self->m_local);
    for (auto& t : running) t();
    running.clear();
  }
}

void CoreLoop::drain() {
  std::vector<std::function<void()>> tasks;
  bool stopping;
  {
    std::lock_guard lock(m_mutex);
    tasks.swap(m_tasks);
    stopping = m_stopping;
  }
  for (auto& t : tasks) t();
  if (stopping) {
    {
      std::lock_guard lock(m_mutex);
      m_closed = true;
      m_tasks.clear();
    }
    m_local.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&m_async), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m_heartbeat), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&m_prepare), nullptr);
  }
}

void CoreLoop::stop(std::function<void()> on_stop) {
  if (!m_thread.joinable()) {
    // Never started (or already stopped): close the handles so the loop can be closed.
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&m_async))) {
      if (on_stop) on_stop();
      m_closed = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&m_async), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&m_heartbeat), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&m_prepare), nullptr);
      uv_run(&m_loop, UV_RUN_DEFAULT);
    }
    return;
  }
  if (on_stop) post(std::move(on_stop));
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  uv_async_send(&m_async);
  m_thread.join();
}

}  // namespace tt::bus
