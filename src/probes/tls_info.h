// probes/tls_info.h — what the HTTP and TCP probes report about a TLS session they completed:
// the leaf certificate's expiry, issuer and subject, the chain's earliest expiry, the version.
// Pure reads of an OpenSSL session; any thread, but the SSL must be alive for the call.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>

namespace tt::probes {

struct TlsInfo {
  double cert_days = 0;     // leaf notAfter minus now, in days (negative once expired)
  std::string cert_issuer;  // RFC 2253: "CN=R3,O=Let's Encrypt,C=US"
  std::string cert_subject;
  double earliest_expiry_s = 0;  // unix seconds, earliest notAfter the server sent (blackbox's
                                 // probe_ssl_earliest_cert_expiry)
  std::string version;           // "TLS 1.3", as blackbox labels probe_tls_version_info
};

// Empty when the server sent no certificate.
std::optional<TlsInfo> tls_info(const SSL* ssl);

}  // namespace tt::probes
