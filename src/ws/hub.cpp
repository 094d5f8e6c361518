#include "ws/hub.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"

namespace tt::ws {

namespace {

constexpr std::size_t kReadBufSize = 64 * 1024;

std::string error_json(std::string_view code, std::string_view message) {
  return nlohmann::json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

bool is_series_topic(std::string_view topic) { return topic.starts_with(Hub::kSeriesPrefix); }

}  // namespace

struct Hub::Client {
  Client(Hub* h, ClientInfo i, const ConnectionOptions& o, std::int64_t now)
      : hub(h), info(std::move(i)), conn(o, now) {
    tcp.data = this;
  }
  uv_tcp_t tcp{};
  Hub* hub;
  std::uint64_t id = 0;
  ClientInfo info;
  Connection conn;
  std::set<std::string> topics;
  std::size_t writes_in_flight = 0;
  bool lingering = false;       // finished but a write is stuck; dropped on the next tick
  bool closing = false;         // uv_close called; freed in on_client_closed
  std::shared_ptr<void> place;  // released with the client
  std::shared_ptr<StreamFilter> filter;
};

struct Hub::WriteReq {
  uv_write_t req{};
  Client* client = nullptr;
  std::vector<SharedBytes> chunks;  // keeps the buffers alive until the write completes
  std::size_t bytes = 0;
};

Hub::Hub(uv_loop_t* loop, HubOptions options)
    : m_loop(loop),
      m_options(options),
      m_clock(options.clock ? options.clock : &SystemClock::instance()),
      m_read_buf(new char[kReadBufSize]) {
  m_clients_gauge = &metrics::gauge("telltale_ws_clients", "Connected WebSocket clients");
  m_memory_gauge = &metrics::memory_pool("websocket_clients");
  m_received =
      &metrics::counter("telltale_ws_messages_received_total", "WebSocket text messages received");
  m_sent = &metrics::counter("telltale_ws_messages_sent_total",
                             "WebSocket text messages queued to clients");
  m_dropped_slow = &metrics::counter("telltale_ws_dropped_slow_total",
                                     "WebSocket clients dropped for exceeding the outbound queue");
  auto& closed = metrics::registry().family(
      "telltale_ws_closed_credentials_total",
      "WebSocket clients closed because their session or token ended", metrics::Type::counter);
  m_closed_revoked = &closed.counter({{"reason", "revoked"}});
  m_closed_expired = &closed.counter({{"reason", "expired"}});
  m_closed_ingest_busy = &metrics::counter(
      "telltale_ws_closed_ingest_busy_total",
      "Ingest sockets closed because the ingest queue was full (their senders resend later)");

  m_tick_timer = new uv_timer_t;
  uv_timer_init(m_loop, m_tick_timer);
  m_tick_timer->data = this;
  uv_timer_start(
      m_tick_timer, [](uv_timer_t* t) { static_cast<Hub*>(t->data)->tick(); }, m_options.tick_ms,
      m_options.tick_ms);
  m_topics_timer = new uv_timer_t;
  uv_timer_init(m_loop, m_topics_timer);
  m_topics_timer->data = this;
}

Hub::~Hub() {
  close_timers();
  for (Client* c : std::vector<Client*>(m_clients.begin(), m_clients.end())) remove(c);
}

std::int64_t Hub::now() const { return m_clock->mono_ms(); }

bool Hub::is_known_topic(std::string_view topic) {
  if (topic == "nodes" || topic == "events" || topic == "checks" || topic == "alerts") return true;
  return topic.size() > kSeriesPrefix.size() && is_series_topic(topic);
}

void Hub::adopt(int fd, ClientInfo info, std::string leftover, std::shared_ptr<void> place,
                std::shared_ptr<StreamFilter> filter) {
  if (m_shutting_down) {
    ::close(fd);
    return;
  }
  auto* c = new Client(this, std::move(info), m_options.connection, now());
  c->place = std::move(place);
  c->filter = std::move(filter);
  uv_tcp_init(m_loop, &c->tcp);
  if (int rc = uv_tcp_open(&c->tcp, fd); rc != 0) {
    log::warn("ws: cannot adopt socket from {}: {}", c->info.remote, uv_strerror(rc));
    ::close(fd);
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_client_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);  // fails harmlessly on non-TCP sockets
  c->id = m_next_id++;
  m_clients.insert(c);
  m_by_id.emplace(c->id, c);
  m_clients_gauge->inc();
  log::debug("ws: client {} ({}) connected", c->info.remote, c->info.user);
  if (int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read); rc != 0) {
    log::warn("ws: read_start for {} failed: {}", c->info.remote, uv_strerror(rc));
    remove(c);
    return;
  }
  if (!leftover.empty()) handle_input(c, leftover.data(), leftover.size());
  // The filter may hold bytes it read from the socket before the hub had it.
  if (c->filter && !c->closing) handle_read(c, nullptr, 0);
}

void Hub::handle_read(Client* c, const char* data, std::size_t len) {
  if (!c->filter) return handle_input(c, data, len);
  std::string plain, reply;
  bool open = c->filter->decode({data, len}, plain, reply);
  if (!reply.empty() && !write(c, {std::make_shared<const std::string>(std::move(reply))}, 0))
    return;
  if (!plain.empty()) handle_input(c, plain.data(), plain.size());
  if (!open && !c->closing) remove(c);
}

void Hub::handle_input(Client* c, const char* data, std::size_t len) {
  if (!c->info.ingest) {
    c->conn.feed(data, len, now(), [&](std::string&& text) { on_text(c, text); });
  } else {
    auto ingest = [&](std::string&& message, bool binary) {
      m_received->inc();
      if (c->conn.state() != Connection::State::open || !m_on_ingest) return;
      if (!m_on_ingest(c->id, c->info.ingest, std::move(message), binary)) {
        m_closed_ingest_busy->inc();
        c->conn.close(kCloseTryAgainLater, "ingest busy, send again later", now());
      }
    };
    c->conn.feed(
        data, len, now(), [&](std::string&& text) { ingest(std::move(text), false); },
        [&](std::string&& bytes) { ingest(std::move(bytes), true); });
  }
  if (c->conn.overflowed()) return drop_slow(c);
  flush(c);
}

void Hub::send_to(std::uint64_t client, std::string_view text, std::uint16_t close_code) {
  auto it = m_by_id.find(client);
  if (it == m_by_id.end()) return;
  Client* c = it->second;
  if (c->conn.state() != Connection::State::open) return;
  if (c->conn.send_text(text) && !c->conn.overflowed()) m_sent->inc();
  if (c->conn.overflowed()) return drop_slow(c);
  if (close_code != 0) c->conn.close(close_code, "", now());
  flush(c);
}

std::uint64_t Hub::find(const std::function<bool(const ClientInfo&)>& match) const {
  std::uint64_t newest = 0;
  for (const auto& [id, c] : m_by_id)
    if (id > newest && c->conn.state() == Connection::State::open && match(c->info)) newest = id;
  return newest;
}

void Hub::reply(Client* c, const std::string& json) {
  if (c->conn.send_text(json) && !c->conn.overflowed()) m_sent->inc();
}

void Hub::on_text(Client* c, const std::string& text) {
  using nlohmann::json;
  m_received->inc();
  // parse_json bounds the nesting depth: a message of a million '[' must not exhaust the stack.
  auto parsed = parse_json(text);
  if (!parsed.ok()) return reply(c, error_json("WS_INVALID_JSON", parsed.error().message));
  const json& msg = parsed.value();
  const auto type_it = msg.is_object() ? msg.find("type") : msg.end();
  if (!msg.is_object() || type_it == msg.end() || !type_it->is_string())
    return reply(c, error_json("WS_BAD_MESSAGE", "expected an object with a string \"type\""));
  const std::string& type = type_it->get_ref<const std::string&>();

  if (type == "ping") return reply(c, R"({"type":"pong"})");
  if (type != "subscribe" && type != "unsubscribe")
    return reply(c, error_json("WS_BAD_MESSAGE", "unknown message type"));

  const auto topics_it = msg.find("topics");
  if (topics_it == msg.end() || !topics_it->is_array())
    return reply(c, error_json("WS_BAD_MESSAGE", "\"topics\" must be an array of strings"));
  std::vector<std::string> topics;
  std::string unknown;
  for (const auto& t : *topics_it) {
    if (!t.is_string())
      return reply(c, error_json("WS_BAD_MESSAGE", "\"topics\" must be an array of strings"));
    const auto& s = t.get_ref<const std::string&>();
    if (s.size() > m_options.max_topic_bytes || !is_known_topic(s)) {
      if (!unknown.empty()) unknown += ", ";
      unknown += s.substr(0, 64);
    } else {
      topics.push_back(s);
    }
  }
  // A request naming an unknown topic changes nothing.
  if (!unknown.empty())
    return reply(c, error_json("WS_UNKNOWN_TOPIC", "unknown topic: " + unknown));

  bool changed = false;  // the set of series topics
  if (type == "subscribe") {
    std::set<std::string> next = c->topics;
    next.insert(topics.begin(), topics.end());
    if (next.size() > m_options.max_topics_per_client)
      return reply(c, error_json("WS_TOO_MANY_TOPICS", "too many topics for one connection"));
    std::size_t series = 0, unseen = 0;
    for (const auto& t : next) {
      if (!is_series_topic(t)) continue;
      ++series;
      if (!c->topics.contains(t) && !m_series_refs.contains(t)) ++unseen;
    }
    if (series > m_options.max_series_topics_per_client)
      return reply(c, error_json("WS_TOO_MANY_TOPICS",
                                 fmt::format("at most {} series: topics per connection",
                                             m_options.max_series_topics_per_client)));
    if (m_series_refs.size() + unseen > m_options.max_series_topics)
      return reply(c,
                   error_json("WS_TOO_MANY_TOPICS",
                              fmt::format("the server follows at most {} different series: topics; "
                                          "try again when fewer are watched",
                                          m_options.max_series_topics)));
    for (const auto& t : next)
      if (is_series_topic(t) && !c->topics.contains(t)) changed |= add_series_topic(t);
    c->topics = std::move(next);
  } else {
    for (const auto& t : topics)
      if (c->topics.erase(t) && is_series_topic(t)) changed |= release_series_topic(t);
  }
  // Before the answer: samples appended after the client hears "subscribed" must reach it.
  if (changed && m_on_series_topics_changed) m_on_series_topics_changed(series_topics());
  reply(c, json{{"type", "subscribed"}, {"topics", c->topics}}.dump());
}

std::set<std::string> Hub::series_topics() const {
  std::set<std::string> out;
  for (const auto& [topic, refs] : m_series_refs) out.insert(topic);
  return out;
}

bool Hub::add_series_topic(const std::string& topic) { return m_series_refs[topic]++ == 0; }

bool Hub::release_series_topic(const std::string& topic) {
  auto it = m_series_refs.find(topic);
  if (it == m_series_refs.end() || --it->second > 0) return false;
  m_series_refs.erase(it);
  return true;
}

void Hub::series_topics_changed_later() {
  if (!m_topics_timer || uv_is_active(reinterpret_cast<uv_handle_t*>(m_topics_timer))) return;
  uv_timer_start(
      m_topics_timer,
      [](uv_timer_t* t) {
        auto* hub = static_cast<Hub*>(t->data);
        if (hub->m_on_series_topics_changed) hub->m_on_series_topics_changed(hub->series_topics());
      },
      0, 0);
}

void Hub::publish(std::string_view topic, std::shared_ptr<const std::string> data_json) {
  if (!data_json) return;
  std::string payload = R"({"type":"event","topic":)";
  payload += nlohmann::json(topic).dump();
  payload += R"(,"data":)";
  payload += data_json->empty() ? std::string("null") : *data_json;
  payload += '}';
  const SharedBytes frame = make_text_frame(payload);

  // Drops and writes (which may remove a client) wait until m_clients is no longer iterated.
  std::vector<Client*> slow, sent;
  for (Client* c : m_clients) {
    if (c->conn.state() != Connection::State::open) continue;
    if (c->topics.find(std::string(topic)) == c->topics.end()) continue;
    if (!c->conn.send_frame(frame)) {
      slow.push_back(c);
      continue;
    }
    m_sent->inc();
    sent.push_back(c);
  }
  for (Client* c : slow) drop_slow(c);
  for (Client* c : sent) flush(c);
}

bool Hub::write(Client* c, std::vector<SharedBytes> chunks, std::size_t frame_bytes) {
  auto* w = new WriteReq;
  w->client = c;
  w->chunks = std::move(chunks);
  w->bytes = frame_bytes;
  std::vector<uv_buf_t> bufs;
  bufs.reserve(w->chunks.size());
  for (const auto& chunk : w->chunks)
    bufs.push_back(
        uv_buf_init(const_cast<char*>(chunk->data()), static_cast<unsigned>(chunk->size())));
  w->req.data = w;
  const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), bufs.data(),
                          static_cast<unsigned>(bufs.size()), on_write);
  if (rc != 0) {
    delete w;
    log::debug("ws: write to {} failed: {}", c->info.remote, uv_strerror(rc));
    remove(c);
    return false;
  }
  ++c->writes_in_flight;
  return true;
}

