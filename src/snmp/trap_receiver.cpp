// The trap receiver's I/O (the UDP listener) and the recorder thread; the pure reading of traps
// is in traps.cpp.
#include <fmt/format.h>

#include <random>
#include <set>

#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"
#include "snmp/engine.h"
#include "snmp/traps.h"

namespace tt::snmp {

namespace {

constexpr std::size_t kMaxBatch = 1000;

// reason "queue": too many waiting for the disk; "rate": past the trap event rate (still counted
// in snmp_traps, and summarised in one snmp.traps_suppressed event a minute per sender).
metrics::Counter& dropped_traps(const char* reason) {
  static auto& family = metrics::registry().family(
      "telltale_snmp_traps_dropped_total",
      "SNMP traps not recorded as events, by reason (queue, rate).", metrics::Type::counter);
  return family.counter({{"reason", reason}});
}

metrics::Counter& malformed_traps() {
  static auto& c = metrics::counter("telltale_snmp_trap_datagrams_malformed_total",
                                    "Datagrams on the trap port that are not SNMP v1/v2c traps or "
                                    "informs nor v3 messages.");
  return c;
}

metrics::Counter& rejected_v3(V3Reject r) {
  static auto& family =
      metrics::registry().family("telltale_snmp_trap_v3_rejected_total",
                                 "SNMPv3 datagrams on the trap port not recorded, by reason "
                                 "(unknown user or engine id, wrong digest, ...).",
                                 metrics::Type::counter);
  return family.counter({{"reason", std::string(to_string(r))}});
}

// One log line per this many ms at most: a flood of forged traps must not flood the log.
constexpr std::uint64_t kRejectLogEveryMs = 10000;

}  // namespace

TrapRecorder::TrapRecorder(db::Writer& writer, bus::Bus& bus, const Clock& clock,
                           SampleSink samples, const std::vector<LabelSet>& series,
                           TrapLimits limits)
    : m_log(writer, &bus, clock),
      m_clock(clock),
      m_samples(std::move(samples)),
      m_labels(limits),
      m_events(limits) {
  for (const auto& labels : series) {
    std::string source, trap;
    for (const auto& l : labels) {
      if (l.name == "source") source = l.value;
      if (l.name == "trap") trap = l.value;
    }
    m_labels.remember(source, trap);
  }
  m_thread = std::thread([this] { run(); });
}

TrapRecorder::~TrapRecorder() { stop(); }

void TrapRecorder::take(Trap t) {
  std::lock_guard lock(m_mutex);
  if (m_stopping || m_queue.size() >= kMaxQueued) {
    dropped_traps("queue").inc();
    return;
  }
  m_queue.push_back(std::move(t));
  m_cv.notify_one();
}

void TrapRecorder::stop() { stop_worker(m_mutex, m_cv, m_stopping, m_thread); }

void TrapRecorder::run() {
  for (;;) {
    std::vector<Trap> batch;
    bool stopping = false;
    {
      std::unique_lock lock(m_mutex);
      const auto ready = [this] { return m_stopping || !m_queue.empty(); };
      // Wake for traps, or when a summary of suppressed ones is due (m_events is this thread's).
      if (auto due = m_events.next_due())
        m_cv.wait_for(lock, std::chrono::milliseconds(std::max<TimeMs>(0, *due - m_clock.now_ms())),
                      ready);
      else
        m_cv.wait(lock, ready);
      if (m_stopping && m_queue.empty()) return;  // everything taken is written
      stopping = m_stopping;
      while (!m_queue.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
      }
    }
    const TimeMs now = m_clock.now_ms();
    std::vector<const Trap*> recorded;
    for (const auto& t : batch) {
      if (m_events.admit(source_address(t), now))
        recorded.push_back(&t);
      else
        dropped_traps("rate").inc();
    }
    auto suppressed = m_events.due(now);
    if (batch.empty() && suppressed.empty()) continue;
    std::map<std::string, std::string> nodes;  // source address → the node with that address
    auto record = [&](events::Change& change) -> Result<void> {
      nodes.clear();
      SQLite::Statement node(change.db(),
                             "SELECT name FROM nodes WHERE address = ? ORDER BY id LIMIT 1");
      std::set<std::string> looked_up;
      for (const auto& t : batch) {
        // Once per sender and batch: a storm comes from few addresses.
        auto address = source_address(t);
        if (!looked_up.insert(address).second) continue;
        node.reset();
        node.bind(1, address);
        if (node.executeStep()) nodes[address] = node.getColumn(0).getString();
      }
      for (const Trap* t : recorded) {
        auto address = source_address(*t);
        auto data = to_json(*t);
        if (auto n = nodes.find(address); n != nodes.end()) data["node"] = n->second;
        change.event("snmp", "snmp.trap", address, std::move(data));
      }
      for (const auto& s : suppressed) {
        nlohmann::json data{
            {"source", s.source}, {"suppressed", s.count}, {"since", format_rfc3339(s.since)}};
        if (auto n = nodes.find(s.source); n != nodes.end()) data["node"] = n->second;
        change.event("snmp", "snmp.traps_suppressed", s.source, std::move(data));
      }
      return ok();
    };
    // Stopping, a full queue drains at once rather than a lazy second a batch.
    auto done =
        m_log.commit<void>(kSystemActor, record, stopping ? db::Urgency::now : db::Urgency::lazy);
    if (!done.ok()) {
      log::error("SNMP traps: {} not recorded: {}", batch.size(), done.error().message);
      continue;
    }
    if (m_samples && !batch.empty()) m_samples(trap_series(batch, nodes, now, m_labels));
  }
}

TrapReceiver::TrapReceiver(uv_loop_t* loop, const TrapKeyring& keyring, std::string engine_id,
                           std::uint32_t boots, std::function<void(Trap)> on_trap)
    : m_loop(loop), m_keyring(keyring), m_on_trap(std::move(on_trap)), m_started_ms(uv_now(loop)) {
  m_local.engine_id = std::move(engine_id);
  m_local.boots = boots;
  std::random_device rd;
  m_local.salt = (std::uint64_t{rd()} << 32) | rd();
}

TrapReceiver::~TrapReceiver() { close(); }

Result<int> TrapReceiver::listen(const std::string& host, int port) {
  auto ep = endpoint_from_literal(host, static_cast<std::uint16_t>(port));
  if (!ep)
    return Error::make(ErrorKind::invalid_input, "SNMP_TRAP_LISTEN",
                       fmt::format("'{}' is not an IP address", host));
  m_udp = new uv_udp_t;
  uv_udp_init(m_loop, m_udp);
  m_udp->data = this;
  int rc = uv_udp_bind(m_udp, reinterpret_cast<const sockaddr*>(&ep->addr), 0);
  if (rc != 0) {
    close();
    return Error::make(ErrorKind::unavailable, "SNMP_TRAP_LISTEN",
                       fmt::format("udp {}: {}", ep->text, uv_strerror(rc)));
  }
  uv_udp_recv_start(
      m_udp,
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* self = static_cast<TrapReceiver*>(h->data);
        *buf = uv_buf_init(self->m_buffer, sizeof self->m_buffer);
      },
      [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        if (n <= 0 || !from) return;
        static_cast<TrapReceiver*>(h->data)->on_datagram(
            from, {reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(n)});
      });
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_udp_getsockname(m_udp, reinterpret_cast<sockaddr*>(&bound), &len);
  return static_cast<int>(
      ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port));  // same offset for v6
}

