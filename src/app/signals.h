// app/signals.h — how each long-running command stops: SIGINT and SIGTERM are blocked before any
// thread starts (threads inherit the mask), so that one thread takes them when it waits here
// instead of a handler interrupting whatever runs. SIGPIPE is ignored: a peer that went away is an
// error from write(), not the end of the process.
#pragma once

#include <pthread.h>

#include <chrono>
#include <csignal>

namespace tt::app {

class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGINT);
    sigaddset(&m_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &m_set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
  }
  // Waits for one; its name.
  const char* wait() const {
    int sig = 0;
    sigwait(&m_set, &sig);
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
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