void Hub::flush(Client* c) {
  if (c->closing) return;
  if (c->conn.has_output()) {
    auto chunks = c->conn.take_output();
    std::size_t bytes = 0;
    for (const auto& chunk : chunks) bytes += chunk->size();
    if (c->filter) {
      auto sealed = std::make_shared<std::string>();
      for (const auto& chunk : chunks) c->filter->encode(*chunk, *sealed);
      chunks = {std::move(sealed)};
    }
    if (!write(c, std::move(chunks), bytes)) return;
  }
  if (c->conn.finished() && c->writes_in_flight == 0) remove(c);
}

void Hub::remove(Client* c) {
  if (c->closing) return;
  c->closing = true;
  m_clients.erase(c);
  m_by_id.erase(c->id);
  m_clients_gauge->dec();
  log::debug("ws: client {} ({}) disconnected", c->info.remote, c->info.user);
  bool changed = false;
  for (const auto& t : c->topics)
    if (is_series_topic(t)) changed |= release_series_topic(t);
  // remove() runs inside publish() and flush(): the callback must wait for the loop.
  if (changed) series_topics_changed_later();
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_client_closed);
  if (m_shutting_down && m_clients.empty() && m_grace_timer) close_timers();
}

void Hub::drop_slow(Client* c) {
  if (c->closing) return;
  m_dropped_slow->inc();
  log::info("ws: dropping slow client {} ({}): {} bytes queued", c->info.remote, c->info.user,
            c->conn.queued_bytes());
  remove(c);
}

