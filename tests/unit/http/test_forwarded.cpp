// Behind reverse proxies (http/forwarded.h, http/base_path.h): the client's address comes from
// the trusted proxies' headers and from no one else's, and a base path is taken off the target.
#include <doctest/doctest.h>

#include "http/base_path.h"
#include "http/connection.h"
#include "http/forwarded.h"

using namespace tt::http;

namespace {

TrustedProxies trusted(std::vector<std::string> networks,
                       ForwardedHeader header = ForwardedHeader::x_forwarded_for) {
  auto t = TrustedProxies::parse(networks, header);
  REQUIRE(t.ok());
  return t.value();
}

ClientOrigin xff(std::string_view peer, std::vector<std::string_view> values,
                 const TrustedProxies& proxies) {
  ForwardingFields f;
  f.x_forwarded_for = std::move(values);
  return resolve_origin(peer, f, proxies);
}

ClientOrigin forwarded(std::string_view peer, std::vector<std::string_view> values,
                       const TrustedProxies& proxies) {
  ForwardingFields f;
  f.forwarded = std::move(values);
  return resolve_origin(peer, f, proxies);
}

}  // namespace

TEST_CASE("forwarded: networks are addresses or CIDRs, and anything else is refused") {
  auto t = trusted({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "172.16.5.9/12"});
  for (const char* in : {"10.1.2.3", "10.255.255.255", "192.168.1.7", "fd12::1", "::1",
                         "::ffff:10.9.9.9", "172.31.0.1", "172.16.0.0"})
    CHECK_MESSAGE(t.contains(in), in);
  for (const char* out : {"11.0.0.1", "192.168.1.8", "fe80::1", "::2", "172.32.0.1", "", "x",
                          "10.0.0.1:80", "10.0.0.0/8"})
    CHECK_MESSAGE(!t.contains(out), out);
  CHECK(trusted({"0.0.0.0/0"}).contains("8.8.8.8"));
  CHECK(!trusted({"0.0.0.0/0"}).contains("2001:db8::1"));
  CHECK(!TrustedProxies().contains("127.0.0.1"));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0/8", "host.lan", "10.0.0.0/", "/8",
                          "10.0.0.0/8x", "10.0.0.0/-1", ""}) {
    auto r = TrustedProxies::parse({bad});
    REQUIRE_MESSAGE(!r.ok(), bad);
    CHECK(r.error().code == "TRUSTED_PROXY_INVALID");
  }
}

TEST_CASE("forwarded: a peer that is not trusted is the client, whatever it sends") {
  auto t = trusted({"127.0.0.1"});
  auto o = xff("192.0.2.9", {"203.0.113.5"}, t);
  CHECK(o.address == "192.0.2.9");
  CHECK(!o.proxied);
  CHECK(forwarded("192.0.2.9", {"for=203.0.113.5;proto=https"}, t).address == "192.0.2.9");
  CHECK(forwarded("192.0.2.9", {"for=203.0.113.5;proto=https"}, t).scheme.empty());
  // Without any trusted proxy, nobody's headers count.
  CHECK(xff("127.0.0.1", {"203.0.113.5"}, TrustedProxies()).address == "127.0.0.1");
  // Addresses are canonical: a dual-stack socket's IPv4 peer is its IPv4 address.
  CHECK(xff("::ffff:192.0.2.9", {}, t).address == "192.0.2.9");
}

