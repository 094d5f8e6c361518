#include "app/app.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <thread>

#include "alerts/evaluator.h"
#include "alerts/inhibit_service.h"
#include "alerts/maintenance_service.h"
#include "alerts/service.h"
#include "api/api.h"
#include "app/https.h"
#include "app/live_series.h"
#include "app/signals.h"
#include "auth/auth.h"
#include "auth/password.h"
#include "backup/backup.h"
#include "backup/schedule.h"
#include "bus/bus.h"
#include "checks/recorder.h"
#include "checks/runner.h"
#include "checks/service.h"
#include "core/metrics.h"
#include "core/process_metrics.h"
#include "core/random.h"
#include "core/resident.h"
#include "db/database.h"
#include "db/disk_health.h"
#include "db/writer.h"
#include "events/log.h"
#include "fleet/fleet.h"
#include "fleet/ingestor.h"
#include "fleet/remote_runs.h"
#include "http/base_path.h"
#include "http/envelope.h"
#include "http/router.h"
#include "http/server.h"
#include "inventory/service.h"
#include "notify/curl_transport.h"
#include "notify/dispatcher.h"
#include "notify/service.h"
#include "query/query.h"
#include "snmp/discovery.h"
#include "snmp/engine.h"
#include "snmp/traps.h"
#include "tsdb/store.h"
#include "ws/handshake.h"
#include "ws/hub.h"

