#include "fleet/ingestor.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/log.h"
#include "core/metrics.h"
#include "inventory/service.h"

namespace tt::fleet {

namespace {

using nlohmann::json;

constexpr std::int64_t kFailedKeptMs = 60'000;

std::string ack(std::uint64_t seq, bool duplicate) {
  json j{{"type", "ack"}, {"seq", seq}};
  if (duplicate) j["duplicate"] = true;
  return j.dump();
}

std::string nack(std::uint64_t seq, const Error& e, bool retry) {
  json fields = json::array();
  for (const auto& f : e.fields) fields.push_back({{"field", f.field}, {"message", f.message}});
  json j{
      {"type", "nack"}, {"seq", seq}, {"code", e.code}, {"message", e.message}, {"retry", retry}};
  if (!fields.empty()) j["fields"] = std::move(fields);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Sets `name` unless the series has it already.
void default_label(LabelSet& labels, std::string_view name, const std::string& value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it == labels.end() || it->name != name) labels.insert(it, Label{std::string(name), value});
}

const std::string* label_value(const LabelSet& labels, std::string_view name) {
  for (const auto& l : labels)
    if (l.name == name) return &l.value;
  return nullptr;
}

// The host's `up` series, as a Prometheus scrape of its node_exporter would have it.
SeriesSamples up_series(const std::string& node, TimeMs at, double value) {
  return {{{"__name__", "up"}, {"instance", node}, {"job", "node"}, {"node", node}}, {{at, value}}};
}

}  // namespace

// What one round commits: every accepted batch's samples in one append, and in its writer job
// the streams' seqs, the nodes' last_seen and status, and the agents' events.
struct Ingestor::Round {
  std::vector<SeriesSamples> series;
  std::unordered_map<std::string, SeqSet> seqs;     // stream -> its seqs with the round's
  std::unordered_map<std::int64_t, TimeMs> pushed;  // node -> newest batch time
  std::vector<events::StoredEvent> events;
  struct Told {
    std::uint64_t connection;
    std::uint64_t seq;
  };
  std::vector<Told> acks;
  std::size_t samples = 0;
};

Ingestor::Ingestor(tsdb::Store& store, db::Writer& writer, db::Readers& readers, bus::Bus& bus,
                   const Clock& clock, Reply reply, IngestOptions options)
    : m_store(store),
      m_writer(writer),
      m_readers(readers),
      m_log(writer, &bus, clock),
      m_clock(clock),
      m_reply(std::move(reply)),
      m_options(options) {
  auto& batches = metrics::registry().family(
      "telltale_ingest_batches_total",
      "Batches received on the ingest WebSocket, by outcome: stored, duplicate (a resend of a "
      "committed batch), rejected (never to be stored), retry (the store could not take it now)",
      metrics::Type::counter);
  m_stored = &batches.counter({{"outcome", "stored"}});
  m_duplicate = &batches.counter({{"outcome", "duplicate"}});
  m_rejected = &batches.counter({{"outcome", "rejected"}});
  m_retry = &batches.counter({{"outcome", "retry"}});
  m_samples = &metrics::counter("telltale_ingest_samples_total",
                                "Samples stored from the ingest WebSocket");
  m_dropped_records =
      &metrics::counter("telltale_agent_buffer_dropped_records_total",
                        "Batches agents report their full disk buffers dropped before sending");
  m_queued = &metrics::gauge("telltale_ingest_queued_bytes",
                             "Bytes of batches received and waiting for the ingestor");
}

Ingestor::~Ingestor() { stop(); }

Result<void> Ingestor::start() {
  const TimeMs now = m_clock.now_ms();
  auto agents = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement q(db,
                        "SELECT n.id, n.name, n.status, c.interval_ms FROM nodes n "
                        "JOIN agent_credentials c ON c.node_id = n.id AND c.revoked_at IS NULL");
    while (q.executeStep()) {
      Live& l = m_live[q.getColumn(0).getInt64()];
      l.name = q.getColumn(1).getString();
      l.up = q.getColumn(2).getString() == "up";
      l.interval_ms = q.getColumn(3).getInt64();
      l.last_ms = now;
    }
    return true;
  });
  if (!agents.ok()) return std::move(agents).error();
  m_thread = std::thread([this] { run(); });
  return ok();
}

void Ingestor::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

bool Ingestor::submit(std::uint64_t connection, std::shared_ptr<const Stream> stream,
                      std::string text, bool binary) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_queued_bytes + text.size() > m_options.max_queued_bytes) return false;
    m_queued_bytes += text.size();
    m_queued->set(static_cast<double>(m_queued_bytes));
    m_queue.push_back({connection, std::move(stream), std::move(text), binary});
  }
  m_cv.notify_one();
  return true;
}