TEST_CASE("forwarded: X-Forwarded-For's rightmost hop that is not trusted is the client") {
  auto t = trusted({"127.0.0.1", "10.0.0.0/8"});
  CHECK(xff("127.0.0.1", {"203.0.113.5"}, t).address == "203.0.113.5");
  CHECK(xff("127.0.0.1", {"203.0.113.5"}, t).proxied);
  // What a client wrote itself is on the left, past the hop the proxy added: ignored.
  CHECK(xff("127.0.0.1", {"6.6.6.6, 203.0.113.5"}, t).address == "203.0.113.5");
  CHECK(xff("127.0.0.1", {"6.6.6.6", "203.0.113.5"}, t).address == "203.0.113.5");
  // Through two trusted proxies.
  CHECK(xff("127.0.0.1", {"6.6.6.6, 203.0.113.5, 10.0.0.2"}, t).address == "203.0.113.5");
  // Every hop trusted: the leftmost.
  CHECK(xff("127.0.0.1", {"10.0.0.3, 10.0.0.2"}, t).address == "10.0.0.3");
  // No header: the proxy itself.
  CHECK(xff("127.0.0.1", {}, t).address == "127.0.0.1");
  // Ports, brackets, bare IPv6, spaces and empty items.
  CHECK(xff("127.0.0.1", {"203.0.113.5:4711"}, t).address == "203.0.113.5");
  CHECK(xff("127.0.0.1", {"[2001:db8::1]:4711"}, t).address == "2001:db8::1");
  CHECK(xff("127.0.0.1", {" 2001:DB8:0::1 ,, "}, t).address == "2001:db8::1");
  // A hop that is no address ends the walk at the trusted one to its right.
  CHECK(xff("127.0.0.1", {"203.0.113.5, garbage"}, t).address == "127.0.0.1");
  CHECK(xff("127.0.0.1", {"203.0.113.5, unknown, 10.0.0.2"}, t).address == "10.0.0.2");
  CHECK(xff("127.0.0.1", {"203.0.113.5:99999"}, t).address == "127.0.0.1");
}

TEST_CASE("forwarded: X-Forwarded-Proto and -Host go with the hop") {
  auto t = trusted({"127.0.0.1"});
  ForwardingFields f;
  f.x_forwarded_for = {"203.0.113.5"};
  f.x_forwarded_proto = {"HTTPS"};
  f.x_forwarded_host = {"mon.example.com"};
  auto o = resolve_origin("127.0.0.1", f, t);
  CHECK(o.scheme == "https");
  CHECK(o.host == "mon.example.com");
  f.x_forwarded_proto = {"gopher"};
  CHECK(resolve_origin("127.0.0.1", f, t).scheme.empty());
  // As long as the hops: the value at the chosen hop's place.
  f.x_forwarded_for = {"203.0.113.5, 198.51.100.7"};
  f.x_forwarded_proto = {"https, http"};
  CHECK(resolve_origin("127.0.0.1", f, t).scheme == "http");
  CHECK(resolve_origin("127.0.0.1", f, trusted({"127.0.0.1", "198.51.100.7"})).scheme == "https");
}

