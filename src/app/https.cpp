#include "app/https.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "app/app.h"
#include "core/log.h"

namespace tt::app {

namespace {

class TlsFilter final : public ws::StreamFilter {
 public:
  explicit TlsFilter(std::unique_ptr<http::TlsPipe> pipe) : m_pipe(std::move(pipe)) {}
  bool decode(std::string_view in, std::string& plain, std::string& reply) override {
    return m_pipe->decrypt(in, plain, reply);
  }
  void encode(std::string_view plain, std::string& out) override { m_pipe->encrypt(plain, out); }

 private:
  std::unique_ptr<http::TlsPipe> m_pipe;
};

// The host part of a Host header when it is a plain name or address, else empty: it goes into
// a Location header.
std::string redirect_host(const std::string& host_header) {
  std::string host = host_header;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (auto colon = host.find(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::strchr(".-_[]:", c) == nullptr)
      return {};
  return host;
}

}  // namespace

Result<std::shared_ptr<http::TlsContext>> serve_tls(const ServeOptions& options,
                                                    const std::string& data_dir) {
  auto refuse = [](std::string message) {
    return Error::make(ErrorKind::invalid_input, "TLS_OPTIONS", std::move(message));
  };
  bool files = !options.tls_cert.empty() || !options.tls_key.empty();
  if (files && (options.tls_cert.empty() || options.tls_key.empty()))
    return refuse("--tls-cert and --tls-key go together");
  if (files && options.tls_self_signed)
    return refuse("--tls-self-signed makes its own certificate: leave out --tls-cert/--tls-key");
  if (!files && !options.http_redirect.empty() && !options.tls_self_signed)
    return refuse("--http-redirect redirects to HTTPS: give a certificate");
  if (!files && !options.tls_self_signed) return std::shared_ptr<http::TlsContext>();
  http::TlsFiles pair{options.tls_cert, options.tls_key};
  if (options.tls_self_signed) {
    char hostname[256] = {};
    ::gethostname(hostname, sizeof hostname - 1);
    pair = TT_TRY(http::self_signed_files(data_dir + "/tls", hostname));
  }
  return http::TlsContext::load(pair.cert, pair.key);
}

std::shared_ptr<ws::StreamFilter> ws_filter(std::unique_ptr<http::TlsPipe> pipe) {
  return std::make_shared<TlsFilter>(std::move(pipe));
}

bool HttpRedirect::start(const std::string& host, int port, int https_port) {
  auto redirect = [https_port](const httplib::Request& req, httplib::Response& res) {
    auto host = redirect_host(req.get_header_value("Host"));
    if (host.empty()) host = "localhost";
    res.status = 308;
    res.set_header("Location", "https://" + host +
                                   (https_port == 443 ? "" : ":" + std::to_string(https_port)) +
                                   req.target);
  };
  m_server.Get(".*", redirect)
      .Post(".*", redirect)
      .Put(".*", redirect)
      .Patch(".*", redirect)
      .Delete(".*", redirect)
      .Options(".*", redirect);
  if ((port = m_server.bind(host, port)) < 0) {
    log::error("--http-redirect {}:{}: cannot listen: {}", host, port, std::strerror(errno));
    return false;
  }
  m_thread = std::thread([this] { m_server.listen_after_bind(); });
  log::info("http: redirecting http://{}:{} to https", host, port);
  return true;
}

HttpRedirect::~HttpRedirect() {
  m_server.shutdown();
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace tt::app