namespace tt::app {

namespace {

constexpr const char* kWsPath = "/api/v1/ws";
constexpr const char* kIngestPath = "/api/v1/ingest";
// Per maintenance pass (10 s): 200 a second, far above what the rate-limited producers write.
constexpr int kEventsPrunedPerPass = 2000;

bool split_listen(const std::string& listen, std::string& host, int& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    std::size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    return used == listen.size() - colon - 1 && port >= 0 && port <= 65535 && !host.empty();
  } catch (const std::exception&) {
    return false;
  }
}

// Browsers send Origin; a cookie-authenticated upgrade must come from our own pages. One
// without Origin is refused too: only a browser holds the cookie, and scripts use tokens.
// Behind a trusted proxy that rewrites Host, the host the browser asked the proxy for counts.
bool same_origin(const http::UpgradeRequest& up, const http::ClientOrigin& client) {
  auto origin = up.headers.find("Origin");
  if (origin == up.headers.end()) return false;
  auto is_origin_of = [&origin](const std::string& host) {
    return !host.empty() &&
           (origin->second == "http://" + host || origin->second == "https://" + host);
  };
  auto host = up.headers.find("Host");
  return (host != up.headers.end() && is_origin_of(host->second)) ||
         (client.proxied && is_origin_of(client.host));
}

// Opens the database and brings its schema up to date. A new database or a schema change needs
// room: on a full disk this waits for it, saying so once a minute, rather than exit into a
// supervisor's restart loop (a database that needs no change opens read-only in effect).
// Before migrations change the schema of a database that has data, a backup of it in
// DATA/backups: an upgrade can be undone by `telltale restore`. No backup, no migration.
Result<void> backup_before_migrating(const std::string& data_dir, SQLite::Database& db) {
  const int version = db.execAndGet("PRAGMA user_version").getInt();
  if (version == 0 || version >= db::latest_schema_version()) return ok();
  const std::string dir = data_dir + "/backups";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto out =
      backup::timestamped_path(dir, fmt::format("before-schema-{}", db::latest_schema_version()));
  TT_TRY(backup::write(data_dir, out));
  log::info("schema {} to {}: the database was backed up first, to {}", version,
            db::latest_schema_version(), out);
  return ok();
}

Result<std::unique_ptr<SQLite::Database>> open_database(const std::string& data_dir) {
  const std::string path = db::database_path(data_dir);
  for (int waited_s = 0;; waited_s += 5) {
    auto rw = db::open(path, db::Access::read_write);
    Result<void> saved = rw.ok() ? backup_before_migrating(data_dir, *rw.value()) : ok();
    auto version = !rw.ok()      ? Result<int>(rw.error())
                   : !saved.ok() ? Result<int>(saved.error())
                                 : db::migrate(*rw.value(), db::embedded_migrations());
    if (version.ok()) return rw;
    if (version.error().code != "DISK_FULL") return std::move(version).error();
    if (waited_s % 60 == 0)
      log::error("cannot open {} until there is room on the disk ({}); trying again every 5 s",
                 path, version.error().message);
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
}

// Who pushes on an ingest socket: an agent with its credential (its node's samples only), or a
// script with an API token of a user who may change things. Browsers' sessions do not push.
Result<ws::ClientInfo> ingest_client(const std::string& authorization, const std::string& remote,
                                     fleet::FleetService& fleet,
                                     const http::Authenticator& authenticator) {
  const auto bearer = http::bearer_token(authorization);
  if (!bearer)
    return Error::make(ErrorKind::unauthenticated, "UNAUTHENTICATED",
                       "send the agent's credential or an API token as 'Authorization: Bearer "
                       "<token>'");
  auto stream = std::make_shared<fleet::Stream>();
  // A stream is named by its credential's hash (as stored), not by its row's id: SQLite may
  // give a deleted row's id to the next credential, which would then inherit the old stream's
  // seqs and see its first batches dropped as repeats.
  const auto hash = auth::sha256(*bearer);
  std::string hash_prefix;
  for (int i = 0; i < 8; ++i) hash_prefix += fmt::format("{:02x}", hash[i]);
  ws::ClientInfo info;
  info.remote = remote;
  if (fleet::FleetService::is_agent_credential(*bearer)) {
    auto agent = TT_TRY(fleet.authenticate_agent(*bearer));
    stream->key = "agent:" + hash_prefix;
    stream->credential_id = agent.credential_id;
    stream->node_id = agent.node_id;
    stream->node_name = agent.node_name;
    stream->interval_ms = agent.interval_ms;
    info.user = "agent:" + agent.node_name;
    info.role = "agent";
  } else {
    auto who = TT_TRY(authenticator.token(*bearer));
    if (!auth::allows(who, auth::Permission::operate))
      return Error::make(ErrorKind::forbidden, "FORBIDDEN", "a viewer's token does not push");
    stream->key = "token:" + hash_prefix;
    info.user = who.user;
    info.role = std::string(auth::role_name(who.role));
    info.user_id = who.user_id;
    info.token_id = who.token_id;
    info.expires_at_ms = who.expires_at;
  }
  info.ingest = std::move(stream);
  return info;
}

// Closes the sockets opened with credentials that were revoked. Revocations reach the loop after
// their commit, so a socket authenticated just before one can be adopted just after it: the
// loop keeps the latest few and applies those an adoption missed.
class SocketRevoker {
 public:
  explicit SocketRevoker(ws::Hub& hub) : m_hub(hub) {}
  // Any thread, before authenticating an upgrade.
  std::uint64_t applied() const { return m_applied.load(); }
  // Loop thread.
  void revoke(const auth::Revocation& r) {
    m_latest.push_back(r);
    if (m_latest.size() > kKept) m_latest.pop_front();
    ++m_applied;
    close(r);
  }
  // Loop thread, after adopting a socket authenticated when applied() was `seen`.
  void adopted(std::uint64_t seen) {
    const auto missed = std::min<std::uint64_t>(m_applied.load() - seen, m_latest.size());
    for (auto it = m_latest.end() - static_cast<std::ptrdiff_t>(missed); it != m_latest.end(); ++it)
      close(*it);
  }

 private:
  static constexpr std::size_t kKept = 64;  // far more than can happen while one upgrade is posted
  void close(const auth::Revocation& r) {
    m_hub.close_revoked([&r](const ws::ClientInfo& c) {
      auth::Principal p;
      p.user_id = c.user_id;
      p.via = c.token_id ? auth::Principal::Via::token : auth::Principal::Via::session;
      p.token_id = c.token_id;
      p.session_id = c.session_id;
      return r.covers(p);
    });
  }
  ws::Hub& m_hub;
  std::atomic<std::uint64_t> m_applied{0};
  std::deque<auth::Revocation> m_latest;
};

// The node a node event is about (0: none, or `changed` is not among the fields it changed).
std::int64_t node_of(const bus::Event& e, const char* changed = nullptr) {
  const auto event = nlohmann::json::parse(*e.json, nullptr, false);
  if (!event.is_object()) return 0;
  const auto data = event.value("data", nlohmann::json::object());
  if (changed) {
    const auto fields = data.value("changed", nlohmann::json::array());
    if (std::find(fields.begin(), fields.end(), changed) == fields.end()) return 0;
  }
  return data.value(nlohmann::json::json_pointer("/node/id"), std::int64_t{0});
}

}  // namespace

std::string default_data_dir() {
  if (geteuid() == 0) return "/var/lib/telltale";
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/telltale";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.local/share/telltale";
  return "./telltale-data";
}

bool ensure_data_dir(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = fmt::format("cannot create the data directory {}: {}", dir, ec.message());
    return false;
  }
  ::chmod(dir.c_str(), 0700);
  if (::access(dir.c_str(), W_OK) != 0) {
    error = fmt::format("the data directory {} is not writable: {}", dir, std::strerror(errno));
    return false;
  }
  return true;
}

