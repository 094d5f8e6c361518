// app/https.h — what `serve` needs for HTTPS beyond http/'s TLS: the certificate its options
// name (files, or the self-signed pair in DATA/tls), the WebSocket hub's filter over a
// connection's TLS session, and the plain-HTTP listener that redirects to HTTPS.
// Called from serve()'s thread, except the filter (the core loop's, as the hub).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/result.h"
#include "http/server.h"
#include "http/tls.h"
#include "ws/hub.h"

namespace tt::app {

struct ServeOptions;

// The certificate to serve, or null for plain HTTP. Errors: TLS_OPTIONS (a key without a
// certificate, both files and --tls-self-signed), TLS_CERTIFICATE (unreadable or mismatched).
Result<std::shared_ptr<http::TlsContext>> serve_tls(const ServeOptions& options,
                                                    const std::string& data_dir);

// A connection's TLS session as the hub's stream filter.
std::shared_ptr<ws::StreamFilter> ws_filter(std::unique_ptr<http::TlsPipe> pipe);

// The plain-HTTP listener of --http-redirect: every request is answered 308 to the same target
// on https://, at the request's Host with the HTTPS port. It has the HTTP server's parker, so
// its connections are held to the same caps and timeouts.
class HttpRedirect {
 public:
  // Listens on host:port; false with a log line when it cannot.
  bool start(const std::string& host, int port, int https_port);
  ~HttpRedirect();  // stops

 private:
  http::Server m_server{1};
  std::thread m_thread;
};

}  // namespace tt::app
