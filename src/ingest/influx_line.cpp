// InfluxDB line protocol, mapped to the Prometheus model as Telegraf and VictoriaMetrics do.
// The tag labels of a line are kept while the next line has the same measurement and tags
// (byte for byte), and so is the entry each of its fields went to.
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstring>

#include "ingest/detail.h"

namespace tt::ingest {
namespace {

using detail::quote;
using detail::RawLabel;

// Index just past a token that ends at an unescaped byte from `stops` (or at the end).
template <typename Stop>
std::size_t scan_escaped(std::string_view line, std::size_t pos, Stop stop) {
  while (pos < line.size()) {
    char c = line[pos];
    if (c == '\\') {
      pos += 2;
      continue;
    }
    if (stop(c)) return pos;
    ++pos;
  }
  return line.size();
}

// Appends `raw` unescaped (`\ ` `\,` `\=` `\\`) and sanitised to a Prometheus name: bytes
// outside [a-zA-Z0-9_] (and ':' for metric names) become '_', one per UTF-8 sequence; a name
// that would start with a digit gets a '_' in front (`starts_name`: raw begins the name).
void append_name(std::string& out, std::string_view raw, bool metric, bool starts_name = true) {
  std::size_t start = out.size();
  bool prev_non_ascii = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == ' ' || n == ',' || n == '=' || n == '\\') c = n, ++i;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      bool continuation = (u & 0xC0) == 0x80;
      if (!(continuation && prev_non_ascii)) out.push_back('_');
      prev_non_ascii = true;
      continue;
    }
    prev_non_ascii = false;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (c >= '0' && c <= '9') || (metric && c == ':');
    if (starts_name && out.size() == start && c >= '0' && c <= '9') out.push_back('_');
    out.push_back(ok ? c : '_');
  }
}

void append_unescaped(std::string& out, std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == ' ' || n == ',' || n == '=' || n == '\\') c = n, ++i;
    }
    out.push_back(c);
  }
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