Result<DataDirLock> DataDirLock::acquire(const std::string& data_dir) {
  const std::string path = data_dir + "/telltale.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error::make(ErrorKind::internal, "DATA_DIR_IO",
                       fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    (void)!::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    std::string pid(holder);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error::make(ErrorKind::conflict, "DATA_DIR_IN_USE",
                       fmt::format("the data directory {} is in use by another telltale "
                                   "(pid {}): stop it first",
                                   data_dir, pid.empty() ? "unknown" : pid));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (m_fd >= 0) ::close(m_fd);  // and with it the lock
}

int serve(const ServeOptions& opt) {
  std::string host;
  int port = 0;
  if (!split_listen(opt.listen, host, port)) {
    log::error("--listen must be HOST:PORT, got '{}'", opt.listen);
    return 2;
  }
  auto trusted_proxies = http::TrustedProxies::parse(opt.trusted_proxies,
                                                     opt.forwarded_header == "forwarded"
                                                         ? http::ForwardedHeader::forwarded
                                                         : http::ForwardedHeader::x_forwarded_for);
  auto base_path = http::normalize_base_path(opt.base_path);
  for (const auto* invalid : {trusted_proxies.ok() ? nullptr : &trusted_proxies.error(),
                              base_path.ok() ? nullptr : &base_path.error()}) {
    if (!invalid) continue;
    log::error("{}", invalid->message);
    return 2;
  }

  std::string data_dir = opt.data_dir.empty() ? default_data_dir() : opt.data_dir;
  std::string err;
  if (!ensure_data_dir(data_dir, err)) {
    log::error("{}", err);
    return 1;
  }
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock.ok()) {
    log::error("{}", lock.error().message);
    return 1;
  }
  db::disk_health().watch(data_dir);
  std::string db_path = db::database_path(data_dir);
  auto rw = open_database(data_dir);
  if (!rw.ok()) {
    log::error("cannot open {}: {}", db_path, rw.error().message);
    return 1;
  }

  auto tls = serve_tls(opt, data_dir);
  if (!tls.ok()) {
    log::error("{}", tls.error().message);
    return tls.error().code == "TLS_OPTIONS" ? 2 : 1;
  }
  std::string redirect_host;
  int redirect_port = 0;
  if (!opt.http_redirect.empty() &&
      !split_listen(opt.http_redirect, redirect_host, redirect_port)) {
    log::error("--http-redirect must be HOST:PORT, got '{}'", opt.http_redirect);
    return 2;
  }

  // Signals are taken by the main thread alone (below): blocked before any thread starts.
  const StopSignals signals(Hangup::reloads);

  metrics::register_process_collector(metrics::registry());
  db::Writer writer(std::move(rw.value()));
  db::Readers readers(db_path);
  // The mark clears when there is room again even if nothing writes in the meantime.
  metrics::registry().add_collector([](metrics::Registry&) { db::disk_health().full(); });
  metrics::registry().add_collector([&writer](metrics::Registry& r) {
    static auto& sqlite = metrics::memory_pool("sqlite");
    sqlite.set(static_cast<double>(db::memory_used()));
    r.family("telltale_db_writer_queue_depth", "Jobs waiting for the writer thread.",
             metrics::Type::gauge)
        .gauge()
        .set(static_cast<double>(writer.queue_depth()));
  });

  bus::CoreLoop loop;
  bus::Bus bus(loop);
  ws::Hub hub(loop.uv());
  bus.events.subscribe([&hub](const bus::Event& e) {
    hub.publish(e.topic, e.json);
    hub.publish("events", e.json);
  });
  LiveSeries live;
  hub.on_series_topics_changed(
      [&live](const std::set<std::string>& topics) { live.set_topics(topics); });
  bus.samples.subscribe([&hub](const std::vector<bus::SeriesMessage>& messages) {
    for (const auto& m : messages) hub.publish(m.topic, m.data);
  });

  tsdb::StoreOptions store_options;
  store_options.log_dir = data_dir + "/tsdb";
  store_options.head_block_dir = data_dir + "/tsdb/heads";
  store_options.raw_retention_ms = opt.raw_retention_ms;
  store_options.rollup_1m_retention_ms = opt.rollup_1m_retention_ms;
  store_options.rollup_1h_retention_ms = opt.rollup_1h_retention_ms;
  store_options.max_head_bytes = opt.tsdb_head_mib << 20;
  tsdb::Store store(writer, readers, SystemClock::instance(), store_options);
  store.set_append_listener([&live] { return live.wanted(); },
                            [&live, &bus](const std::vector<SeriesSamples>& batch) {
                              if (auto messages = live.match(batch); !messages.empty())
                                bus.samples.publish(std::move(messages));
                            });
  // The event log is pruned by age and count in small batches, paced by the store's maintenance,
  // and freed heap goes back to the system after each pass.
  store.set_maintenance_task(
      [&writer, keep = events::Retention{opt.events_retention_ms, opt.events_max}] {
        auto pruned = writer
                          .submit<std::int64_t>(
                              [&keep](SQLite::Database& db) -> Result<std::int64_t> {
                                return events::prune(db, keep, SystemClock::instance().now_ms(),
                                                     kEventsPrunedPerPass);
                              },
                              db::Urgency::lazy)
                          .get();
        if (!pruned.ok()) log::warn("events: not pruned: {}", pruned.error().message);
        release_free_heap();
      });
  if (auto opened = store.open(); !opened.ok()) {
    log::error("cannot open the time-series store: {}", opened.error().message);
    return 1;
  }

  // The setup code is kept in the data directory too, for `telltale setup-code`.
  auth::AuthService auth(writer, readers, SystemClock::instance(),
                         {.setup_code_file = auth::setup_code_path(data_dir)});
  // A socket ends with the credential it was opened with.
  SocketRevoker revoker(hub);
  auth.on_revoked([&loop, &revoker](const auth::Revocation& r) {
    loop.post([&revoker, r] { revoker.revoke(r); });
  });
  inventory::NodeService nodes(writer, readers, bus, SystemClock::instance());
  inventory::PinService pins(writer, readers, bus, SystemClock::instance());
  // Agents: registration over HTTP; batches over the ingest socket, answered after their commit.
  fleet::FleetService fleet(writer, readers, bus, auth, SystemClock::instance());
  // An agent's socket ends with its credential: a new registration of its host, or the node's
  // deletion (its credentials go with it).
  auto close_agent_sockets = [&hub](std::int64_t node_id, std::int64_t kept) {
    hub.close_revoked([node_id, kept](const ws::ClientInfo& c) {
      const auto* s = static_cast<const fleet::Stream*>(c.ingest.get());
      return s && s->node_id == node_id && s->credential_id != kept;
    });
  };
  fleet.on_credentials_ended([&loop, close_agent_sockets](std::int64_t node_id, std::int64_t kept) {
    loop.post([close_agent_sockets, node_id, kept] { close_agent_sockets(node_id, kept); });
  });
  bus.events.subscribe([close_agent_sockets](const bus::Event& e) {
    if (e.kind != "node.deleted") return;
    if (const auto id = node_of(e)) close_agent_sockets(id, 0);
  });
  fleet::Ingestor ingestor(store, writer, readers, bus, SystemClock::instance(),
                           [&loop, &hub](std::uint64_t client, std::string message, bool close) {
                             loop.post([&hub, client, message = std::move(message), close] {
                               hub.send_to(client, message, close ? ws::kCloseTryAgainLater : 0);
                             });
                           });
  // Checks that run on agents: each run goes out on the agent's socket, and comes back on it.
  fleet::RemoteRuns remote_runs(loop.uv(), [&hub](std::int64_t node_id, const std::string& text) {
    const auto client = hub.find([node_id](const ws::ClientInfo& c) {
      const auto* s = static_cast<const fleet::Stream*>(c.ingest.get());
      return s && s->node_id == node_id;
    });
    if (client != 0) hub.send_to(client, text);
    return client != 0;
  });
  hub.on_ingest([&ingestor, &remote_runs](std::uint64_t client,
                                          const std::shared_ptr<const void>& ingest,
                                          std::string&& message, bool binary) {
    auto stream = std::static_pointer_cast<const fleet::Stream>(ingest);
    if (!binary && remote_runs.take(stream->node_id, message)) return true;
    return ingestor.submit(client, std::move(stream), std::move(message), binary);
  });
  if (auto started = ingestor.start(); !started.ok()) {
    log::error("cannot load the agents: {}", started.error().message);
    return 1;
  }

  // Checks: the runner drives probes on the loop; its results channel feeds the recorder.
  checks::Runner runner(loop, SystemClock::instance());
  runner.set_remote(
      [&remote_runs](std::int64_t node_id, probes::RunRequest run, probes::Done done) {
        remote_runs.run(node_id, std::move(run), std::move(done));
      });
  checks::Recorder recorder(writer, bus, SystemClock::instance(),
                            [&store](std::span<const RefSample> samples) -> Result<void> {
                              auto r = store.append(samples);
                              if (!r.ok()) return std::move(r).error();
                              return ok();
                            });
  runner.results().subscribe(
      [&recorder](const std::shared_ptr<const checks::CheckResult>& r) { recorder.take(r); });
  checks::CheckService check_service(writer, readers, bus, runner, recorder, store,
                                     SystemClock::instance());
  auto stored_checks = check_service.load_all();
  if (!stored_checks.ok()) {
    log::error("cannot load the checks: {}", stored_checks.error().message);
    return 1;
  }
  runner.start(std::move(stored_checks.value()));
  bus.events.subscribe([&check_service](const bus::Event& e) {
    if (e.kind != "node.updated") return;
    if (const auto id = node_of(e, "name")) check_service.node_renamed(id);
  });
  // SNMP: one engine on the loop (its sockets open on first use, on the loop thread).
  snmp::Engine snmp_engine(loop.uv());
  snmp::DiscoveryService discovery(loop, snmp_engine, nodes);
  // SNMP traps: received on the loop, stored as events and counted in snmp_traps by the trap
  // recorder's thread; v3 traps of the users in the keyring, which the trap user service fills.
  snmp::TrapKeyring trap_keyring;
  snmp::TrapUserService trap_users(writer, readers, trap_keyring, SystemClock::instance());
  if (auto loaded = trap_users.load(); !loaded.ok()) {
    log::error("cannot load the SNMP trap users: {}", loaded.error().message);
    return 1;
  }
  std::vector<LabelSet> trap_series;
  for (auto id : store.index().select(query::parse_selector("snmp_traps").value()))
    if (auto labels = store.index().labels_of(id)) trap_series.push_back(std::move(*labels));
  snmp::TrapRecorder trap_recorder(
      writer, bus, SystemClock::instance(),
      [&store](std::vector<SeriesSamples> series) {
        if (auto r = store.append(std::move(series)); !r.ok())
          log::warn("SNMP traps: not counted in snmp_traps: {}", r.error().message);
      },
      trap_series);
  snmp::TrapReceiver trap_receiver(
      loop.uv(), trap_keyring, trap_users.engine().engine_id, trap_users.engine().boots,
      [&trap_recorder](snmp::Trap t) { trap_recorder.take(std::move(t)); });

  // Alerts: rules evaluated on the evaluator's thread through the query engine; check_state
  // rules see the runner's live states (every check is in them from runner.start()).
  alerts::Evaluator evaluator(
      writer, bus, SystemClock::instance(), store,
      [&runner]() -> Result<std::vector<alerts::CheckStatus>> {
        std::vector<alerts::CheckStatus> out;
        for (const auto& [id, live] : runner.live_all())
          if (live.labels)
            out.push_back({id, *live.labels, live.state == checks::CheckState::down});
        return out;
      });
  alerts::AlertService alert_service(writer, readers, bus, evaluator, SystemClock::instance());
  // Notifications: outbox rows commit with the transitions they announce; the dispatcher thread
  // delivers them through libcurl on the loop, woken by the alerts' events after each commit.
  notify::CurlTransport notify_transport(loop);
  notify::Dispatcher dispatcher(writer, readers, notify_transport, SystemClock::instance());
  notify::ChannelService channels(writer, readers, notify_transport, SystemClock::instance());
  // Silenced and maintenance alerts are checked again when their notification is due.
  dispatcher.mute_with([&alert_service](const std::vector<std::int64_t>& ids) {
    auto muted = alert_service.muted(ids);
    if (!muted.ok())
      log::warn("notifications: cannot tell what is muted: {}", muted.error().message);
    return muted.ok() ? std::move(muted.value()) : std::set<std::int64_t>{};
  });
  evaluator.on_transition([](SQLite::Database& db, const alerts::Transition& t,
                             std::int64_t transition_id) {
    const auto& a = t.alert;
    bool fired = a.state == alerts::AlertState::firing && t.from != alerts::AlertState::firing;
    bool resolved = a.state == alerts::AlertState::resolved && t.from == alerts::AlertState::firing;
    if (!fired && !resolved) return;  // pending, and pending alerts that went away, are not news
    auto payload = alerts::to_json(a);
    payload["active_at_ms"] = a.active_at;
    if (a.fired_at) payload["fired_at_ms"] = *a.fired_at;
    if (a.resolved_at) payload["resolved_at_ms"] = *a.resolved_at;
    notify::enqueue(db, transition_id, a.rule_id, a.id,
                    fired ? notify::Notice::Event::firing : notify::Notice::Event::resolved,
                    payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), t.at);
  });
  bus.events.subscribe([&dispatcher](const bus::Event& e) {
    if (e.topic == "alerts" && (e.kind == "alert.firing" || e.kind == "alert.resolved"))
      dispatcher.wake();
  });
  {
    // A server that fails to write them (a full disk) still starts; they come at a later start.
    auto seeded = alert_service.seed_builtin();
    if (!seeded.ok())
      log::warn("built-in alert rules not created: {}", seeded.error().message);
    else if (!seeded->empty())
      log::info("built-in alert rules created: {}", fmt::join(seeded.value(), ", "));
    auto rules = alert_service.load_rules();
    auto active = rules.ok() ? alert_service.load_active()
                             : Result<std::vector<alerts::Alert>>(rules.error());
    if (!active.ok()) {
      log::error("cannot load the alert rules: {}", active.error().message);
      return 1;
    }
    evaluator.load(std::move(rules.value()), std::move(active.value()));
  }
  evaluator.start();
  alerts::MaintenanceService maintenance(writer, readers, bus, SystemClock::instance());
  alerts::InhibitService inhibit(writer, readers, bus, SystemClock::instance());
  dispatcher.start();

  http::Authenticator authenticator{
      [&auth](const std::string& cookie) { return auth.authenticate_session(cookie); },
      [&auth](const std::string& bearer) { return auth.authenticate_token(bearer); },
      [&auth](const std::string& kiosk) { return auth.authenticate_kiosk(kiosk); }};
  http::Router router(authenticator, {opt.api_rate_per_s, opt.api_rate_per_s * 2,
                                      trusted_proxies.value(), static_cast<bool>(*tls)});
  int schema = db::latest_schema_version();
  events::History history(readers);
  events::Log apply_log(writer, &bus, SystemClock::instance());
  api::Services services{auth,
                         nodes,
                         pins,
                         history,
                         check_service,
                         alert_service,
                         maintenance,
                         inhibit,
                         channels,
                         store,
                         discovery,
                         trap_users,
                         fleet,
                         apply_log,
                         readers,
                         {[&readers, schema] {
                            auto v = readers.with([](SQLite::Database& d) -> Result<int> {
                              return d.execAndGet("PRAGMA user_version").getInt();
                            });
                            return v.ok() && v.value() == schema;
                          },
                          [&loop] { return loop.ms_since_heartbeat() < 5000; },
                          [] { return db::disk_health().full(); }},
                         opt.web_dir,
                         data_dir,
                         base_path.value()};
  api::register_all(router, services);

  http::Server server(static_cast<std::size_t>(opt.http_threads));
  router.install(server);
  server.set_base_path(base_path.value());
  if (!trusted_proxies->empty())
    server.set_uncapped([&trusted_proxies](const std::string& address) {
      return trusted_proxies->contains(address);
    });
  server.set_tcp_nodelay(true);  // small JSON answers must not wait for Nagle's 40 ms
  server.set_payload_max_length(opt.max_body_bytes);
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(10);
  server.set_write_timeout(10);
  server.set_body_gate(
      [&authenticator](const std::string& authorization, const std::string& cookie) {
        return http::authenticate(authenticator, authorization, cookie).ok();
      });
  if (*tls) {
    server.set_tls(*tls);
    auto headers = http::security_headers();
    headers.push_back(http::kStrictTransportSecurity);
    server.set_default_headers(httplib::Headers(headers.begin(), headers.end()));
  }
  server.set_upgrade_handler({kWsPath, kIngestPath}, [&](http::UpgradeRequest& up) {
    std::string request_id = random_hex(8);
    auto header = [&up](std::string_view name) {
      auto it = up.headers.find(std::string(name));
      return it == up.headers.end() ? std::string() : it->second;
    };
    auto reject = [&](int status, const Error& e) {
      up.send(http::raw_error_response(status, e, request_id, up.scheme));
      return false;
    };
    auto handshake = ws::check_upgrade(up.method, up.version, header);
    if (!handshake.ok()) {
      return reject(ws::rejection_status(handshake.error()), handshake.error());
    }
    const std::uint64_t revocations_seen = revoker.applied();
    const auto client = http::origin_of(up.remote, up.headers, trusted_proxies.value());
    ws::ClientInfo info;
    if (up.path == kIngestPath) {
      auto pusher = ingest_client(header("Authorization"), client.address, fleet, authenticator);
      if (!pusher.ok()) return reject(http::status_for(pusher.error().kind), pusher.error());
      info = std::move(pusher.value());
    } else {
      auto who = http::authenticate(authenticator, header("Authorization"), header("Cookie"));
      // 401, or 403 for a kiosk link: the wall screen polls, it opens no socket.
      if (!who.ok()) return reject(http::status_for(who.error().kind), who.error());
      // A browser sends the cookie from any page; only our own pages may use it for a socket.
      if (who->via == auth::Principal::Via::session && !same_origin(up, client))
        return reject(403, Error::make(ErrorKind::forbidden, "ORIGIN_REJECTED",
                                       "cross-origin WebSocket refused"));
      info = ws::ClientInfo{who->user,       std::string(auth::role_name(who->role)),
                            client.address,  who->user_id,
                            who->session_id, who->token_id,
                            who->expires_at};
    }
    if (!up.send(handshake->response)) return false;
    int fd = up.fd;
    auto pipe = up.take_tls();
    loop.post([&hub, &revoker, fd, revocations_seen, info = std::move(info),
               leftover = std::move(up.leftover), place = up.hand_over(),
               filter = pipe ? ws_filter(std::move(pipe)) : nullptr]() mutable {
      hub.adopt(fd, std::move(info), std::move(leftover), std::move(place), std::move(filter));
      revoker.adopted(revocations_seen);
    });
    return true;
  });

  port = server.bind(host, port);
  if (port < 0) {
    log::error("cannot listen on {}: {}", opt.listen, std::strerror(errno));
    return 1;
  }
  HttpRedirect redirect;
  if (!opt.http_redirect.empty() && !redirect.start(redirect_host, redirect_port, port)) return 1;
  loop.start();
  if (opt.snmp_trap_listen != "off") {
    loop.post([&trap_receiver, listen = opt.snmp_trap_listen] {
      std::string trap_host;
      std::uint16_t trap_port = 162;
      auto bound = snmp::split_address(listen, trap_host, trap_port)
                       ? trap_receiver.listen(trap_host, trap_port)
                       : Result<int>(Error::make(ErrorKind::invalid_input, "SNMP_TRAP_LISTEN",
                                                 "not HOST:PORT"));
      if (bound.ok())
        log::info("SNMP traps: listening on udp {}:{}", trap_host, bound.value());
      else
        log::warn("SNMP traps: receiver off ({}: {})", listen, bound.error().message);
    });
  }
  backup::Schedule backups({.data_dir = data_dir,
                            .dir = opt.backup_dir.empty() ? data_dir + "/backups" : opt.backup_dir,
                            .every = std::chrono::milliseconds(opt.backup_every_ms),
                            .keep = opt.backup_keep});
  std::thread http_thread([&server] { server.listen_after_bind(); });
  // Log "listening" (and so take signals) only once the server can be stopped.
  for (int i = 0; i < 500 && !server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  std::string shown_host = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
  if (shown_host.find(':') != std::string::npos) shown_host = "[" + shown_host + "]";
  const char* scheme = *tls ? "https" : "http";
  log::info("telltale {} listening on {}://{}:{}{} (data in {})", TELLTALE_VERSION, scheme,
            shown_host, port, base_path.value(), data_dir);
  if (!trusted_proxies->empty())
    log::info("trusted proxies: {} (client addresses from {})",
              fmt::join(opt.trusted_proxies, ", "),
              opt.forwarded_header == "forwarded" ? "Forwarded" : "X-Forwarded-For");
  if (auto code = auth.setup_code()) {
    log::info("first run: open {}://{}:{}{}/ in a browser and create the admin account", scheme,
              shown_host, port, base_path.value());
    log::info("setup code: {}", *code);
    log::info("(or from a shell: telltale user add NAME --role admin --password-stdin --data {})",
              data_dir);
  }

  // Start-up's pages (migrations, loading every table, OpenSSL's initialisation) go back.
  log::debug("released {} KiB of start-up pages", release_startup_pages() / 1024);

  log::info("received {}, stopping", signals.wait([&tls] {
    if (!*tls) return log::info("received SIGHUP: no certificate to reload");
    if (auto reloaded = (*tls)->reload(); !reloaded.ok())
      return log::error("tls: kept the certificate in use: {}", reloaded.error().message);
    log::info("tls: reloaded {}", (*tls)->cert_file());
  }));
  server.shutdown();
  http_thread.join();
  dispatcher.stop();
  loop.stop([&hub, &runner, &remote_runs, &snmp_engine, &notify_transport, &trap_receiver] {
    runner.close();
    remote_runs.close();
    notify_transport.close();
    snmp_engine.close();
    trap_receiver.close();
    hub.close_all();
  });
  evaluator.stop();
  ingestor.stop();
  recorder.stop();
  trap_recorder.stop();
  store.close();
  writer.stop();
  log::info("stopped cleanly");
  return 0;
}

}  // namespace tt::app
