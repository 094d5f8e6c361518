#include "agent/runner.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "agent/send_window.h"
#include "collect/containers.h"
#include "collect/identity.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/text.h"

namespace tt::agent {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kIngestPath = "/api/v1/ingest";
constexpr const char* kRegisterPath = "/api/v1/agents/register";
constexpr auto kHubTimeout = 15s;
constexpr auto kMaxBackoff = 30s;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The addresses of an interface, IPv4 first; link-local IPv6 ones left out.
std::vector<std::string> addresses_of(const std::string& interface) {
  std::vector<std::string> v4, v6;
  ifaddrs* list = nullptr;
  if (interface.empty() || getifaddrs(&list) != 0) return {};
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || interface != a->ifa_name) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char host[NI_MAXHOST];
    const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (getnameinfo(a->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) continue;
    std::string s = host;
    if (family == AF_INET6 && (s.starts_with("fe80") || s.find('%') != std::string::npos)) continue;
    (family == AF_INET ? v4 : v6).push_back(std::move(s));
  }
  freeifaddrs(list);
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

Result<std::string> compress(std::string_view text) {
  std::string out(compressBound(static_cast<uLong>(text.size())), '\0');
  uLongf len = static_cast<uLongf>(out.size());
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &len,
                reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                6) != Z_OK)
    return Error::make(ErrorKind::internal, "INTERNAL", "cannot compress a batch");
  out.resize(len);
  return out;
}

// A binary batch: the seq in 8 bytes big-endian, then the compressed batch as the buffer holds it.
std::string frame(const Record& r) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(r.seq >> (56 - 8 * i));
  out += r.payload;
  return out;
}

