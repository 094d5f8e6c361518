#include "http/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/log.h"
#include "core/metrics.h"
#include "core/random.h"

namespace tt::http {

namespace {

constexpr long kSelfSignedDays = 5 * 365;

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Error certificate_error(const std::string& file, const std::string& what) {
  return Error::make(ErrorKind::invalid_input, "TLS_CERTIFICATE",
                     fmt::format("{}: {}: {}", file, what, openssl_reason()));
}

metrics::Gauge& expiry_gauge() {
  static auto& g = metrics::gauge("telltale_tls_certificate_expiry_timestamp_seconds",
                                  "When the served TLS certificate expires (its notAfter).");
  return g;
}

std::int64_t not_after_s(const X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace

void count_handshake(const char* outcome) {
  static auto& f = metrics::registry().family(
      "telltale_tls_handshakes_total",
      "TLS handshakes of the server by outcome: ok, failed (the client's or a protocol error), "
      "timeout (not done within the idle timeout).",
      metrics::Type::counter);
  f.counter({{"outcome", outcome}}).inc();
}

Result<std::shared_ptr<TlsContext>> TlsContext::load(std::string cert_file, std::string key_file) {
  std::shared_ptr<TlsContext> tls(new TlsContext(std::move(cert_file), std::move(key_file)));
  TT_TRY(tls->reload());
  return tls;
}

Result<void> TlsContext::reload() {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), CtxFree{});
  if (!ctx) return Error::make(ErrorKind::internal, "TLS_CERTIFICATE", "cannot make a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // A peer that closes without close_notify is an end, as for plain HTTP; SSL_write may write
  // part of a buffer, as send() does, and be retried with the rest from a moved buffer; an idle
  // session gives its record buffers back (about 20 KiB per WebSocket that waits for events).
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), m_cert_file.c_str()) != 1)
    return certificate_error(m_cert_file, "cannot read the certificate");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), m_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return certificate_error(m_key_file, "cannot read the key");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return certificate_error(m_key_file, "the key is not the certificate's");
  auto expires = not_after_s(SSL_CTX_get0_certificate(ctx.get()));
  std::lock_guard lock(m_mutex);
  m_ctx = std::move(ctx);
  m_expires_at_s = expires;
  expiry_gauge().set(static_cast<double>(expires));
  return {};
}

SslPtr TlsContext::accept(int fd) const {
  std::shared_ptr<SSL_CTX> ctx;
  {
    std::lock_guard lock(m_mutex);
    ctx = m_ctx;
  }
  SslPtr ssl(SSL_new(ctx.get()));  // holds its own reference to ctx
  if (!ssl) return ssl;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  SSL_set_fd(ssl.get(), fd);
  SSL_set_accept_state(ssl.get());
  return ssl;
}

std::int64_t TlsContext::expires_at_s() const {
  std::lock_guard lock(m_mutex);
  return m_expires_at_s;
}

namespace {

// Adds one X509v3 extension to a certificate signed by itself.
bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Writes `write(FILE*)` to `path` through a temporary file, created with `mode`, then renamed:
// a crash leaves no half-written file that the next start would take for a good one.
template <typename Write>
Result<void> write_pem(const std::string& path, mode_t mode, Write write) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "w");
  if (!f) {
    if (fd >= 0) ::close(fd);
    return Error::make(ErrorKind::internal, "TLS_CERTIFICATE",
                       fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  }
  bool ok = write(f) == 1;
  ok = ::fflush(f) == 0 && ::fsync(::fileno(f)) == 0 && ok;
  ::fclose(f);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::make(ErrorKind::internal, "TLS_CERTIFICATE", "cannot write " + path);
  }
  return {};
}

}  // namespace

Result<TlsFiles> self_signed_files(const std::string& dir, const std::string& hostname) {
  TlsFiles files{dir + "/cert.pem", dir + "/key.pem"};
  std::error_code ec;
  if (std::filesystem::exists(files.cert, ec) && std::filesystem::exists(files.key, ec))
    return files;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert)
    return Error::make(ErrorKind::internal, "TLS_CERTIFICATE", "cannot make a key");
  auto serial = random_bytes(16);
  serial[0] &= 0x7f;  // a positive INTEGER
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr), BN_free);
  std::string sans = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (!hostname.empty() && hostname != "localhost") sans = "DNS:" + hostname + "," + sans;
  auto* name = X509_get_subject_name(cert.get());
  bool ok =
      X509_set_version(cert.get(), 2) == 1 && bn &&
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kSelfSignedDays * 86400) != nullptr &&
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(hostname.empty() ? "localhost" : hostname.c_str()),
          -1, -1, 0) == 1 &&
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("Telltale (self-signed)"),
                                 -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1 &&
      add_extension(cert.get(), NID_subject_alt_name, sans.c_str()) &&
      add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
      add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
      add_extension(cert.get(), NID_ext_key_usage, "serverAuth") &&
      add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
      X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok)
    return Error::make(ErrorKind::internal, "TLS_CERTIFICATE",
                       "cannot make a self-signed certificate: " + openssl_reason());
  // The key first: a certificate without its key would be taken for a finished pair.
  TT_TRY(write_pem(files.key, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  TT_TRY(write_pem(files.cert, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }));
  log::info("tls: made a self-signed certificate for {} in {}", sans, dir);
  return files;
}

TlsPipe::TlsPipe(SslPtr ssl) : m_ssl(std::move(ssl)) {
  // Bytes OpenSSL read from the socket and not yet returned stay inside the session.
  SSL_set_bio(m_ssl.get(), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
}

void TlsPipe::drain(std::string& out) {
  BIO* wbio = SSL_get_wbio(m_ssl.get());
  char buf[16384];
  for (int n; (n = BIO_read(wbio, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
}

bool TlsPipe::decrypt(std::string_view in, std::string& plain, std::string& to_send) {
  if (!in.empty() &&
      BIO_write(SSL_get_rbio(m_ssl.get()), in.data(), static_cast<int>(in.size())) <= 0)
    return false;
  char buf[16384];
  bool open = true;
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(m_ssl.get(), buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    open = SSL_get_error(m_ssl.get(), n) == SSL_ERROR_WANT_READ;
    break;
  }
  drain(to_send);
  return open;
}

void TlsPipe::encrypt(std::string_view plain, std::string& out) {
  while (!plain.empty()) {
    ERR_clear_error();
    int n = SSL_write(m_ssl.get(), plain.data(),
                      static_cast<int>(std::min<std::size_t>(plain.size(), 1 << 20)));
    if (n <= 0) break;  // a failed session: the socket's next read ends it
    plain.remove_prefix(static_cast<std::size_t>(n));
  }
  drain(out);
}

}  // namespace tt::http