void TrapReceiver::close() {
  if (!m_udp) return;
  uv_close(reinterpret_cast<uv_handle_t*>(m_udp),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
  m_udp = nullptr;
}

void TrapReceiver::on_datagram(const sockaddr* from, std::span<const std::uint8_t> data) {
  const auto* in =
      reinterpret_cast<const sockaddr_in*>(from);  // the port sits at the same offset for v6
  auto source = endpoint_from_sockaddr(from, ntohs(in->sin_port)).text;
  if (peek_version(data) == 3) return on_v3(from, data, std::move(source));
  auto m = decode(data);
  std::optional<Trap> t = m.ok() ? trap_from(m.value(), source) : std::nullopt;
  if (!t) {
    malformed_traps().inc();
    return;
  }
  if (m->pdu.type == PduType::inform) {
    // RFC 3416 4.2.7: the answer to an inform is a Response with the same id and variables.
    Message answer = m.value();
    answer.pdu.type = PduType::response;
    answer.pdu.error_status = answer.pdu.error_index = 0;
    send_to(from, encode(answer));
  }
  m_on_trap(std::move(*t));
}

void TrapReceiver::send_to(const sockaddr* to, std::string datagram) {
  auto* wire = new std::pair<uv_udp_send_t, std::string>{{}, std::move(datagram)};
  uv_buf_t buf = uv_buf_init(wire->second.data(), static_cast<unsigned>(wire->second.size()));
  wire->first.data = wire;
  if (uv_udp_send(&wire->first, m_udp, &buf, 1, to, [](uv_udp_send_t* r, int) {
        delete static_cast<std::pair<uv_udp_send_t, std::string>*>(r->data);
      }) != 0)
    delete wire;
}

void TrapReceiver::on_v3(const sockaddr* from, std::span<const std::uint8_t> data,
                         std::string source) {
  auto users = m_keyring.snapshot();
  const std::uint64_t now = uv_now(m_loop);
  m_local.time =
      static_cast<std::uint32_t>(std::min<std::uint64_t>((now - m_started_ms) / 1000, INT32_MAX));
  auto r = read_v3_trap(data, source, *users, m_clocks, m_local);
  if (!r.reply.empty()) send_to(from, std::move(r.reply));
  if (r.trap) return m_on_trap(std::move(*r.trap));
  if (!r.reject) return;  // an engine discovery, answered
  rejected_v3(*r.reject).inc();
  if (m_last_reject_log_ms != 0 && now - m_last_reject_log_ms < kRejectLogEveryMs) {
    ++m_unlogged_rejects;
    return;
  }
  log::warn("SNMP traps: v3 datagram from {} not recorded ({}): {}{}", source, to_string(*r.reject),
            r.detail,
            m_unlogged_rejects
                ? fmt::format(" (and {} more since the last such line)", m_unlogged_rejects)
                : "");
  m_last_reject_log_ms = now == 0 ? 1 : now;
  m_unlogged_rejects = 0;
}

}  // namespace tt::snmp