TEST_CASE("forwarded: RFC 7239 Forwarded, read only when chosen") {
  auto t = trusted({"127.0.0.1", "10.0.0.0/8"}, ForwardedHeader::forwarded);
  auto o = forwarded("127.0.0.1", {"for=192.0.2.60;proto=https;by=203.0.113.43;host=mon.lan"}, t);
  CHECK(o.address == "192.0.2.60");
  CHECK(o.scheme == "https");
  CHECK(o.host == "mon.lan");
  CHECK(forwarded("127.0.0.1", {R"(For="[2001:db8:cafe::17]:4711")"}, t).address ==
        "2001:db8:cafe::17");
  CHECK(forwarded("127.0.0.1", {"for=6.6.6.6, for=192.0.2.60", "for=10.0.0.2"}, t).address ==
        "192.0.2.60");
  CHECK(forwarded("127.0.0.1", {R"(for="192.0.2.60:80";proto=http)"}, t).address == "192.0.2.60");
  // Quoted commas and semicolons belong to the value.
  CHECK(forwarded("127.0.0.1", {R"(for=192.0.2.60;host="a,b;c")"}, t).host == "a,b;c");
  // Obfuscated and unknown nodes, and malformed elements, end the walk.
  CHECK(forwarded("127.0.0.1", {"for=192.0.2.60, for=_hidden"}, t).address == "127.0.0.1");
  CHECK(forwarded("127.0.0.1", {"for=192.0.2.60, for=unknown"}, t).address == "127.0.0.1");
  CHECK(forwarded("127.0.0.1", {"for=192.0.2.60, for"}, t).address == "127.0.0.1");
  CHECK(forwarded("127.0.0.1", {R"(for="192.0.2.60)"}, t).address == "127.0.0.1");
  // The header not chosen is ignored: a proxy passes it through from the client.
  ForwardingFields both;
  both.forwarded = {"for=6.6.6.6"};
  both.x_forwarded_for = {"203.0.113.5"};
  CHECK(resolve_origin("127.0.0.1", both, t).address == "6.6.6.6");
  CHECK(resolve_origin("127.0.0.1", both, trusted({"127.0.0.1"})).address == "203.0.113.5");
}

TEST_CASE("base path: normalised, or refused with BASE_PATH_INVALID") {
  CHECK(normalize_base_path("").value().empty());
  CHECK(normalize_base_path("/").value().empty());
  CHECK(normalize_base_path("/telltale/").value() == "/telltale");
  CHECK(normalize_base_path("/a/b-c_d.e~f").value() == "/a/b-c_d.e~f");
  for (const char* bad :
       {"telltale", "/a//b", "/a/../b", "/a/./b", "/a b", "/a?b", "/a%20", "/\"><script>"}) {
    auto r = normalize_base_path(bad);
    REQUIRE_MESSAGE(!r.ok(), bad);
    CHECK(r.error().code == "BASE_PATH_INVALID");
  }
}

TEST_CASE("base path: the prefix is taken off targets under it, and only those") {
  auto edited = [](std::string head, std::string_view base) {
    auto parsed = parse_request_head(head);
    REQUIRE(parsed.state == HeadState::complete);
    if (auto e = without_base_path(parsed.head, head, base))
      head.replace(e->offset, e->length, e->text);
    return head.substr(0, head.find(" HTTP/1.1"));
  };
  auto get = [](std::string target) { return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"; };
  CHECK(edited(get("/tt/api/v1/nodes?x=1"), "/tt") == "GET /api/v1/nodes?x=1");
  CHECK(edited(get("/tt"), "/tt") == "GET /");
  CHECK(edited(get("/tt/"), "/tt") == "GET /");
  CHECK(edited(get("/tt?kiosk=1"), "/tt") == "GET /?kiosk=1");
  CHECK(edited(get("/ttx/api"), "/tt") == "GET /ttx/api");
  CHECK(edited(get("/api/v1/nodes"), "/tt") == "GET /api/v1/nodes");
  CHECK(edited(get("/tt/api"), "") == "GET /tt/api");
}

TEST_CASE("base path: index.html names its files under the prefix and tells the scripts") {
  std::string html =
      R"(<html><head><link rel="icon" href="/icon.svg" /><script src="/assets/m.js"></script>)"
      R"(<a href="//cdn.example/x">x</a><a href="https://e/">e</a></head></html>)";
  auto out = index_with_base_path(html, "/tt");
  CHECK(out.find(R"(href="/tt/icon.svg")") != std::string::npos);
  CHECK(out.find(R"(src="/tt/assets/m.js")") != std::string::npos);
  CHECK(out.find(R"(href="//cdn.example/x")") != std::string::npos);
  CHECK(out.find(R"(href="https://e/")") != std::string::npos);
  CHECK(out.find(R"(<meta name="telltale-base" content="/tt" />)") != std::string::npos);
  CHECK(index_with_base_path(html, "") == html);
}

TEST_CASE("connections: a trusted proxy is exempt from the per-client cap, not the total") {
  ConnectionLimits limits(3, 1);
  CHECK(limits.admit("p", ConnectionLimits::ClientCap::exempt) ==
        ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("p", ConnectionLimits::ClientCap::exempt) ==
        ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("p") == ConnectionLimits::Verdict::over_client_cap);
  CHECK(limits.admit("q") == ConnectionLimits::Verdict::admitted);
  CHECK(limits.admit("p", ConnectionLimits::ClientCap::exempt) ==
        ConnectionLimits::Verdict::over_total_cap);
}
