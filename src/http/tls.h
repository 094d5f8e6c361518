// http/tls.h — HTTPS for the server, through OpenSSL (which parses every TLS byte): the
// certificate and key (PEM files, reloaded on demand, or a self-signed pair the server makes once
// in its data directory), a session per accepted socket, and a session moved onto memory
// buffers for an owner that does its own socket I/O (the WebSocket hub on the libuv loop).
// TlsContext is thread-safe; a session belongs to one thread at a time, as its Connection does.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/connection.h"

using SSL_CTX = struct ssl_ctx_st;

namespace tt::http {

class TlsContext {
 public:
  // Reads the PEM certificate (a chain: leaf first) and its key. Errors (TLS_CERTIFICATE) name
  // the file and OpenSSL's reason.
  static Result<std::shared_ptr<TlsContext>> load(std::string cert_file, std::string key_file);

  // Reads the files again: connections accepted afterwards get the new pair, open ones keep
  // theirs. On error the pair in use stays.
  Result<void> reload();

  // A server session on an accepted socket, which it makes non-blocking; its handshake is
  // Connection::handshake()'s.
  SslPtr accept(int fd) const;

  // The certificate's notAfter, in seconds since the epoch.
  std::int64_t expires_at_s() const;
  const std::string& cert_file() const { return m_cert_file; }

 private:
  TlsContext(std::string cert_file, std::string key_file)
      : m_cert_file(std::move(cert_file)), m_key_file(std::move(key_file)) {}

  std::string m_cert_file, m_key_file;
  mutable std::mutex m_mutex;
  std::shared_ptr<SSL_CTX> m_ctx;  // sessions hold their own reference
  std::int64_t m_expires_at_s = 0;
};

// The certificate and key of --tls-self-signed: DIR/cert.pem and DIR/key.pem (0600), made on the
// first call (a P-256 key; the SANs are `hostname`, localhost, 127.0.0.1 and ::1; valid for
// five years) and reused afterwards. Returns the two paths.
struct TlsFiles {
  std::string cert, key;
};
Result<TlsFiles> self_signed_files(const std::string& dir, const std::string& hostname);

// A session whose handshake is done, moved off its socket onto memory buffers: its owner reads
// and writes the socket itself and passes the bytes through here.
class TlsPipe {
 public:
  explicit TlsPipe(SslPtr ssl);
  // `in` (read from the socket) in; the plaintext it carried appended to `plain`, and what the
  // session must send in return (say, a key update) to `to_send`. False: the peer closed the
  // session or it failed; the socket should close.
  bool decrypt(std::string_view in, std::string& plain, std::string& to_send);
  // Plaintext in; the records to write to the socket appended to `out`.
  void encrypt(std::string_view plain, std::string& out);

 private:
  void drain(std::string& out);
  SslPtr m_ssl;
};

// Counts a handshake by its outcome (telltale_tls_handshakes_total): ok, failed, timeout.
void count_handshake(const char* outcome);

}  // namespace tt::http