bool to_ms(std::int64_t t, Precision p, TimeMs& out) {
  switch (p) {
    case Precision::ns:
      out = floor_div(t, 1'000'000);
      return true;
    case Precision::us:
      out = floor_div(t, 1'000);
      return true;
    case Precision::ms:
      out = t;
      return true;
    case Precision::s:
      return !__builtin_mul_overflow(t, std::int64_t{1'000}, &out);
    case Precision::m:
      return !__builtin_mul_overflow(t, std::int64_t{60'000}, &out);
    case Precision::h:
      return !__builtin_mul_overflow(t, std::int64_t{3'600'000}, &out);
  }
  return false;
}

bool field_value(std::string_view text, double& out) {
  if (text.empty()) return false;
  char last = text.back();
  if (last == 'i') {
    std::int64_t v;
    if (!detail::parse_int64(text.substr(0, text.size() - 1), v)) return false;
    out = static_cast<double>(v);
    return true;
  }
  if (last == 'u') {
    std::uint64_t v;
    auto digits = text.substr(0, text.size() - 1);
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size())
      return false;
    out = static_cast<double>(v);
    return true;
  }
  for (std::string_view t : {"t", "T", "true", "True", "TRUE"})
    if (text == t) return out = 1, true;
  for (std::string_view f : {"f", "F", "false", "False", "FALSE"})
    if (text == f) return out = 0, true;
  return detail::parse_float(text, detail::Specials::reject, out);
}

class InfluxParser {
 public:
  InfluxParser(Precision precision, TimeMs default_ts)
      : m_precision(precision), m_default_ts(default_ts) {}

  ParseResult run(std::string_view body) {
    detail::for_each_line(
        body, [this](std::string_view line, std::size_t line_no) { parse_line(line, line_no); });
    return m_out.take();
  }

 private:
  static constexpr std::size_t kMaxFieldEntries = 64;

  struct PendingField {
    std::string_view key_raw;
    double value;
  };
  struct FieldEntry {
    std::string_view key_raw;
    std::size_t series_index;
  };

  void fail(std::size_t line_no, std::size_t pos, std::string message) {
    m_out.error(line_no, pos + 1, std::move(message));
  }

  // Unescapes and sanitises measurement and tags into m_tags / m_measurement.
  bool build_tags(std::string_view line, std::size_t meas_end,
                  std::span<const std::pair<std::size_t, std::size_t>> tag_spans, std::size_t start,
                  std::size_t line_no) {
    m_measurement.clear();
    append_name(m_measurement, line.substr(start, meas_end - start), true);
    m_tag_buf.clear();
    m_tag_buf.reserve(2 * line.size() + 2);  // names may grow by one byte: views stay valid
    m_tags.clear();
    for (auto [key_start, eq] : tag_spans) {
      std::size_t value_end =
          scan_escaped(line, eq + 1, [](char c) { return c == ',' || c == ' '; });
      std::size_t off = m_tag_buf.size();
      append_name(m_tag_buf, line.substr(key_start, eq - key_start), false);
      std::string_view name(m_tag_buf.data() + off, m_tag_buf.size() - off);
      off = m_tag_buf.size();
      append_unescaped(m_tag_buf, line.substr(eq + 1, value_end - eq - 1));
      std::string_view value(m_tag_buf.data() + off, m_tag_buf.size() - off);
      m_tags.push_back(RawLabel{name, value, key_start + 1});
    }
    if (auto issue = detail::normalize_labels(m_tags, false)) {
      fail(line_no, issue->column ? issue->column - 1 : meas_end, "tag: " + issue->message);
      return false;
    }
    return true;
  }

  void parse_line(std::string_view line, std::size_t line_no) {
    std::size_t pos = 0;
    while (pos < line.size() && detail::is_blank(line[pos])) ++pos;
    if (pos >= line.size() || line[pos] == '#') return;
    std::size_t start = pos;
    pos = scan_escaped(line, pos, [](char c) { return c == ',' || c == ' '; });
    std::size_t meas_end = pos;
    if (meas_end == start) return fail(line_no, start, "expected a measurement name");

    m_tag_spans.clear();
    while (pos < line.size() && line[pos] == ',') {
      std::size_t key_start = ++pos;
      pos = scan_escaped(line, pos, [](char c) { return c == '=' || c == ',' || c == ' '; });
      std::string_view key = line.substr(key_start, pos - key_start);
      if (key.empty()) return fail(line_no, key_start, "expected a tag key after ','");
      if (pos >= line.size() || line[pos] != '=')
        return fail(line_no, pos, fmt::format("expected '=' after tag key {}", quote(key)));
      std::size_t eq = pos;
      pos = scan_escaped(line, pos + 1, [](char c) { return c == ',' || c == ' '; });
      if (pos == eq + 1) return fail(line_no, pos, fmt::format("tag {} has no value", quote(key)));
      m_tag_spans.emplace_back(key_start, eq);
    }
    std::size_t series_key_end = pos;
    if (pos >= line.size())
      return fail(line_no, pos, "expected a field set after the measurement and tags");
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos >= line.size())
      return fail(line_no, pos, "expected a field set after the measurement and tags");

    // Fields: parse them all before committing any.
    m_pending.clear();
    std::size_t strings = 0;
    for (;;) {
      std::size_t key_start = pos;
      pos = scan_escaped(line, pos, [](char c) { return c == '=' || c == ',' || c == ' '; });
      std::string_view key = line.substr(key_start, pos - key_start);
      if (key.empty()) return fail(line_no, key_start, "expected a field key");
      if (pos >= line.size() || line[pos] != '=')
        return fail(line_no, pos, fmt::format("expected '=' after field key {}", quote(key)));
      ++pos;
      if (pos < line.size() && line[pos] == '"') {
        std::size_t open = pos++;
        while (pos < line.size() && line[pos] != '"') pos += line[pos] == '\\' ? 2 : 1;
        if (pos >= line.size())
          return fail(line_no, open,
                      fmt::format("unterminated string value of field {}", quote(key)));
        ++pos;
        ++strings;
      } else {
        std::size_t value_start = pos;
        while (pos < line.size() && line[pos] != ',' && line[pos] != ' ') ++pos;
        std::string_view text = line.substr(value_start, pos - value_start);
        double v;
        if (text.empty())
          return fail(line_no, value_start, fmt::format("field {} has no value", quote(key)));
        if (!field_value(text, v))
          return fail(line_no, value_start,
                      fmt::format("invalid value {} of field {}: expected a finite float, an "
                                  "integer like 42i or 42u, a boolean, or a \"string\"",
                                  quote(text), quote(key)));
        m_pending.push_back(PendingField{key, v});
      }
      if (pos < line.size() && line[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < line.size() && line[pos] != ' ')
        return fail(line_no, pos, "expected ',' or ' ' after a field value");
      break;
    }

    TimeMs ts = m_default_ts;
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos < line.size()) {
      std::size_t ts_start = pos;
      while (pos < line.size() && line[pos] != ' ') ++pos;
      std::string_view ts_text = line.substr(ts_start, pos - ts_start);
      std::int64_t t;
      if (!detail::parse_int64(ts_text, t))
        return fail(line_no, ts_start,
                    fmt::format("invalid timestamp {}: expected an integer", quote(ts_text)));
      if (!to_ms(t, m_precision, ts))
        return fail(line_no, ts_start, fmt::format("timestamp {} out of range", quote(ts_text)));
      while (pos < line.size() && line[pos] == ' ') ++pos;
      if (pos < line.size()) return fail(line_no, pos, "unexpected text after the timestamp");
    }

    std::string_view series_key = line.substr(start, series_key_end - start);
    if (series_key != m_last_series_key || m_last_series_key.empty()) {
      m_last_series_key = {};
      m_field_entries.clear();
      if (!build_tags(line, meas_end, m_tag_spans, start, line_no)) return;
      m_last_series_key = series_key;
    }

    // Resolve each field's entry; fail before committing anything if the series limit bites.
    m_resolved.clear();
    std::size_t new_series = 0;
    for (const auto& f : m_pending) {
      std::size_t idx = SIZE_MAX;
      for (const auto& e : m_field_entries)
        if (e.key_raw == f.key_raw) idx = e.series_index;
      if (idx == SIZE_MAX) ++new_series;
      m_resolved.push_back(idx);
    }
    if (m_out.series_count() + new_series > kMaxSeriesPerRequest)
      return fail(line_no, start, detail::Collector::too_many_series_message());
    m_names.clear();
    for (std::size_t i = 0; i < m_pending.size(); ++i) {
      std::size_t idx = m_resolved[i];
      if (idx == SIZE_MAX) {
        m_name.assign(m_measurement);
        std::string_view key_raw = m_pending[i].key_raw;
        if (key_raw != "value") {
          m_name.push_back('_');
          append_name(m_name, key_raw, true, false);
        }
        if (auto msg = detail::check_metric_name(m_name)) {
          // Only the length can fail after sanitising; all names are checked before any commit.
          return fail(line_no, start, *msg);
        }
        m_names.push_back(m_name);
      }
    }
    std::size_t name_i = 0;
    for (std::size_t i = 0; i < m_pending.size(); ++i) {
      std::size_t idx = m_resolved[i];
      if (idx == SIZE_MAX) {
        m_out.series_for(m_names[name_i++], m_tags);  // cannot fail: counted above
        idx = m_out.series_count() - 1;
        if (m_field_entries.size() < kMaxFieldEntries)  // bounds the lookups per field
          m_field_entries.push_back(FieldEntry{m_pending[i].key_raw, idx});
      }
      m_out.add(m_out.series_at(idx), Sample{ts, m_pending[i].value});
    }
    for (std::size_t i = 0; i < strings; ++i) m_out.count_skipped_field();
  }

  Precision m_precision;
  TimeMs m_default_ts;
  detail::Collector m_out;
  std::vector<std::pair<std::size_t, std::size_t>> m_tag_spans;  // (key start, '=' position)
  std::vector<PendingField> m_pending;
  std::vector<std::size_t> m_resolved;
  std::vector<std::string> m_names;
  std::string m_name;
  // Kept while consecutive lines share measurement and tags:
  std::string_view m_last_series_key;  // raw measurement+tags of the line they came from
  std::string m_measurement;           // sanitised
  std::string m_tag_buf;               // storage of m_tags' names and values
  std::vector<RawLabel> m_tags;        // sorted, validated
  std::vector<FieldEntry> m_field_entries;
};

}  // namespace

ParseResult parse_influx_line(std::string_view body, Precision precision, TimeMs default_ts) {
  return InfluxParser(precision, default_ts).run(body);
}

}  // namespace tt::ingest
