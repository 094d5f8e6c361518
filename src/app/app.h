// app/ — the composition root: builds every subsystem in order, wires the bus, serves, and on
// SIGTERM/SIGINT stops them in reverse order (stop accepting, close WebSockets, flush the
// writer, close the database). Also the data-directory helpers the offline commands share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace tt::app {

struct ServeOptions {
  std::string listen = "0.0.0.0:8470";
  std::string data_dir;  // empty: default_data_dir()
  std::string web_dir;   // empty: the embedded UI
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  double api_rate_per_s = 100;  // per client address; 0 disables
  int http_threads = 4;         // threads serve requests; idle keep-alive connections hold none
  // How long each tier of the time-series store keeps data.
  std::int64_t raw_retention_ms = 30LL * 86'400'000;
  std::int64_t rollup_1m_retention_ms = 180LL * 86'400'000;
  std::int64_t rollup_1h_retention_ms = 5LL * 365 * 86'400'000;
  std::size_t tsdb_head_mib = 8;  // tsdb::StoreOptions::max_head_bytes
  // How long the event log keeps events and how many at most (events::Retention).
  std::int64_t events_retention_ms = 30LL * 86'400'000;
  std::int64_t events_max = 1'000'000;
  // The SNMP trap receiver's UDP address, or "off". When it cannot bind (port 162 needs root or
  // CAP_NET_BIND_SERVICE) the receiver stays off and says so in the log.
  std::string snmp_trap_listen = "0.0.0.0:162";
  // Scheduled backups (backup/schedule.h): every this long (0: none), keeping this many, in
  // DATA/backups unless given.
  std::int64_t backup_every_ms = 0;
  int backup_keep = 7;
  std::string backup_dir;
  // HTTPS (app/https.h): a PEM certificate and key, reloaded on SIGHUP, or a self-signed pair
  // made once in DATA/tls; and a plain-HTTP HOST:PORT that redirects to it.
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  std::string http_redirect;
  // Behind reverse proxies (http/forwarded.h): the networks whose X-Forwarded-For (or, with
  // forwarded_header "forwarded", Forwarded) names the client; and the path prefix the proxy
  // serves Telltale under (http/base_path.h).
  std::vector<std::string> trusted_proxies;
  std::string forwarded_header = "x-forwarded-for";
  std::string base_path;
};

// /var/lib/telltale for root, else $XDG_DATA_HOME/telltale or ~/.local/share/telltale.
std::string default_data_dir();
// Creates the directory (mode 0700) when missing. Returns false with a message on failure.
bool ensure_data_dir(const std::string& dir, std::string& error);

// A data directory in use: an exclusive flock on DATA/telltale.lock for the holder's lifetime
// (the kernel drops it when the process dies, kill -9 too). A second server on the same
// directory would append to the same time-series log; a restore would replace files under a
// running server. Error: DATA_DIR_IN_USE (conflict) naming the holder's pid.
class DataDirLock {
 public:
  static Result<DataDirLock> acquire(const std::string& data_dir);
  DataDirLock(DataDirLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

// Runs the server until SIGTERM or SIGINT. Returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace tt::app