void Ingestor::run() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_cv.wait_for(lock, std::chrono::milliseconds(m_options.tick_ms),
                  [this] { return m_stopping || !m_queue.empty(); });
    if (m_stopping) break;
    lock.unlock();
    run_once();
    lock.lock();
  }
}

void Ingestor::run_once() {
  for (auto items = take_round(); !items.empty(); items = take_round()) ingest(std::move(items));
  check_liveness();
}

std::vector<Ingestor::Item> Ingestor::take_round() {
  std::lock_guard lock(m_mutex);
  std::vector<Item> items;
  std::size_t bytes = 0;
  while (!m_queue.empty() && (items.empty() || bytes < m_options.max_round_bytes)) {
    bytes += m_queue.front().text.size();
    items.push_back(std::move(m_queue.front()));
    m_queue.pop_front();
  }
  m_queued_bytes -= bytes;
  m_queued->set(static_cast<double>(m_queued_bytes));
  return items;
}

SeqSet& Ingestor::round_seqs(Round& round, const std::string& stream) {
  if (auto it = round.seqs.find(stream); it != round.seqs.end()) return it->second;
  if (auto it = m_seqs.find(stream); it != m_seqs.end())
    return round.seqs.emplace(stream, it->second).first->second;
  auto stored = m_readers.with([&](SQLite::Database& db) -> Result<std::optional<SeqSet>> {
    SQLite::Statement q(db, "SELECT last_seq, ranges FROM ingest_streams WHERE stream = ?");
    q.bind(1, stream);
    if (!q.executeStep()) return std::optional<SeqSet>(SeqSet());
    return SeqSet::parse(static_cast<std::uint64_t>(q.getColumn(0).getInt64()),
                         q.getColumn(1).getString());
  });
  // Unread, the stream is taken as new, and not cached: a repeat may then be stored again, which
  // the store's one value per timestamp keeps harmless for samples.
  if (!stored.ok()) return round.seqs[stream];
  SeqSet seqs = stored->value_or(SeqSet());
  m_seqs[stream] = seqs;
  return round.seqs.emplace(stream, std::move(seqs)).first->second;
}

void Ingestor::accept(Round& round, Item& item) {
  const Stream& stream = *item.stream;
  auto decoded = item.binary ? decode_binary_batch(item.text, m_clock.now_ms())
                             : decode_batch(item.text, m_clock.now_ms());
  const std::uint64_t seq = decoded.seq;
  if (decoded.from != 0) return round_seqs(round, stream.key).raise_floor(decoded.from - 1);
  if (!decoded.batch.ok()) {
    m_rejected->inc();
    return m_reply(item.connection, nack(seq, decoded.batch.error(), false), false);
  }
  Batch& batch = decoded.batch.value();
  SeqSet& seqs = round_seqs(round, stream.key);
  if (seqs.contains(seq)) {
    m_duplicate->inc();
    return m_reply(item.connection, ack(seq, true), false);
  }
  if (stream.node_id != 0) {
    for (auto& s : batch.series) {
      const std::string* node = label_value(s.labels, "node");
      if (node && *node != stream.node_name) {
        m_rejected->inc();
        return m_reply(item.connection,
                       nack(seq,
                            Error::make(ErrorKind::forbidden, "INGEST_NOT_OWN_NODE",
                                        fmt::format("an agent pushes only its own node's samples "
                                                    "(node=\"{}\"), not node=\"{}\"",
                                                    stream.node_name, *node)),
                            false),
                       false);
      }
      default_label(s.labels, "node", stream.node_name);
      default_label(s.labels, "instance", stream.node_name);
      default_label(s.labels, "job", "node");
    }
    batch.series.push_back(up_series(stream.node_name, batch.time, 1));
    auto& pushed = round.pushed[stream.node_id];
    pushed = std::max(pushed, batch.time);
    const std::string actor = "agent:" + stream.node_name;
    for (auto& e : batch.events) {
      json data = std::move(e.data);
      data["node_id"] = stream.node_id;
      data["node"] = stream.node_name;
      if (!e.message.empty()) data["message"] = e.message;
      round.events.push_back({0, e.at, "nodes", "agent." + e.kind, std::to_string(stream.node_id),
                              actor, std::move(data)});
    }
    if (batch.dropped_records > 0) {
      m_dropped_records->inc(static_cast<double>(batch.dropped_records));
      round.events.push_back({0, batch.time, "nodes", "agent.buffer_dropped",
                              std::to_string(stream.node_id), actor,
                              json{{"node_id", stream.node_id},
                                   {"node", stream.node_name},
                                   {"records", batch.dropped_records},
                                   {"bytes", batch.dropped_bytes}}});
    }
  } else if (!batch.events.empty()) {
    m_rejected->inc();
    return m_reply(item.connection,
                   nack(seq,
                        Error::make(ErrorKind::invalid_input, "INGEST_BAD_BATCH",
                                    "events come from agents; an API token pushes samples only"),
                        false),
                   false);
  }
  round.samples += batch.samples;
  for (auto& s : batch.series) round.series.push_back(std::move(s));
  seqs.add(seq);
  round.acks.push_back({item.connection, seq});
}

