#include "fleet/batch.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <optional>

#include "core/json.h"
#include "ingest/ingest.h"

namespace tt::fleet {

namespace {

using nlohmann::json;

Error bad_batch(std::string message) {
  return Error::make(ErrorKind::invalid_input, "INGEST_BAD_BATCH", std::move(message));
}

bool valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64 || !(kind[0] >= 'a' && kind[0] <= 'z')) return false;
  for (char c : kind)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) return false;
  return true;
}

Result<std::vector<AgentEvent>> read_events(const json& events, TimeMs now) {
  if (!events.is_array() || events.size() > kMaxEventsPerBatch)
    return bad_batch(
        fmt::format("\"events\" must be an array of at most {} objects", kMaxEventsPerBatch));
  std::vector<AgentEvent> out;
  for (const auto& e : events) {
    if (!e.is_object()) return bad_batch("each event must be an object");
    AgentEvent ev;
    auto kind = e.find("kind");
    if (kind == e.end() || !kind->is_string() || !valid_kind(kind->get_ref<const std::string&>()))
      return bad_batch("an event's \"kind\" must be 1 to 64 of a-z, 0-9, '.' and '_'");
    ev.kind = kind->get<std::string>();
    if (auto m = e.find("message"); m != e.end()) {
      if (!m->is_string() || m->get_ref<const std::string&>().size() > 1024)
        return bad_batch("an event's \"message\" must be a string of at most 1024 bytes");
      ev.message = m->get<std::string>();
    }
    if (auto d = e.find("data"); d != e.end()) {
      if (!d->is_object()) return bad_batch("an event's \"data\" must be an object");
      ev.data = *d;
    }
    ev.at = now;
    if (auto t = e.find("time"); t != e.end()) {
      if (!t->is_number_integer()) return bad_batch("an event's \"time\" must be milliseconds");
      ev.at = t->get<std::int64_t>();
    }
    out.push_back(std::move(ev));
  }
  return out;
}

std::uint64_t read_count(const json& msg, const char* name) {
  auto it = msg.find(name);
  return it != msg.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// The samples in whichever format the batch uses; parse errors refuse the whole batch, as the
// HTTP push endpoints do.
Result<ingest::ParseResult> read_samples(const json& msg, TimeMs time) {
  ingest::ParseResult parsed;
  int formats = 0;
  if (auto it = msg.find("prometheus"); it != msg.end()) {
    if (!it->is_string()) return bad_batch("\"prometheus\" must be a string of exposition text");
    parsed = ingest::parse_prometheus_text(it->get_ref<const std::string&>(), time);
    ++formats;
  }
  if (auto it = msg.find("influx"); it != msg.end()) {
    if (!it->is_string()) return bad_batch("\"influx\" must be a string of line protocol");
    auto p = msg.find("precision");
    if (p != msg.end() && !p->is_string())
      return bad_batch("\"precision\" must be a string: ns, us, ms or s");
    auto precision =
        ingest::parse_precision(p != msg.end() ? p->get<std::string>() : std::string("ns"));
    if (!precision.ok()) return std::move(precision).error();
    parsed = ingest::parse_influx_line(it->get_ref<const std::string&>(), precision.value(), time);
    ++formats;
  }
  if (auto it = msg.find("series"); it != msg.end()) {
    parsed = ingest::parse_json_samples(json{{"series", *it}}.dump());
    ++formats;
  }
  if (formats > 1) return bad_batch("a batch has one of \"prometheus\", \"influx\" and \"series\"");
  if (parsed.error_count == 0) return parsed;
  auto e = Error::make(ErrorKind::validation, "INGEST_PARSE_ERROR",
                       fmt::format("{} line(s) could not be taken; nothing of the batch was stored",
                                   parsed.error_count));
  for (const auto& le : parsed.errors)
    e.fields.push_back(
        {le.path.empty() ? fmt::format("line {}:{}", le.line, le.column) : le.path, le.message});
  return e;
}

}  // namespace

