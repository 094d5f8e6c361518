// probes/tcp.cpp — TCP connect, optionally followed by a TLS handshake and a send/expect
// exchange.
//
// One uv_tcp_t carries everything; TLS is OpenSSL over memory BIOs: ciphertext read from the
// socket goes into one BIO, what OpenSSL wants sent comes out of the other and is written by
// libuv. Curl's CONNECT_ONLY could do the handshake, but send/expect afterwards would need a
// poll handle of our own on curl's socket (clashing with the multi driver's) and curl would hide
// the verify result we report. Names resolve on libuv's thread pool (uv_getaddrinfo); the first
// address is used, as blackbox_exporter does.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <uv.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "probes/kinds.h"
#include "probes/tls_info.h"

namespace tt::probes {

namespace {

constexpr std::size_t kMaxReceived = 65536;  // searched for `expect`
constexpr std::size_t kResponseFact = 4096;  // of it shown as the `response` fact

bool is_ip_literal(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET6, host.c_str(), &a6) == 1 || inet_pton(AF_INET, host.c_str(), &a4) == 1;
}

// host and port of "host:port" or "[v6]:port"; false when the target has neither.
bool split_target(const std::string& target, std::string& host, int& port) {
  std::string p;
  if (!target.empty() && target.front() == '[') {
    auto close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
      return false;
    host = target.substr(1, close - 1);
    p = target.substr(close + 2);
  } else {
    auto colon = target.rfind(':');
    if (colon == std::string::npos) return false;
    host = target.substr(0, colon);
    p = target.substr(colon + 1);
  }
  if (host.empty() || p.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos)
    return false;
  port = std::stoi(p);
  return port >= 1 && port <= 65535;
}

std::pair<std::string, std::string> classify_uv(int status, std::string_view doing) {
  std::string why = fmt::format("{}: {}", doing, uv_strerror(status));
  switch (status) {
    case UV_ECONNREFUSED:
      return {"refused", why};
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
    case UV_EADDRNOTAVAIL:
      return {"unreachable", why};
    case UV_ETIMEDOUT:
      return {"timeout", why};
    case UV_ECONNRESET:
      return {"reset", why};
    case UV_ECANCELED:
      return {"cancelled", why};
    default:
      return {"io", why};
  }
}

std::string ms_text(std::uint64_t ns) {
  return fmt::format("{} ms", std::llround(static_cast<double>(ns) / 1e6));
}

class TcpProbe;

// One run. Freed when every handle it opened is closed and every request it made has called
// back (`pending` counts both), which may be after its probe is gone.
struct TcpRun {
  TcpProbe* probe = nullptr;  // null once finished
  Done done;
  uv_loop_t* loop = nullptr;
  std::uint64_t start_ns = 0, connect_start_ns = 0, connected_ns = 0, tls_done_ns = 0;
  std::int64_t timeout_ms = 0;
  std::string host;
  int port = 0;
  bool use_tls = false, verify = true;
  std::string server_name, send, expect;
  sockaddr_storage addr{};
  std::string address;
  int ip_version = 0;

  uv_getaddrinfo_t gai{};
  bool gai_pending = false;
  uv_timer_t timer{};
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  int pending = 0;
  int writes_in_flight = 0;

  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // owned by ssl
  BIO* wbio = nullptr;
  bool handshaken = false;
  bool sent = false;
  std::string received;
  std::optional<TlsInfo> tls;
  char buf[16384];
  bool finished = false;

  ~TcpRun() {
    if (ssl) SSL_free(ssl);
  }
};

struct WriteReq {
  uv_write_t req{};
  std::string data;
  TcpRun* run = nullptr;
};

void release(TcpRun* run) {
  if (--run->pending == 0) delete run;
}

void on_handle_closed(uv_handle_t* h) { release(static_cast<TcpRun*>(h->data)); }

class TcpProbe final : public Probe {
 public:
  explicit TcpProbe(uv_loop_t* loop) : m_loop(loop), m_ctx(SSL_CTX_new(TLS_client_method())) {
    if (m_ctx) SSL_CTX_set_default_verify_paths(m_ctx);
  }
  ~TcpProbe() override {
    close();
    SSL_CTX_free(m_ctx);  // sessions still alive hold their own reference
  }

