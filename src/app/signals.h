// app/signals.h — how each long-running command stops: SIGINT and SIGTERM are blocked before any
// thread starts (threads inherit the mask), so that one thread takes them when it waits here
// instead of a handler interrupting whatever runs. SIGPIPE is ignored: a peer that went away is an
// error from write(), not the end of the process. A server that reloads on SIGHUP takes it the
// same way.
#pragma once

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <functional>

namespace tt::app {

enum class Hangup { stops, reloads };

class StopSignals {
 public:
  explicit StopSignals(Hangup hangup = Hangup::stops) {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGINT);
    sigaddset(&m_set, SIGTERM);
    if (hangup == Hangup::reloads) sigaddset(&m_set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &m_set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
  }
  // Waits for SIGINT or SIGTERM; its name. A SIGHUP (Hangup::reloads) runs `on_hangup` and waits
  // on.
  const char* wait(const std::function<void()>& on_hangup = {}) const {
    for (;;) {
      int sig = 0;
      sigwait(&m_set, &sig);
      if (sig != SIGHUP) return sig == SIGTERM ? "SIGTERM" : "SIGINT";
      if (on_hangup) on_hangup();
    }
  }
  // True when one came within `timeout`.
  bool wait_for(std::chrono::milliseconds timeout) const {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timespec step{s.count(), (timeout - s).count() * 1'000'000};
    siginfo_t info;
    return sigtimedwait(&m_set, &info, &step) >= 0;
  }

 private:
  sigset_t m_set;
};

}  // namespace tt::app
