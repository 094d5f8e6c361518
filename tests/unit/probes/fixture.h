// Shared by the probe tests: a uv loop driven in the test thread, a harness that runs one probe on
// it, a self-signed certificate made with OpenSSL, cpp-httplib servers on 127.0.0.1 in background
// threads, raw TCP servers.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "probes/descriptor.h"
#include "probes/probe.h"

namespace probe_test {

using tt::probes::Observation;
using tt::probes::Probe;
using tt::probes::Request;

// A loop of the test's own; the destructor proves every handle was closed.
struct Loop {
  uv_loop_t loop{};
  Loop() {
    std::signal(SIGPIPE, SIG_IGN);  // as the server does
    uv_loop_init(&loop);
  }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  // Runs the loop until `done()` or the wall-clock limit. A 10 ms ticker keeps UV_RUN_ONCE from
  // sleeping past the limit while curl's resolver thread or a server thread works.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    uv_timer_t ticker;
    uv_timer_init(&loop, &ticker);
    uv_timer_start(
        &ticker, [](uv_timer_t*) {}, 10, 10);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&ticker), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);  // the ticker's close
    return done();
  }
};

// One run to its end; fails the test when `done` is not called exactly once.
inline Observation run_one(Loop& l, Probe& p, Request req) {
  int calls = 0;
  Observation out;
  p.run(req, [&](Observation o) {
    ++calls;
    out = std::move(o);
  });
  REQUIRE(l.run_until([&] { return calls > 0; }));
  CHECK(calls == 1);
  return out;
}

inline const tt::probes::Metric* find_metric(const Observation& o, std::string_view name,
                                             std::string_view label = {}) {
  for (const auto& m : o.metrics)
    if (m.name == name && (label.empty() || m.label_value == label)) return &m;
  return nullptr;
}

// A self-signed EC certificate for CN=telltale-test, valid for `days` from now.
struct TestCert {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  explicit TestCert(long days) {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400L);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Telltale"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("telltale-test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
  }
  ~TestCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;
};

// A cpp-httplib server on 127.0.0.1, an ephemeral port, in a background thread.
template <typename S>
struct Served {
  std::unique_ptr<S> server;
  std::thread thread;
  int port = 0;
  explicit Served(std::unique_ptr<S> s) : server(std::move(s)) {
    int listen_fd = -1;
    server->set_socket_options([&](int fd) {
      int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      listen_fd = fd;
    });
    // cpp-httplib 0.11 listens with a backlog of 5 and 8 threads: hundreds of connections at once
    // on a loaded machine overflow the queue and wait for TCP retransmissions.
    server->new_task_queue = [] { return new httplib::ThreadPool(32); };
    port = server->bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    ::listen(listen_fd, 1024);  // a second listen() only raises the backlog
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Served() {
    server->stop();
    thread.join();
  }
  std::string url(std::string_view path, std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + std::string(path);
  }
};

// A listening socket on 127.0.0.1; `on_accept`, when given, handles each connection in a
// background thread (one at a time) and the server closes it afterwards.
struct RawServer {
  int fd = -1;
  int port = 0;
  std::atomic<bool> stop{false};
  std::thread thread;
  explicit RawServer(std::function<void(int)> on_accept = {}, int backlog = 512) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (!on_accept) return;  // the kernel completes handshakes up to the backlog
    thread = std::thread([this, on_accept] {
      while (!stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) continue;
        on_accept(c);
        ::close(c);
      }
    });
  }
  ~RawServer() {
    stop = true;
    if (thread.joinable()) thread.join();
    ::close(fd);
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
};

// A port nothing listens on: bound, read, closed.
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline std::unique_ptr<Probe> make_probe(const tt::probes::KindDescriptor& kind, uv_loop_t* loop) {
  REQUIRE(kind.make);
  return kind.make(loop);
}

// Options as the runner hands them to probes: validated, defaults filled in, durations in ms.
inline nlohmann::json options(const tt::probes::KindDescriptor& kind, const nlohmann::json& given) {
  auto r = tt::probes::normalize_options(kind, given);
  REQUIRE(r.ok());
  return tt::probes::probe_options(kind, *r);
}

// The value of a metric (with `label` as its first label's value, when given); fails the test
// when the observation has none.
inline double metric(const Observation& o, std::string_view name, std::string_view label = {}) {
  const auto* m = find_metric(o, name, label);
  if (!m) FAIL("no metric " << name << " " << label);
  return m ? m->value : 0;
}

// One probe of `kind` on a loop of its own. Observations land in slots; finish() (or the
// destructor) closes the probe, and the Loop proves that every handle went with it.
class Harness {
 public:
  using Slot = std::shared_ptr<std::optional<Observation>>;

  explicit Harness(const tt::probes::KindDescriptor& kind)
      : m_kind(kind), m_probe(make_probe(kind, &m_loop.loop)) {}
  ~Harness() { finish(); }

  Probe& probe() { return *m_probe; }
  uv_loop_t* loop() { return &m_loop.loop; }

  Request request(std::string target, const nlohmann::json& given, int timeout_ms) {
    return Request{std::move(target), tt::probes::make_options(options(m_kind, given)),
                   std::chrono::milliseconds(timeout_ms)};
  }

  Slot start(const Request& req) {
    auto slot = std::make_shared<std::optional<Observation>>();
    m_probe->run(req, [slot](Observation o) {
      CHECK_FALSE(slot->has_value());  // done exactly once
      *slot = std::move(o);
    });
    return slot;
  }

  void wait(const std::vector<Slot>& slots) {
    REQUIRE(m_loop.run_until([&] {
      for (const auto& s : slots)
        if (!s->has_value()) return false;
      return true;
    }));
  }

  Observation run(const Request& req) {
    auto slot = start(req);
    wait({slot});
    return std::move(**slot);
  }

  void finish() {
    if (!m_probe) return;
    m_probe->close();
    m_probe.reset();
  }

 private:
  const tt::probes::KindDescriptor& m_kind;
  Loop m_loop;  // declared first: destroyed last, after the probe
  std::unique_ptr<Probe> m_probe;
};

}  // namespace probe_test