  void run(const Request& req, Done done) override {
    if (m_closed) return done(failed("cancelled", "the probe is closed"));
    auto* run = new TcpRun{};
    run->loop = m_loop;
    run->start_ns = uv_hrtime();
    run->timeout_ms = std::max<std::int64_t>(1, req.timeout.count());
    if (!split_target(req.target, run->host, run->port)) {
      delete run;
      return done(
          failed("invalid_option", fmt::format("target \"{}\" is not host:port", req.target)));
    }
    const auto& o = *req.options;
    try {
      auto get = [&](const char* name) -> const nlohmann::json* {
        if (!o.is_object()) return nullptr;
        auto it = o.find(name);
        return it == o.end() || it->is_null() ? nullptr : &*it;
      };
      if (auto* v = get("tls")) run->use_tls = v->get<bool>();
      if (auto* v = get("tls_verify")) run->verify = v->get<bool>();
      if (auto* v = get("server_name")) run->server_name = v->get<std::string>();
      if (auto* v = get("send")) run->send = v->get<std::string>();
      if (auto* v = get("expect")) run->expect = v->get<std::string>();
    } catch (const nlohmann::json::exception& ex) {
      delete run;
      return done(failed("invalid_option",
                         fmt::format("options do not match the tcp kind: {}", ex.what())));
    }
    if (run->server_name.empty()) run->server_name = run->host;
    if (run->use_tls && !m_ctx) {
      delete run;
      return done(failed("tls", "OpenSSL could not create a TLS context"));
    }
    run->done = std::move(done);
    run->probe = this;
    m_runs.insert(run);

    uv_update_time(m_loop);  // the loop's cached time may be stale after a long callback
    uv_timer_init(m_loop, &run->timer);
    run->timer.data = run;
    run->pending++;
    uv_timer_start(&run->timer, &TcpProbe::on_timeout, static_cast<std::uint64_t>(run->timeout_ms),
                   0);
    uv_tcp_init(m_loop, &run->tcp);
    run->tcp.data = run;
    run->pending++;

    if (is_ip_literal(run->host)) {
      addrinfo hints{};
      hints.ai_flags = AI_NUMERICHOST;
      addrinfo* res = nullptr;
      if (getaddrinfo(run->host.c_str(), nullptr, &hints, &res) != 0 || !res)
        return finish(run, "resolve", fmt::format("{} is not an address", run->host));
      use_address(run, res);
      freeaddrinfo(res);
      return start_connect(run);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    run->gai.data = run;
    int rc = uv_getaddrinfo(m_loop, &run->gai, &TcpProbe::on_resolved, run->host.c_str(), nullptr,
                            &hints);
    if (rc != 0)
      return finish(run, "resolve", fmt::format("resolving {}: {}", run->host, uv_strerror(rc)));
    run->gai_pending = true;
    run->pending++;
  }

  void close() override {
    if (m_closed) return;
    m_closed = true;
    auto runs = std::move(m_runs);
    m_runs.clear();
    for (auto* run : runs) finish(run, "cancelled", "the probe was closed");
  }

 private:
  static void use_address(TcpRun* run, const addrinfo* ai) {
    std::memcpy(&run->addr, ai->ai_addr, ai->ai_addrlen);
    char text[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&run->addr);
      a->sin6_port = htons(static_cast<std::uint16_t>(run->port));
      uv_ip6_name(a, text, sizeof text);
      run->ip_version = 6;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&run->addr);
      a->sin_port = htons(static_cast<std::uint16_t>(run->port));
      uv_ip4_name(a, text, sizeof text);
      run->ip_version = 4;
    }
    run->address = text;
  }

  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* run = static_cast<TcpRun*>(req->data);
    run->gai_pending = false;
    if (run->finished || status < 0 || !res) {
      if (res) uv_freeaddrinfo(res);
      if (!run->finished)
        finish(run, "resolve",
               fmt::format("resolving {}: {}", run->host,
                           status < 0 ? uv_strerror(status) : "no address"));
      return release(run);
    }
    use_address(run, res);
    uv_freeaddrinfo(res);
    start_connect(run);
    release(run);
  }

  static void start_connect(TcpRun* run) {
    run->connect_start_ns = uv_hrtime();
    run->connect.data = run;
    int rc = uv_tcp_connect(&run->connect, &run->tcp, reinterpret_cast<const sockaddr*>(&run->addr),
                            &TcpProbe::on_connect);
    if (rc != 0) {
      auto [code, why] = classify_uv(rc, "connecting to " + run->address);
      return finish(run, code, why);
    }
    run->pending++;
  }

  static void on_connect(uv_connect_t* req, int status) {
    auto* run = static_cast<TcpRun*>(req->data);
    if (!run->finished) {
      if (status < 0) {
        auto [code, why] = classify_uv(status, "connecting to " + run->address);
        finish(run, code, why);
      } else {
        run->connected_ns = uv_hrtime();
        uv_tcp_nodelay(&run->tcp, 1);
        uv_read_start(reinterpret_cast<uv_stream_t*>(&run->tcp), &TcpProbe::on_alloc,
                      &TcpProbe::on_read);
        if (run->use_tls)
          start_tls(run);
        else
          after_handshake(run);
      }
    }
    release(run);
  }

  static void start_tls(TcpRun* run) {
    run->ssl = SSL_new(run->probe->m_ctx);
    run->rbio = BIO_new(BIO_s_mem());
    run->wbio = BIO_new(BIO_s_mem());
    if (!run->ssl || !run->rbio || !run->wbio) {
      BIO_free(run->rbio);
      BIO_free(run->wbio);
      run->rbio = run->wbio = nullptr;
      return finish(run, "tls", "OpenSSL could not start a session");
    }
    SSL_set_bio(run->ssl, run->rbio, run->wbio);
    SSL_set_connect_state(run->ssl);
    bool ip = is_ip_literal(run->server_name);
    if (!ip) SSL_set_tlsext_host_name(run->ssl, run->server_name.c_str());
    SSL_set_verify(run->ssl, run->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (run->verify) {
      if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(run->ssl), run->server_name.c_str());
      else
        SSL_set1_host(run->ssl, run->server_name.c_str());
    }
    tls_step(run);
  }

  static void tls_step(TcpRun* run) {
    ERR_clear_error();
    int r = SSL_do_handshake(run->ssl);
    flush_tls(run);
    if (run->finished) return;
    if (r == 1) {
      run->handshaken = true;
      run->tls_done_ns = uv_hrtime();
      run->tls = tls_info(run->ssl);
      after_handshake(run);
      if (!run->finished) read_tls(run);  // application data may have come with the last flight
      return;
    }
    int err = SSL_get_error(run->ssl, r);
    if (err == SSL_ERROR_WANT_READ) return;
    long verify = SSL_get_verify_result(run->ssl);
    if (verify != X509_V_OK)
      return finish(run, "tls",
                    fmt::format("certificate verification failed: {}",
                                X509_verify_cert_error_string(verify)));
    char text[256] = "no reason given";
    if (unsigned long e = ERR_peek_last_error()) ERR_error_string_n(e, text, sizeof text);
    finish(run, "tls", fmt::format("TLS handshake failed: {}", text));
  }

  // Sends what OpenSSL has queued for the peer.
  static void flush_tls(TcpRun* run) {
    while (!run->finished && BIO_ctrl_pending(run->wbio) > 0) {
      std::string out(BIO_ctrl_pending(run->wbio), '\0');
      int n = BIO_read(run->wbio, out.data(), static_cast<int>(out.size()));
      if (n <= 0) break;
      out.resize(static_cast<std::size_t>(n));
      write_raw(run, std::move(out));
    }
  }

  static void write_raw(TcpRun* run, std::string data) {
    auto* w = new WriteReq{};
    w->data = std::move(data);
    w->run = run;
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    int rc =
        uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&run->tcp), &b, 1, &TcpProbe::on_written);
    if (rc != 0) {
      delete w;
      auto [code, why] = classify_uv(rc, "sending");
      return finish(run, code, why);
    }
    run->pending++;
    run->writes_in_flight++;
  }

  static void on_written(uv_write_t* req, int status) {
    auto* w = static_cast<WriteReq*>(req->data);
    TcpRun* run = w->run;
    delete w;
    run->writes_in_flight--;
    if (!run->finished) {
      if (status < 0) {
        auto [code, why] = classify_uv(status, "sending");
        finish(run, code, why);
      } else if (run->sent && run->expect.empty() && run->writes_in_flight == 0) {
        succeed(run);
      }
    }
    release(run);
  }

  static void after_handshake(TcpRun* run) {
    if (!run->send.empty()) {
      run->sent = true;
      if (run->ssl) {
        SSL_write(run->ssl, run->send.data(),
                  static_cast<int>(run->send.size()));  // into the memory BIO
        flush_tls(run);
      } else {
        write_raw(run, run->send);
      }
      return;  // on_written or the expected answer ends the run
    }
    if (run->expect.empty()) succeed(run);
  }

  static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* b) {
    auto* run = static_cast<TcpRun*>(h->data);
    *b = uv_buf_init(run->buf, sizeof run->buf);
  }

  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    auto* run = static_cast<TcpRun*>(s->data);
    if (run->finished || n == 0) return;
    if (n < 0) return on_closed_by_peer(run, static_cast<int>(n));
    if (!run->ssl) {
      keep(run, b->base, static_cast<std::size_t>(n));
      return check_expect(run);
    }
    BIO_write(run->rbio, b->base, static_cast<int>(n));
    if (!run->handshaken)
      tls_step(run);
    else
      read_tls(run);
  }

  static void read_tls(TcpRun* run) {
    char plain[16384];
    for (;;) {
      ERR_clear_error();
      int r = SSL_read(run->ssl, plain, sizeof plain);
      if (r > 0) {
        keep(run, plain, static_cast<std::size_t>(r));
        continue;
      }
      int err = SSL_get_error(run->ssl, r);
      flush_tls(run);
      if (run->finished) return;
      if (err == SSL_ERROR_WANT_READ) break;
      if (err == SSL_ERROR_ZERO_RETURN) return on_closed_by_peer(run, UV_EOF);
      return finish(run, "tls", "TLS error after the handshake");
    }
    check_expect(run);
  }

  static void keep(TcpRun* run, const char* data, std::size_t n) {
    if (run->received.size() < kMaxReceived)
      run->received.append(data, std::min(n, kMaxReceived - run->received.size()));
  }

  static void check_expect(TcpRun* run) {
    if (!run->expect.empty() && run->received.find(run->expect) != std::string::npos) succeed(run);
  }

  static void on_closed_by_peer(TcpRun* run, int status) {
    if (status != UV_EOF) {
      auto [code, why] = classify_uv(status, "reading");
      return finish(run, code, why);
    }
    if (run->ssl && !run->handshaken)
      return finish(run, "tls", "TLS handshake failed: the server closed the connection");
    if (!run->expect.empty())
      return finish(
          run, "expect",
          fmt::format("the server closed the connection before sending \"{}\"", run->expect));
    uv_read_stop(
        reinterpret_cast<uv_stream_t*>(&run->tcp));  // nothing to wait for: the writes end the run
  }

  static void on_timeout(uv_timer_t* t) {
    auto* run = static_cast<TcpRun*>(t->data);
    if (run->finished) return;
    auto limit = format_limit(run);
    if (run->address.empty())
      return finish(run, "timeout",
                    fmt::format("resolving {} did not finish within {}", run->host, limit));
    if (!run->connected_ns)
      return finish(run, "timeout",
                    fmt::format("connecting to {} did not finish within {}", run->address, limit));
    if (run->ssl && !run->handshaken)
      return finish(run, "timeout",
                    fmt::format("the TLS handshake did not finish within {}", limit));
    if (!run->expect.empty() && !run->received.empty())
      return finish(run, "expect",
                    fmt::format("\"{}\" not received within {}", run->expect, limit));
    finish(run, "timeout", fmt::format("no answer within {}", limit));
  }

  static std::string format_limit(const TcpRun* run) {
    return fmt::format("{} ms", run->timeout_ms);
  }

  static void succeed(TcpRun* run) {
    std::uint64_t end = run->tls_done_ns ? run->tls_done_ns : run->connected_ns;
    std::string msg;
    if (!run->expect.empty())
      msg = fmt::format("\"{}\" received from {} in {}", run->expect, run->address,
                        ms_text(uv_hrtime() - run->start_ns));
    else if (run->tls)
      msg = fmt::format("{} with {} in {}", run->tls->version, run->address,
                        ms_text(end - run->start_ns));
    else
      msg = fmt::format("connected to {} in {}", run->address, ms_text(end - run->start_ns));
    finish(run, "", std::move(msg));
  }

  // Ends the run once: reports, then closes its handles (they free the run when closed).
  static void finish(TcpRun* run, const std::string& error, std::string message) {
    if (run->finished) return;
    run->finished = true;
    if (run->probe) run->probe->m_runs.erase(run);
    run->probe = nullptr;

    Observation obs;
    obs.ok = error.empty();
    obs.error = error;
    obs.message = std::move(message);
    std::uint64_t now = uv_hrtime();
    obs.duration_s = static_cast<double>(now - run->start_ns) / 1e9;
    auto& f = obs.facts;
    f.reserve(run->tls ? 9 : 4);
    auto metric = [&](std::string_view name, double v, std::string_view label = {},
                      std::string label_value = {}) {
      obs.metrics.push_back({name, v, label, std::move(label_value)});
    };
    if (!run->address.empty()) {
      f["address"] = run->address;
      metric("probe_ip_protocol", run->ip_version);
      if (run->connect_start_ns)
        metric("probe_dns_lookup_time_seconds",
               static_cast<double>(run->connect_start_ns - run->start_ns) / 1e9);
    }
    if (run->connected_ns) {
      double connect_s = static_cast<double>(run->connected_ns - run->connect_start_ns) / 1e9;
      std::uint64_t end = run->tls_done_ns ? run->tls_done_ns : run->connected_ns;
      f["connect_time"] = connect_s;
      f["latency"] = static_cast<double>(end - run->start_ns) / 1e9;
      metric("probe_tcp_connect_duration_seconds", connect_s);
    }
    if (run->tls_done_ns)
      f["tls_time"] = static_cast<double>(run->tls_done_ns - run->connected_ns) / 1e9;
    if (run->tls) {
      f["cert_days"] = run->tls->cert_days;
      f["cert_issuer"] = run->tls->cert_issuer;
      f["cert_subject"] = run->tls->cert_subject;
      f["tls_version"] = run->tls->version;
      metric("probe_ssl_earliest_cert_expiry", run->tls->earliest_expiry_s);
      metric("probe_tls_version_info", 1, "version", run->tls->version);
    }
    if (!run->received.empty()) f["response"] = run->received.substr(0, kResponseFact);

    Done done = std::move(run->done);
    if (run->ssl) {
      SSL_free(run->ssl);
      run->ssl = nullptr;
    }
    uv_timer_stop(&run->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&run->timer), &on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&run->tcp),
             &on_handle_closed);  // cancels connect and writes
    if (run->gai_pending) uv_cancel(reinterpret_cast<uv_req_t*>(&run->gai));
    done(std::move(obs));
  }

  uv_loop_t* m_loop;
  SSL_CTX* m_ctx;
  std::unordered_set<TcpRun*> m_runs;
  bool m_closed = false;
};

}  // namespace

