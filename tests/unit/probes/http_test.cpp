// The HTTP probe against real cpp-httplib servers on 127.0.0.1, driven by a uv loop in the test
// thread.
#include "probes/http.h"

#include <ctime>
#include <string>

#include "curl/multi.h"
#include "fixture.h"
#include "probes/kinds.h"

using namespace probe_test;
using tt::probes::http_kind;
using tt::probes::make_options;
using tt::probes::normalize_options;

namespace {

std::unique_ptr<httplib::Server> test_routes() {
  auto s = std::make_unique<httplib::Server>();
  s->Get("/ok", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("all good here", "text/plain");
  });
  s->Get("/down", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("down", "text/plain");
  });
  s->Get("/redirect",
         [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/ok"); });
  s->Get("/loop",
         [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
  s->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    res.set_content("late", "text/plain");
  });
  s->Get("/large", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(3 * 1024 * 1024, 'x'), "application/octet-stream");
  });
  s->Get("/private", [](const httplib::Request& req, httplib::Response& res) {
    // "probe:s3cret" in base64
    if (req.get_header_value("Authorization") == "Basic cHJvYmU6czNjcmV0")
      return res.set_content("welcome", "text/plain");
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"test\"");
  });
  auto echo = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Seen-Method", req.method);
    res.set_content(req.get_header_value("X-Probe") + "|" + req.body, "text/plain");
  };
  s->Post("/echo", echo);
  s->Put("/echo", echo);
  return s;
}

Request http_request(const std::string& url, const nlohmann::json& opts = nlohmann::json::object(),
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return Request{url, make_options(options(http_kind(), opts)), timeout};
}

// Options past validation: the defaults with `raw` written over them unchecked.
Request unchecked_request(const std::string& url, const nlohmann::json& raw) {
  auto opts = options(http_kind(), nlohmann::json::object());
  for (const auto& [k, v] : raw.items()) opts[k] = v;
  return Request{url, make_options(std::move(opts)), std::chrono::seconds(5)};
}

}  // namespace