void Ingestor::ingest(std::vector<Item> items) {
  const TimeMs now = m_clock.now_ms();
  Round round;
  for (auto& item : items)
    if (!m_failed.contains(item.connection)) accept(round, item);
  if (round.acks.empty()) {
    // Only "from" messages changed the seqs: kept in memory, written with the next batch (a
    // restart forgets them, and the sender says them again when it reconnects).
    for (auto& [stream, seqs] : round.seqs) m_seqs[stream] = std::move(seqs);
    return;
  }

  // Nodes that come back (or push first) become up in the same commit.
  std::vector<std::int64_t> came_up;
  for (const auto& [node, at] : round.pushed)
    if (auto it = m_live.find(node); it == m_live.end() || !it->second.up) came_up.push_back(node);
  events::Log::Recorded recorded;
  auto appended =
      m_store.append(std::move(round.series), [&](SQLite::Database& db) -> Result<void> {
        SQLite::Statement seq(
            db,
            "INSERT INTO ingest_streams (stream, last_seq, ranges, updated_at) VALUES (?, ?, ?, "
            "?) ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq, "
            "ranges = excluded.ranges, updated_at = excluded.updated_at");
        for (const auto& [stream, seqs] : round.seqs) {
          seq.bind(1, stream);
          seq.bind(2, static_cast<std::int64_t>(seqs.floor()));
          seq.bind(3, seqs.ranges());
          seq.bind(4, now);
          seq.exec();
          seq.reset();
        }
        SQLite::Statement seen(db, "UPDATE nodes SET last_seen = ? WHERE id = ?");
        for (const auto& [node, at] : round.pushed) {
          seen.bind(1, now);
          seen.bind(2, node);
          seen.exec();
          seen.reset();
        }
        events::Change change(db, now, kSystemActor);
        for (auto node : came_up)
          inventory::set_node_status(change, node, inventory::NodeStatus::up);
        for (auto& e : round.events) change.event(e);
        recorded = events::Log::take(change);
        return ok();
      });
  if (!appended.ok()) {
    // Nothing of the round was stored. Each of its senders must send again from this batch on:
    // later batches of theirs, already queued, would otherwise be stored past the gap.
    log::warn("ingest: {} batches not stored: {}", round.acks.size(), appended.error().message);
    for (const auto& told : round.acks) {
      m_retry->inc();
      if (m_failed.emplace(told.connection, now).second)
        m_reply(told.connection, nack(told.seq, appended.error(), true), true);
    }
    return;
  }
  m_log.committed(recorded);
  for (auto& [stream, seqs] : round.seqs) m_seqs[stream] = std::move(seqs);
  for (const auto& item : items) {
    const Stream& stream = *item.stream;
    if (!round.pushed.contains(stream.node_id)) continue;
    Live& l = m_live[stream.node_id];
    l.name = stream.node_name;
    l.interval_ms = stream.interval_ms;
    l.last_ms = now;
    l.up = true;
  }
  m_stored->inc(static_cast<double>(round.acks.size()));
  m_samples->inc(static_cast<double>(round.samples));
  for (const auto& told : round.acks) m_reply(told.connection, ack(told.seq, false), false);
}

void Ingestor::check_liveness() {
  const TimeMs now = m_clock.now_ms();
  std::erase_if(m_failed, [now](const auto& f) { return now - f.second > kFailedKeptMs; });
  for (auto& [node, live] : m_live) {
    if (!live.up || now - live.last_ms <= live.interval_ms * m_options.missed_intervals) continue;
    // The node's status and its `up` sample commit together.
    events::Log::Recorded recorded;
    const std::int64_t id = node;
    auto down = m_store.append({up_series(live.name, now, 0)}, [&](SQLite::Database& db) {
      events::Change change(db, now, kSystemActor);
      inventory::set_node_status(change, id, inventory::NodeStatus::down);
      recorded = events::Log::take(change);
      return ok();
    });
    if (!down.ok()) {
      log::warn("agents: node {} not marked down: {}", live.name, down.error().message);
      continue;  // tried again at the next tick
    }
    m_log.committed(recorded);
    live.up = false;
  }
}

}  // namespace tt::fleet