// Jittered exponential backoff: a fleet that lost its hub does not come back in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base.count() * f(rng)));
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_labels(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    const auto eq = item.find('=');
    if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
    out[std::string(trim(item.substr(0, eq)))] = std::string(trim(item.substr(eq + 1)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<Location> parse_location(std::string_view text) {
  Location l;
  const auto c1 = text.find(',');
  if (c1 == std::string_view::npos) return std::nullopt;
  const auto c2 = text.find(',', c1 + 1);
  try {
    std::size_t used = 0;
    const std::string lat(text.substr(0, c1)), lon(text.substr(c1 + 1, c2 - c1 - 1));
    l.lat = std::stod(lat, &used);
    if (used != lat.size()) return std::nullopt;
    l.lon = std::stod(lon, &used);
    if (used != lon.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (l.lat < -90 || l.lat > 90 || l.lon < -180 || l.lon > 180) return std::nullopt;
  if (c2 != std::string_view::npos) l.place = std::string(text.substr(c2 + 1));
  return l;
}

std::string registration_body(const AgentConfig& config) {
  const auto id = collect::identify(config.roots);
  const auto addresses = addresses_of(id.interface);
  json metadata{{"os", id.os},
                {"kernel", id.kernel},
                {"arch", id.arch},
                {"cpu_model", id.cpu_model},
                {"cores", id.cores},
                {"memory_bytes", id.memory_bytes},
                {"boot_time", id.boot_time_s},
                {"agent_version", config.version}};
  if (!addresses.empty()) metadata["addresses"] = addresses;
  json body{{"identity", id.id},
            {"name", config.name.empty() ? id.hostname : config.name},
            {"type", config.type},
            {"interval", format_duration_ms(config.interval.count())},
            {"metadata", std::move(metadata)}};
  if (!addresses.empty()) body["address"] = addresses.front();
  if (!id.mac.empty()) body["mac"] = id.mac;
  if (!config.labels.empty()) body["labels"] = config.labels;
  if (config.location) {
    body["location"] = {{"lat", config.location->lat}, {"lon", config.location->lon}};
    if (!config.location->place.empty()) body["location"]["place"] = config.location->place;
  }
  return body.dump();
}

std::string load_credential(const std::string& dir) {
  std::ifstream in(dir + "/credential");
  std::string s;
  std::getline(in, s);
  return std::string(trim(s));
}

Result<void> save_credential(const std::string& dir, const std::string& credential) {
  const std::string tmp = dir + "/credential.tmp", path = dir + "/credential";
  auto io_error = [&](const char* what) {
    return Error::make(ErrorKind::internal, "BUFFER_IO",
                       fmt::format("cannot {} {}: {}", what, tmp, std::strerror(errno)));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create");
  const std::string line = credential + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return io_error("write");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("rename");
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return ok();
}

// The engine's list of the previous collection, for the containers' events.
struct Runner::Containers {
  collect::ContainerSource source;
  std::optional<std::vector<collect::ContainerInfo>> previous;
};

Runner::Runner(AgentConfig config, std::unique_ptr<Buffer> buffer)
    : m_config(std::move(config)),
      m_buffer(std::move(buffer)),
      m_containers(std::make_unique<Containers>()),
      m_wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  m_hub = client::parse_server_url(m_config.hub).value();  // app/ checked it
  m_hub.ca_file = m_config.ca_file;
}

Runner::~Runner() {
  m_probe_runs.reset();  // its last answers wake the sender
  if (m_wake_fd >= 0) ::close(m_wake_fd);
}

void Runner::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  wake_sender();
}

void Runner::wake_sender() {
  const std::uint64_t one = 1;
  (void)!::write(m_wake_fd, &one, sizeof one);
}

bool Runner::sleep_until(std::int64_t until_ms) {
  std::unique_lock lock(m_mutex);
  const auto until = std::chrono::system_clock::time_point(std::chrono::milliseconds(until_ms));
  m_cv.wait_until(lock, until, [this] { return m_stopping; });
  return !m_stopping;
}

void Runner::collect_once(std::int64_t at_ms) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> names = m_config.collectors;
  if (names.empty())
    for (const auto& c : collect::collectors()) names.emplace_back(c.name);
  const bool containers = std::erase(names, "containers") > 0;
  // (collect() takes no names as every one.)
  collect::Samples samples =
      names.empty() ? collect::Samples{} : collect::collect(m_config.roots, names);
  json events = json::array();
  if (containers) {
    auto now = collect::collect_engine(m_config.roots, m_containers->source, samples);
    if (now && m_containers->previous)
      for (const auto& e : collect::container_changes(*m_containers->previous, *now)) {
        json data{{"id", e.id}, {"name", e.name}, {"image", e.image}};
        if (e.kind == collect::ContainerEventKind::died) data["exit_code"] = e.exit_code;
        events.push_back(
            {{"kind", fmt::format("container.{}", to_string(e.kind))},
             {"message", fmt::format("{} ({}) {}", e.name, e.image, to_string(e.kind))},
             {"data", std::move(data)}});
      }
    if (now) m_containers->previous = std::move(now);
  }
  // The agent's own figures ride along with the host's.
  const auto stats = m_buffer->stats();
  const auto dropped = m_buffer->dropped();
  collect::add(samples, "telltale_agent_buffer_bytes", static_cast<double>(stats.bytes));
  collect::add(samples, "telltale_agent_buffer_records", static_cast<double>(stats.records));
  collect::add(samples, "telltale_agent_buffer_dropped_records_total",
               static_cast<double>(dropped.records));
  collect::add(samples, "telltale_agent_batches_acked_total", static_cast<double>(m_acked.load()));
  collect::add(samples, "telltale_agent_batches_sent_ahead_total",
               static_cast<double>(m_sent_ahead.load()));
  collect::add(samples, "telltale_agent_collect_duration_seconds",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  json batch{{"type", "batch"},
             {"time", at_ms},
             {"prometheus", collect::to_prometheus_text(std::move(samples))}};
  if (!events.empty()) batch["events"] = std::move(events);
  if (auto untold = m_buffer->take_dropped(); untold.ok() && untold->records > 0) {
    batch["dropped_records"] = untold->records;
    batch["dropped_bytes"] = untold->bytes;
  }
  auto packed = compress(batch.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!packed.ok()) return log::error("agent: {}", packed.error().message);
  if (auto appended = m_buffer->append(packed.value()); !appended.ok())
    log::error("agent: collection of {} not kept: {}", at_ms, appended.error().message);
  else
    wake_sender();
}

// Wakes for each collection, and between them when the buffer's deferred sync comes due.
void Runner::collect_loop() {
  const std::int64_t every = m_config.interval.count();
  std::int64_t next = (wall_ms() / every + 1) * every;
  for (;;) {
    std::int64_t wake = next;
    if (const auto wait = m_buffer->sync_wait()) wake = std::min(wake, wall_ms() + wait->count());
    if (!sleep_until(wake)) break;
    if (auto synced = m_buffer->sync_due(); !synced.ok())
      log::warn("agent: {}", synced.error().message);
    if (wall_ms() < next) continue;
    collect_once(next);
    next += every;
    // After a stall (a suspended host) the missed slots are skipped, not collected in a burst.
    if (const auto now = wall_ms(); now >= next) next = (now / every + 1) * every;
  }
}

Result<std::string> Runner::ensure_credential(bool kept_invalid) {
  std::string kept = kept_invalid ? "" : load_credential(m_config.buffer_dir);
  const std::string body = registration_body(m_config);
  for (const std::string* bearer : {&kept, &m_config.token}) {
    if (bearer->empty()) continue;
    auto reply = client::post_json(m_hub, kRegisterPath, *bearer, body, kHubTimeout);
    if (!reply.ok()) return std::move(reply).error();
    if (reply->status == 401 && bearer == &kept) continue;  // ended: enrol again with the token
    auto answer = json::parse(reply->body, nullptr, false);
    if (reply->status != 200 && reply->status != 201) {
      const auto& e = answer.is_object() ? answer.value("error", json::object()) : json::object();
      return Error::make(reply->status == 401   ? ErrorKind::unauthenticated
                         : reply->status == 403 ? ErrorKind::forbidden
                                                : ErrorKind::invalid_input,
                         e.value("code", std::string("HUB_BAD_REPLY")),
                         fmt::format("the hub refused the registration ({}): {}", reply->status,
                                     e.value("message", reply->body.substr(0, 200))));
    }
    const auto data = answer.is_object() ? answer.value("data", json::object()) : json::object();
    const auto node = data.value("node", json::object());
    log::info("agent: registered as node {} ({})", node.value("name", std::string("?")),
              node.value("id", 0));
    if (auto cred = data.find("credential"); cred != data.end() && cred->is_string()) {
      TT_TRY(save_credential(m_config.buffer_dir, cred->get<std::string>()));
      return cred->get<std::string>();
    }
    return *bearer;
  }
  return Error::make(ErrorKind::unauthenticated, "AGENT_CREDENTIAL_INVALID",
                     m_config.token.empty()
                         ? "no credential is kept and no --token was given to register with"
                         : "the hub refused the credential and the token");
}

Result<std::optional<std::uint64_t>> Runner::take_message(std::string_view text) {
  const std::optional<std::uint64_t> kNone;
  auto message = json::parse(text, nullptr, false);
  if (!message.is_object()) return kNone;
  const std::string type = message.value("type", std::string());
  if (type == "run") {
    if (!m_probe_runs)
      m_probe_runs = std::make_unique<ProbeRuns>([this](std::string answer) {
        {
          std::lock_guard lock(m_mutex);
          if (m_answers.size() >= kMaxAnswers) m_answers.pop_front();  // long timed out
          m_answers.push_back(std::move(answer));
        }
        wake_sender();
      });
    m_probe_runs->submit(std::move(message));
    return kNone;
  }
  if (!message.contains("seq")) return kNone;
  const auto seq = message.value("seq", std::uint64_t{0});
  if (type == "nack" && message.value("retry", false))
    return Error::make(ErrorKind::unavailable, message.value("code", std::string("HUB_BUSY")),
                       message.value("message", std::string("the hub cannot store now")));
  if (type == "nack")
    log::warn("agent: the hub refused batch {} for good ({}: {}); it is dropped", seq,
              message.value("code", std::string()), message.value("message", std::string()));
  else if (type != "ack")
    return kNone;
  return std::optional(seq);
}

std::deque<std::string> Runner::take_answers() {
  std::lock_guard lock(m_mutex);
  return std::exchange(m_answers, {});
}

Result<void> Runner::deliver(client::WsLink& link) {
  SendWindow window(m_acked);
  // Tells the hub that nothing unacknowledged is below the oldest record still held (records
  // acknowledged, or dropped by the bound), so the gaps it leaves will not be waited for.
  auto send_from = [&]() -> Result<void> {
    const auto oldest = m_buffer->stats().oldest_seq;
    const std::uint64_t from = std::max(m_acked.load() + 1, oldest);
    return link.send_text(json{{"type", "from"}, {"seq", from}}.dump());
  };
  TT_TRY(send_from());
  auto stopping = [this] {
    std::lock_guard lock(m_mutex);
    return m_stopping;
  };
  while (!stopping()) {
    if (const auto newest = m_buffer->stats().newest_seq; window.goes_ahead(newest)) {
      auto live = m_buffer->read(newest - 1, window.bytes_room(), 1);
      if (!live.ok()) return std::move(live).error();
      if (!live->empty() && live->front().seq == newest) {
        TT_TRY(send_from());
        TT_TRY(link.send_binary(frame(live->front())));
        window.sent_ahead(newest, live->front().payload.size());
        ++m_sent_ahead;
        continue;
      }
    }
    if (window.records_room() > 0) {
      auto records = m_buffer->read(window.cursor(), window.bytes_room(), window.records_room());
      if (!records.ok()) return std::move(records).error();
      for (const auto& r : records.value())
        if (window.next_in_order(r.seq, r.payload.size())) TT_TRY(link.send_binary(frame(r)));
      if (!records->empty()) continue;  // fill the window before waiting
    }
    // Sleep until the hub says something, a record is appended, or stop(); at most 5 s, so the
    // link's keepalive (in receive) runs.
    pollfd fds[2] = {{link.fd(), POLLIN, 0}, {m_wake_fd, POLLIN, 0}};
    if (::poll(fds, 2, 5000) > 0 && (fds[1].revents & POLLIN)) {
      std::uint64_t n = 0;
      (void)!::read(m_wake_fd, &n, sizeof n);
    }
    for (auto& a : take_answers()) TT_TRY(link.send_text(a));
    for (;;) {
      auto message = TT_TRY(link.receive(0ms));
      if (!message) break;
      auto seq = TT_TRY(take_message(*message));
      if (!seq) continue;
      const std::uint64_t acked = window.acked(*seq);
      if (acked > m_acked) {
        m_acked = acked;
        m_buffer->ack(acked);
      }
    }
  }
  return ok();
}

void Runner::run() {
  std::thread collector([this] { collect_loop(); });
  std::chrono::milliseconds backoff = 1s;
  bool kept_invalid = false;
  bool registered = false;
  std::string credential;
  for (;;) {
    if (!registered || kept_invalid) {
      auto cred = ensure_credential(kept_invalid);
      if (cred.ok()) {
        credential = cred.value();
        registered = true;
        kept_invalid = false;
      } else {
        log::warn("agent: cannot register with {}: {}; collecting meanwhile", m_config.hub,
                  cred.error().message);
      }
    }
    if (registered) {
      auto link = client::WsLink::connect(m_hub, kIngestPath, credential, kHubTimeout);
      if (link.ok()) {
        log::info("agent: connected to {}", m_config.hub);
        const auto acked_before = m_acked.load();
        auto delivered = deliver(link.value());
        link->close();
        if (m_acked > acked_before) backoff = 1s;
        if (!delivered.ok()) {
          log::warn("agent: link to {} ended: {}", m_config.hub, delivered.error().message);
          // 1008: the hub ended the credential.
          kept_invalid = delivered.error().kind == ErrorKind::forbidden;
        }
      } else {
        log::warn("agent: cannot connect to {}: {}", m_config.hub, link.error().message);
        kept_invalid = link.error().kind == ErrorKind::unauthenticated;
      }
    }
    if (!sleep_until(wall_ms() + jittered(backoff).count())) break;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
  collector.join();
}

}  // namespace tt::agent