TEST_SUITE("probes/http") {
  TEST_CASE("expected_status accepts codes and ranges, nothing else") {
    using tt::probes::parse_status_ranges;
    using tt::probes::valid_status_ranges;
    for (const char* good : {"200", "200-399", "200,204,300-302", " 200 - 299 , 401 ", "100-599"})
      CHECK_MESSAGE(valid_status_ranges(good), good);
    for (const char* bad : {"", "2xx", "200-", "-200", "399-200", "200,,204", "200,", "99", "600",
                            "0200", "200 204", "200-299-300"})
      CHECK_MESSAGE(!valid_status_ranges(bad), bad);
    auto r = parse_status_ranges("200,204,300-302");
    REQUIRE(r);
    CHECK(tt::probes::status_in(*r, 204));
    CHECK(tt::probes::status_in(*r, 301));
    CHECK(!tt::probes::status_in(*r, 203));
  }

  TEST_CASE("curl resolves names off the calling thread") { CHECK(tt::curl::Multi::async_dns()); }

  TEST_CASE("a 200 answer reports facts and blackbox metrics") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(l, *p, http_request(srv.url("/ok")));
    CHECK(o.ok);
    CHECK(o.error.empty());
    CHECK(o.message.rfind("200 OK in ", 0) == 0);
    CHECK(o.facts["status"] == 200);
    CHECK(o.facts["body"] == "all good here");
    CHECK(o.facts["body_size"] == 13);
    CHECK(o.facts["headers"]["content-type"] == "text/plain");
    CHECK(o.facts["http_version"] == "1.1");
    CHECK(o.facts["redirects"] == 0);
    CHECK(o.facts["final_url"] == srv.url("/ok"));
    CHECK(o.facts["latency"].get<double>() > 0);
    CHECK(o.facts["latency"].get<double>() < 5);
    for (const char* f : {"dns_time", "connect_time", "tls_time", "first_byte_time"})
      CHECK(o.facts[f].get<double>() >= 0);
    CHECK(!o.facts.contains("cert_days"));
    REQUIRE(find_metric(o, "probe_http_status_code"));
    CHECK(find_metric(o, "probe_http_status_code")->value == 200);
    for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"})
      CHECK_MESSAGE(find_metric(o, "probe_http_duration_seconds", phase), phase);
    CHECK(find_metric(o, "probe_http_content_length")->value == 13);
    CHECK(find_metric(o, "probe_http_ssl")->value == 0);
    CHECK(find_metric(o, "probe_http_version")->value == doctest::Approx(1.1));
    CHECK(!find_metric(o, "probe_success"));
    CHECK(!find_metric(o, "probe_duration_seconds"));
    p->close();
  }

  TEST_CASE("an unexpected status fails with error status unless expected_status allows it") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(l, *p, http_request(srv.url("/down")));
    CHECK(!o.ok);
    CHECK(o.error == "status");
    CHECK(o.message == "503 Service Unavailable, expected 200-399");
    CHECK(o.facts["status"] == 503);
    o = run_one(l, *p, http_request(srv.url("/down"), {{"expected_status", "200,500-503"}}));
    CHECK(o.ok);
    // The API refuses such options; a probe handed them anyway refuses to run.
    CHECK(!normalize_options(http_kind(), {{"expected_status", "2xx"}}).ok());
    o = run_one(l, *p, unchecked_request(srv.url("/ok"), {{"expected_status", "2xx"}}));
    CHECK(o.error == "invalid_option");
    p->close();
  }

  TEST_CASE("redirects are followed, counted and limited") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(l, *p, http_request(srv.url("/redirect")));
    CHECK(o.ok);
    CHECK(o.facts["status"] == 200);
    CHECK(o.facts["redirects"] == 1);
    CHECK(o.facts["final_url"] == srv.url("/ok"));
    CHECK(find_metric(o, "probe_http_redirects")->value == 1);

    o = run_one(l, *p, http_request(srv.url("/redirect"), {{"follow_redirects", false}}));
    CHECK(o.ok);
    CHECK(o.facts["status"] == 302);
    CHECK(o.facts["headers"]["location"] == "/ok");

    o = run_one(l, *p, http_request(srv.url("/loop"), {{"max_redirects", 3}}));
    CHECK(o.error == "too_many_redirects");
    p->close();
  }

  TEST_CASE("keyword and invert_keyword test the body") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    CHECK(run_one(l, *p, http_request(srv.url("/ok"), {{"keyword", "good"}})).ok);
    auto o = run_one(l, *p, http_request(srv.url("/ok"), {{"keyword", "error"}}));
    CHECK(o.error == "keyword");
    CHECK(o.message == "200 OK, but the body does not contain \"error\"");
    CHECK(run_one(l, *p,
                  http_request(srv.url("/ok"), {{"keyword", "error"}, {"invert_keyword", true}}))
              .ok);
    CHECK(run_one(l, *p,
                  http_request(srv.url("/ok"), {{"keyword", "good"}, {"invert_keyword", true}}))
              .error == "keyword");
    p->close();
  }

  TEST_CASE("a slow answer ends as a timeout soon after the limit") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto start = std::chrono::steady_clock::now();
    auto o = run_one(l, *p, http_request(srv.url("/slow"), {}, std::chrono::milliseconds(200)));
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(o.error == "timeout");
    CHECK(took < std::chrono::milliseconds(700));
    CHECK(o.duration_s >= 0.19);
    p->close();
  }

  TEST_CASE("a large body is read to the end but kept only up to max_body_bytes") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(l, *p, http_request(srv.url("/large"), {{"max_body_bytes", 1000}}));
    CHECK(o.ok);
    CHECK(o.facts["body"].get<std::string>().size() == 1000);
    CHECK(o.facts["body_size"] == 3 * 1024 * 1024);
    p->close();
  }

  TEST_CASE("basic auth is sent") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    CHECK(run_one(l, *p, http_request(srv.url("/private"))).facts["status"] == 401);
    auto o = run_one(l, *p,
                     http_request(srv.url("/private"), {{"basic_auth_user", "probe"},
                                                        {"basic_auth_password", "s3cret"}}));
    CHECK(o.ok);
    CHECK(o.facts["body"] == "welcome");
    p->close();
  }

  TEST_CASE("method, headers and body reach the server") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(
        l, *p,
        http_request(srv.url("/echo"),
                     {{"method", "POST"}, {"headers", {{"X-Probe", "yes"}}}, {"body", "payload"}}));
    CHECK(o.ok);
    CHECK(o.facts["body"] == "yes|payload");
    CHECK(o.facts["headers"]["x-seen-method"] == "POST");
    o = run_one(l, *p, http_request(srv.url("/echo"), {{"method", "PUT"}, {"body", "put-body"}}));
    CHECK(o.facts["body"] == "|put-body");
    CHECK(o.facts["headers"]["x-seen-method"] == "PUT");
    nlohmann::json injected{{"method", "POST"}, {"headers", {{"X-Bad", "a\r\nInjected: 1"}}}};
    CHECK(!normalize_options(http_kind(), injected).ok());
    o = run_one(l, *p, unchecked_request(srv.url("/echo"), injected));
    CHECK(o.error == "invalid_option");
    p->close();
  }

  TEST_CASE("a closed port is refused") {
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o =
        run_one(l, *p, http_request("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
    CHECK(o.error == "refused");
    CHECK(!o.message.empty());
    p->close();
  }

  TEST_CASE("https reports the certificate; verification of a self-signed one fails with tls") {
    TestCert cert(30);
    auto ssl = std::make_unique<httplib::SSLServer>(cert.cert, cert.key);
    ssl->Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secure", "text/plain");
    });
    Served srv(std::move(ssl));
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    auto o = run_one(l, *p, http_request(srv.url("/ok", "https"), {{"tls_verify", false}}));
    CHECK(o.ok);
    CHECK(o.facts["cert_days"].get<double>() == doctest::Approx(30).epsilon(0.01));
    CHECK(o.facts["cert_issuer"] == "CN=telltale-test,O=Telltale");
    CHECK(o.facts["tls_time"].get<double>() > 0);
    CHECK(find_metric(o, "probe_http_ssl")->value == 1);
    REQUIRE(find_metric(o, "probe_ssl_earliest_cert_expiry"));
    CHECK(find_metric(o, "probe_ssl_earliest_cert_expiry")->value ==
          doctest::Approx(std::time(nullptr) + 30 * 86400.0).epsilon(0.001));

    o = run_one(l, *p, http_request(srv.url("/ok", "https")));
    CHECK(o.error == "tls");
    CHECK(o.message.find("certificate verification failed") != std::string::npos);
    p->close();
  }

  TEST_CASE("200 runs at once all complete") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    int done = 0, ok = 0;
    for (int i = 0; i < 200; ++i)
      p->run(http_request(srv.url("/ok"), {}, std::chrono::seconds(30)), [&](Observation o) {
        ++done;
        ok += o.ok;
        if (!o.ok) MESSAGE(o.error << ": " << o.message);
      });
    REQUIRE(l.run_until([&] { return done == 200; }, std::chrono::seconds(40)));
    CHECK(ok == 200);
    p->close();
  }

  TEST_CASE("close() cancels runs in flight, once each, and lets the loop end") {
    Served srv(test_routes());
    Loop l;
    auto p = make_probe(http_kind(), &l.loop);
    std::vector<int> calls(10, 0);
    int cancelled = 0;
    for (int i = 0; i < 10; ++i)
      p->run(http_request(srv.url("/slow")), [&, i](Observation o) {
        ++calls[i];
        cancelled += o.error == "cancelled";
      });
    l.run_until([] { return false; },
                std::chrono::milliseconds(100));  // connections open, answers pending
    p->close();
    CHECK(cancelled == 10);
    for (int c : calls) CHECK(c == 1);
    int after = 0;
    p->run(http_request(srv.url("/ok")), [&](Observation o) { after += o.error == "cancelled"; });
    CHECK(after == 1);
    p.reset();  // the handles' memory goes with their close callbacks; ~Loop checks they all closed
  }
}
