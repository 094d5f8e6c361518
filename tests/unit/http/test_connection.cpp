// What keeps one client from exhausting the server beyond the request head: the connection
// caps, and metric labels that a client cannot multiply or break.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

#include "core/metrics.h"
#include "http/connection.h"
#include "http/request_metrics.h"

using namespace tt::http;

TEST_CASE("metrics: methods are labelled from a fixed set") {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    CHECK(method_label(m) == m);
  for (const char* m : {"get", "TRACE", "CONNECT", "D\xff\xfe", "", "GET "})
    CHECK(method_label(m) == "other");
}

TEST_CASE("metrics: label values escape backslash, quote and newline") {
  tt::metrics::Registry r;
  r.family("t_total", "T.", tt::metrics::Type::counter).counter({{"v", "a\\b\"c\nd"}}).inc();
  CHECK(r.render().find("t_total{v=\"a\\\\b\\\"c\\nd\"} 1\n") != std::string::npos);
}

TEST_CASE("connections: caps per client and in all") {
  ConnectionLimits limits(3, 2);
  CHECK(limits.admit("a") == ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("a") == ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("a") == ConnectionLimits::Verdict::over_client_cap);
  CHECK(limits.admit("b") == ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("c") == ConnectionLimits::Verdict::over_total_cap);
  CHECK(limits.open() == 3);
  limits.release("a");
  CHECK(limits.admit("c") == ConnectionLimits::Verdict::admitted);
  limits.release("a");
  limits.release("b");
  limits.release("c");
  CHECK(limits.open() == 0);
  CHECK(ConnectionLimits(10, 64).per_client_cap() == 10);
}

TEST_CASE("connections: the total cap leaves descriptors to the rest of the server") {
  CHECK(connection_cap_for(256) == 128);
  CHECK(connection_cap_for(1024) == 896);
  CHECK(connection_cap_for(1 << 20) == 4096);
  CHECK(connection_cap_for(100) == 50);
  CHECK(connection_cap_for(1) == 1);
}

TEST_CASE("connections: a client is an IPv4 address or an IPv6 /64") {
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  v4->sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.7", &v4->sin_addr);
  CHECK(client_key(ss) == "192.0.2.7");
  ss = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  v6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &v6->sin6_addr);
  CHECK(client_key(ss) == "2001:db8:1:2::/64");
  inet_pton(AF_INET6, "::ffff:192.0.2.9", &v6->sin6_addr);
  CHECK(client_key(ss) == "192.0.2.9");
}
