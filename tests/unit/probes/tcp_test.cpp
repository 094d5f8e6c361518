// The TCP probe against real listeners on 127.0.0.1, driven by a uv loop in the test thread.
#include <netdb.h>

#include <cstring>
#include <string>

#include "fixture.h"
#include "probes/kinds.h"

using namespace probe_test;
using tt::probes::make_options;
using tt::probes::tcp_kind;

namespace {

Request tcp_request(const std::string& target,
                    const nlohmann::json& opts = nlohmann::json::object(),
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return Request{target, make_options(options(tcp_kind(), opts)), timeout};
}

// Echoes what one read brings, then closes.
void echo_once(int fd) {
  char buf[1024];
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return;
  auto n = ::read(fd, buf, sizeof buf);
  if (n > 0) (void)::write(fd, buf, static_cast<std::size_t>(n));
}

bool localhost_is_127() {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  if (getaddrinfo("localhost", nullptr, &hints, &res) != 0 || !res) return false;
  bool v4 = res->ai_family == AF_INET &&
            reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  freeaddrinfo(res);
  return v4;
}

}  // namespace

TEST_SUITE("probes/tcp") {
  TEST_CASE("a listening port connects and reports the address and timings") {
    RawServer srv;
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o = run_one(l, *p, tcp_request(srv.target()));
    CHECK(o.ok);
    CHECK(o.message.rfind("connected to 127.0.0.1 in ", 0) == 0);
    CHECK(o.facts["address"] == "127.0.0.1");
    CHECK(o.facts["connect_time"].get<double>() >= 0);
    CHECK(o.facts["latency"].get<double>() >= o.facts["connect_time"].get<double>());
    CHECK(!o.facts.contains("tls_time"));
    REQUIRE(find_metric(o, "probe_ip_protocol"));
    CHECK(find_metric(o, "probe_ip_protocol")->value == 4);
    CHECK(find_metric(o, "probe_tcp_connect_duration_seconds"));
    p->close();
  }

  TEST_CASE("a host name is resolved on the thread pool") {
    if (!localhost_is_127()) return;  // only 127.0.0.1 may be probed
    RawServer srv;
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o = run_one(l, *p, tcp_request("localhost:" + std::to_string(srv.port)));
    CHECK(o.ok);
    CHECK(o.facts["address"] == "127.0.0.1");
    p->close();
  }

  TEST_CASE("a closed port is refused") {
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o = run_one(l, *p, tcp_request("127.0.0.1:" + std::to_string(closed_port())));
    CHECK(!o.ok);
    CHECK(o.error == "refused");
    p->close();
  }

  TEST_CASE("send and expect against an echo server") {
    RawServer srv(echo_once);
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o = run_one(l, *p, tcp_request(srv.target(), {{"send", "PING 42\r\n"}, {"expect", "42"}}));
    CHECK(o.ok);
    CHECK(o.facts["response"] == "PING 42\r\n");
    o = run_one(l, *p, tcp_request(srv.target(), {{"send", "hello\r\n"}, {"expect", "SSH-"}}));
    CHECK(o.error == "expect");
    CHECK(o.facts["response"] == "hello\r\n");
    p->close();
  }

  TEST_CASE("expect without an answer times out") {
    RawServer srv;  // accepts (in the kernel) and never speaks
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o = run_one(
        l, *p, tcp_request(srv.target(), {{"expect", "220 "}}, std::chrono::milliseconds(150)));
    CHECK(o.error == "timeout");
    CHECK(o.duration_s >= 0.14);
    CHECK(o.duration_s < 1);
    p->close();
  }

  TEST_CASE("TLS handshake reports the certificate; verification of a self-signed one fails") {
    TestCert cert(30);
    auto ssl = std::make_unique<httplib::SSLServer>(cert.cert, cert.key);
    ssl->Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("over tls", "text/plain");
    });
    Served srv(std::move(ssl));
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    std::string target = "127.0.0.1:" + std::to_string(srv.port);
    auto o = run_one(l, *p, tcp_request(target, {{"tls", true}, {"tls_verify", false}}));
    CHECK(o.ok);
    CHECK(o.facts["cert_days"].get<double>() == doctest::Approx(30).epsilon(0.01));
    CHECK(o.facts["cert_subject"] == "CN=telltale-test,O=Telltale");
    CHECK(o.facts["cert_issuer"] == "CN=telltale-test,O=Telltale");
    CHECK(o.facts["tls_version"] == "TLS 1.3");
    CHECK(o.facts["tls_time"].get<double>() > 0);
    CHECK(find_metric(o, "probe_tls_version_info", "TLS 1.3"));
    CHECK(find_metric(o, "probe_ssl_earliest_cert_expiry"));

    // TLS then an HTTP exchange over it.
    o = run_one(l, *p,
                tcp_request(target, {{"tls", true},
                                     {"tls_verify", false},
                                     {"send", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
                                     {"expect", "over tls"}}));
    CHECK(o.ok);

    o = run_one(l, *p, tcp_request(target, {{"tls", true}}));
    CHECK(o.error == "tls");
    CHECK(o.message.find("certificate verification failed") != std::string::npos);
    p->close();
  }

  TEST_CASE("a TLS handshake nobody answers times out") {
    RawServer srv;
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    auto o =
        run_one(l, *p, tcp_request(srv.target(), {{"tls", true}}, std::chrono::milliseconds(150)));
    CHECK(o.error == "timeout");
    CHECK(o.message.find("TLS handshake") != std::string::npos);
    p->close();
  }

  TEST_CASE("close() cancels runs in flight, once each, and lets the loop end") {
    RawServer srv;
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    std::vector<int> calls(50, 0);
    int cancelled = 0;
    for (int i = 0; i < 50; ++i)
      p->run(tcp_request(srv.target(), {{"expect", "never"}}), [&, i](Observation o) {
        ++calls[i];
        cancelled += o.error == "cancelled";
      });
    l.run_until([] { return false; }, std::chrono::milliseconds(50));
    p->close();
    CHECK(cancelled == 50);
    for (int c : calls) CHECK(c == 1);
    int after = 0;
    p->run(tcp_request(srv.target()), [&](Observation o) { after += o.error == "cancelled"; });
    CHECK(after == 1);
    p.reset();
  }

  TEST_CASE("many runs at once all complete") {
    RawServer srv;
    Loop l;
    auto p = make_probe(tcp_kind(), &l.loop);
    int done = 0, ok = 0;
    for (int i = 0; i < 300; ++i)
      p->run(tcp_request(srv.target()), [&](Observation o) {
        ++done;
        ok += o.ok;
      });
    REQUIRE(l.run_until([&] { return done == 300; }));
    CHECK(ok == 300);
    p->close();
  }
}
