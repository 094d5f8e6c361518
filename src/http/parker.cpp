#include "http/parker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

namespace tt::http {

namespace {
void close_socket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}
}  // namespace

ConnectionParker::ConnectionParker(Resume resume) : m_resume(std::move(resume)) {
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_epoll < 0 || m_wake < 0) throw std::runtime_error("cannot create the connection parker");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = m_wake;
  ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &ev);
  m_thread = std::thread([this] { loop(); });
}

ConnectionParker::~ConnectionParker() {
  stop();
  ::close(m_epoll);
  ::close(m_wake);
}

void ConnectionParker::park(int fd, std::size_t requests_left, Clock::time_point deadline) {
  std::lock_guard lock(m_mutex);
  if (m_stopped) return close_socket(fd);
  m_parked[fd] = Entry{requests_left, deadline};
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
    m_parked.erase(fd);
    close_socket(fd);
  }
}

void ConnectionParker::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return;
    m_stopped = true;
  }
  std::uint64_t one = 1;
  (void)!::write(m_wake, &one, sizeof one);
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mutex);
  for (const auto& [fd, entry] : m_parked) close_socket(fd);
  m_parked.clear();
}

std::size_t ConnectionParker::parked() const {
  std::lock_guard lock(m_mutex);
  return m_parked.size();
}

void ConnectionParker::close_expired(Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  for (auto it = m_parked.begin(); it != m_parked.end();) {
    if (it->second.deadline <= now) {
      ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, it->first, nullptr);
      close_socket(it->first);
      it = m_parked.erase(it);
    } else {
      ++it;
    }
  }
}

void ConnectionParker::loop() {
  std::vector<epoll_event> events(64);
  auto last_sweep = Clock::now();
  for (;;) {
    int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), 250);
    {
      std::lock_guard lock(m_mutex);
      if (m_stopped) return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == m_wake) continue;
      std::size_t left;
      {
        std::lock_guard lock(m_mutex);
        auto it = m_parked.find(fd);
        if (it == m_parked.end()) continue;
        left = it->second.requests_left;
        m_parked.erase(it);
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
      }
      m_resume(fd, left);
    }
    auto now = Clock::now();
    if (now - last_sweep > std::chrono::milliseconds(250)) {
      close_expired(now);
      last_sweep = now;
    }
  }
}

}  // namespace tt::http
