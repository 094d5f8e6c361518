#include "probes/tls_info.h"

#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace tt::probes {

namespace {

std::optional<double> unix_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<double>(timegm(&tm));
}

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string{};
}

std::string version_label(const SSL* ssl) {
  switch (SSL_version(ssl)) {
    case TLS1_3_VERSION:
      return "TLS 1.3";
    case TLS1_2_VERSION:
      return "TLS 1.2";
    case TLS1_1_VERSION:
      return "TLS 1.1";
    case TLS1_VERSION:
      return "TLS 1.0";
    default:
      return SSL_get_version(ssl);
  }
}

}  // namespace

std::optional<TlsInfo> tls_info(const SSL* ssl) {
  if (!ssl) return std::nullopt;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (!leaf) return std::nullopt;
  TlsInfo info;
  double now = static_cast<double>(std::time(nullptr));
  auto leaf_expiry = unix_seconds(X509_get0_notAfter(leaf));
  info.cert_days = leaf_expiry ? (*leaf_expiry - now) / 86400.0 : 0;
  info.earliest_expiry_s = leaf_expiry.value_or(0);
  info.cert_issuer = name_text(X509_get_issuer_name(leaf));
  info.cert_subject = name_text(X509_get_subject_name(leaf));
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      auto t = unix_seconds(X509_get0_notAfter(sk_X509_value(chain, i)));
      if (t && (info.earliest_expiry_s == 0 || *t < info.earliest_expiry_s))
        info.earliest_expiry_s = *t;
    }
  }
  info.version = version_label(ssl);
  return info;
}

}  // namespace tt::probes