const KindDescriptor& tcp_kind() {
  static const KindDescriptor k{
      "tcp",
      "TCP port",
      "host:port, IPv6 in brackets: [2001:db8::1]:22",
      "example.org:443",
      "latency < 200ms",
      check_host_port,
      {{"tls", "TLS handshake", OptionType::boolean, false,
        "perform a TLS handshake after connecting"},
       {"tls_verify", "Verify the certificate", OptionType::boolean, true,
        "verify the certificate chain and host name"},
       {"server_name", "TLS server name", OptionType::string, nullptr,
        "TLS server name (SNI) when it differs from the host"},
       {"send", "Send", OptionType::string, nullptr, "bytes to send after connecting"},
       {"expect", "Expected answer", OptionType::string, nullptr,
        "text the first answer must contain"}},
      {duration_fact("latency", "time to connect (and handshake, with TLS)"),
       duration_fact("connect_time", "time to connect"),
       duration_fact("tls_time", "time of the TLS handshake"),
       number_fact("cert_days", "days until the server certificate expires"),
       string_fact("cert_issuer", "issuer of the server certificate"),
       string_fact("cert_subject", "subject of the server certificate"),
       string_fact("tls_version", "negotiated TLS version"),
       string_fact("response", "the first bytes the server sent"),
       string_fact("address", "the address connected to")},
      {},
      60000,
      10000,
      512,
      make_probe<TcpProbe>,
  };
  return k;
}

}  // namespace tt::probes