namespace {

// `framed_seq`: the seq a binary message's frame gave (0: none, the JSON must have one).
Decoded decode(std::string_view text, TimeMs now, std::uint64_t framed_seq) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) return {framed_seq, bad_batch(parsed.error().message)};
  const json& msg = parsed.value();
  if (framed_seq == 0 && msg.is_object() && msg.value("type", json()) == "from") {
    auto it = msg.find("seq");
    if (it == msg.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
      return {0, bad_batch("a \"from\" message's \"seq\" must be an integer from 1")};
    return {0, Batch{}, it->get<std::uint64_t>()};
  }
  if (!msg.is_object() || msg.value("type", json()) != "batch")
    return {framed_seq, bad_batch("expected an object with \"type\": \"batch\" (or \"from\")")};
  std::uint64_t seq = framed_seq;
  if (auto it = msg.find("seq"); it != msg.end() || framed_seq == 0) {
    if (it == msg.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() == 0)
      return {framed_seq, bad_batch("\"seq\" must be an integer from 1")};
    if (framed_seq != 0 && it->get<std::uint64_t>() != framed_seq)
      return {framed_seq, bad_batch("\"seq\" differs from the message's frame")};
    seq = it->get<std::uint64_t>();
  }
  TimeMs time = now;
  if (auto t = msg.find("time"); t != msg.end()) {
    if (!t->is_number_integer())
      return {seq, bad_batch("\"time\" must be milliseconds since the epoch")};
    time = t->get<std::int64_t>();
  }
  auto samples = read_samples(msg, time);
  if (!samples.ok()) return {seq, std::move(samples).error()};
  Batch b;
  b.seq = seq;
  b.time = time;
  b.series = std::move(samples->series);
  b.samples = samples->sample_count;
  if (auto ev = msg.find("events"); ev != msg.end()) {
    auto events = read_events(*ev, time);
    if (!events.ok()) return {seq, std::move(events).error()};
    b.events = std::move(events.value());
  }
  b.dropped_records = read_count(msg, "dropped_records");
  b.dropped_bytes = read_count(msg, "dropped_bytes");
  return {seq, std::move(b)};
}

// A zlib stream inflated, refused past `limit` bytes (a small bomb must not fill memory).
Result<std::string> inflate_bounded(std::string_view in, std::size_t limit) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return bad_batch("cannot inflate");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::optional<Error> failed;
  for (;;) {
    if (out.size() >= limit) {
      failed = bad_batch(fmt::format("the batch inflates to more than {} bytes", limit));
      break;
    }
    const std::size_t at = out.size();
    out.resize(std::min(limit, std::max<std::size_t>(at * 2, 64 * 1024)));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(out.size() - at);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in != 0) failed = bad_batch("bytes follow the batch's zlib stream");
      break;
    }
    // Z_BUF_ERROR with room left: the input ended before the stream did.
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || (rc == Z_BUF_ERROR && z.avail_out != 0)) {
      failed = bad_batch("the batch is not one whole zlib stream");
      break;
    }
  }
  inflateEnd(&z);
  if (failed) return std::move(*failed);
  return out;
}

}  // namespace

Decoded decode_batch(std::string_view text, TimeMs now) { return decode(text, now, 0); }

Decoded decode_binary_batch(std::string_view bytes, TimeMs now) {
  if (bytes.size() < 8) return {0, bad_batch("a binary batch starts with its seq in 8 bytes")};
  std::uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) seq = seq << 8 | static_cast<unsigned char>(bytes[i]);
  if (seq == 0) return {0, bad_batch("\"seq\" must be an integer from 1")};
  auto text = inflate_bounded(bytes.substr(8), kMaxInflatedBytes);
  if (!text.ok()) return {seq, std::move(text).error()};
  return decode(text.value(), now, seq);
}

}  // namespace tt::fleet