std::size_t Hub::close_revoked(const std::function<bool(const ClientInfo&)>& revoked) {
  std::size_t closed = 0;
  for (Client* c : std::vector<Client*>(m_clients.begin(), m_clients.end())) {
    if (c->conn.state() != Connection::State::open || !revoked(c->info)) continue;
    close_for_credentials(c, "credentials revoked");
    m_closed_revoked->inc();
    ++closed;
  }
  return closed;
}

void Hub::close_for_credentials(Client* c, const char* reason) {
  log::info("ws: closing client {} ({}): {}", c->info.remote, c->info.user, reason);
  c->conn.close(kClosePolicyViolation, reason, now());
  flush(c);
}

void Hub::tick() {
  const std::int64_t t = now();
  const TimeMs wall = m_clock->now_ms();
  std::size_t bytes = 0;
  for (const Client* c : m_clients) {
    bytes += sizeof(Client) + c->conn.memory_bytes() + c->info.session_id.capacity();
    for (const auto& topic : c->topics) bytes += 64 + topic.capacity();  // a set node
  }
  m_memory_gauge->set(static_cast<double>(bytes));
  for (Client* c : std::vector<Client*>(m_clients.begin(), m_clients.end())) {
    if (c->info.expires_at_ms > 0 && wall >= c->info.expires_at_ms &&
        c->conn.state() == Connection::State::open) {
      m_closed_expired->inc();
      close_for_credentials(c, "credentials expired");
      continue;
    }
    if (c->conn.finished()) {
      // Its final frames have had a full tick to drain.
      if (c->lingering) {
        remove(c);
      } else {
        c->lingering = true;
      }
      continue;
    }
    c->conn.on_tick(t);
    if (c->conn.overflowed()) {
      drop_slow(c);
    } else {
      flush(c);
    }
  }
}

void Hub::close_all(std::uint16_t code) {
  if (m_shutting_down) return;
  m_shutting_down = true;
  close_timers();
  const std::int64_t t = now();
  for (Client* c : std::vector<Client*>(m_clients.begin(), m_clients.end())) {
    c->conn.close(code, "server shutting down", t);
    flush(c);
  }
  if (m_clients.empty()) return;
  m_grace_timer = new uv_timer_t;
  uv_timer_init(m_loop, m_grace_timer);
  m_grace_timer->data = this;
  uv_timer_start(
      m_grace_timer,
      [](uv_timer_t* t) {
        auto* hub = static_cast<Hub*>(t->data);
        for (Client* c : std::vector<Client*>(hub->m_clients.begin(), hub->m_clients.end()))
          hub->remove(c);
        hub->close_timers();
      },
      m_options.shutdown_grace_ms, 0);
}

void Hub::close_timers() {
  for (uv_timer_t** t : {&m_tick_timer, &m_grace_timer, &m_topics_timer}) {
    if (!*t) continue;
    uv_timer_stop(*t);
    uv_close(reinterpret_cast<uv_handle_t*>(*t), on_timer_closed);
    *t = nullptr;
  }
}

void Hub::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* c = static_cast<Client*>(handle->data);
  *buf = uv_buf_init(c->hub->m_read_buf.get(), kReadBufSize);
}

void Hub::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Client*>(stream->data);
  if (c->closing) return;
  if (nread > 0) {
    c->hub->handle_read(c, buf->base, static_cast<std::size_t>(nread));
  } else if (nread < 0) {
    c->hub->remove(c);  // EOF or error
  }
}

void Hub::on_write(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  Client* c = w->client;
  --c->writes_in_flight;
  c->conn.on_written(w->bytes);
  delete w;
  if (c->closing) return;
  if (status < 0) {
    log::debug("ws: write to {} failed: {}", c->info.remote, uv_strerror(status));
    return c->hub->remove(c);
  }
  c->hub->flush(c);
}

void Hub::on_client_closed(uv_handle_t* handle) { delete static_cast<Client*>(handle->data); }

void Hub::on_timer_closed(uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); }

}  // namespace tt::ws
