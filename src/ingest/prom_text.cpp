// Prometheus text exposition format 0.0.4. One pass over the body, one line at a time; labels
// are views into the body (or into a per-line unescape buffer) until a new series is created.
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "ingest/detail.h"

namespace tt::ingest {
namespace {

using detail::is_blank;
using detail::quote;
using detail::RawLabel;

// Byte classes for label names: what ends a name, what may start one, what may follow.
constexpr std::uint8_t kOther = 0, kStop = 1, kNameChar = 2, kDigit = 3;
constexpr auto kClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (char c : {' ', '\t', '=', ',', '}', '"'}) t[static_cast<unsigned char>(c)] = kStop;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kNameChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kNameChar;
  t['_'] = kNameChar;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  return t;
}();

bool known_type(std::string_view t) {
  for (std::string_view k : {"counter", "gauge", "histogram", "summary", "untyped", "unknown",
                             "info", "stateset", "gaugehistogram"})
    if (t == k) return true;
  return false;
}

class PromTextParser {
 public:
  PromTextParser(TimeMs default_ts) : m_default_ts(default_ts) {}

  ParseResult run(std::string_view body) {
    detail::for_each_line(
        body, [this](std::string_view line, std::size_t line_no) { parse_line(line, line_no); });
    return m_out.take();
  }

 private:
  void fail(std::size_t line_no, std::size_t pos, std::string message) {
    m_out.error(line_no, pos + 1, std::move(message));
  }

  static std::size_t skip_blanks(std::string_view line, std::size_t pos) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    return pos;
  }

  void parse_comment(std::string_view line, std::size_t pos, std::size_t line_no) {
    // "# TYPE name type" is checked loosely; every other comment is skipped.
    std::size_t p = skip_blanks(line, pos + 1);
    if (line.substr(p, 4) != "TYPE" || (p + 4 < line.size() && !is_blank(line[p + 4]))) return;
    p = skip_blanks(line, p + 4);
    std::size_t name_start = p;
    while (p < line.size() && !is_blank(line[p])) ++p;
    std::string_view name = line.substr(name_start, p - name_start);
    if (auto msg = detail::check_metric_name(name))
      return fail(line_no, name_start, "# TYPE: " + *msg);
    p = skip_blanks(line, p);
    std::size_t type_start = p;
    while (p < line.size() && !is_blank(line[p])) ++p;
    std::string_view type = line.substr(type_start, p - type_start);
    if (!known_type(type))
      return fail(line_no, type_start,
                  fmt::format("# TYPE: unknown metric type {} (counter, gauge, histogram, "
                              "summary, untyped)",
                              quote(type)));
    p = skip_blanks(line, p);
    if (p < line.size()) fail(line_no, p, "# TYPE: unexpected text after the metric type");
  }

  // Parses `{...}` starting at line[pos] == '{' into m_labels; returns the position after '}'
  // or npos after reporting an error.
  std::size_t parse_labels(std::string_view line, std::size_t pos, std::size_t line_no) {
    constexpr auto npos = std::string_view::npos;
    ++pos;
    for (;;) {
      pos = skip_blanks(line, pos);
      if (pos < line.size() && line[pos] == '}') return pos + 1;
      std::size_t name_start = pos;
      bool name_ok =
          pos < line.size() && kClass[static_cast<unsigned char>(line[pos])] == kNameChar;
      while (pos < line.size()) {
        std::uint8_t cls = kClass[static_cast<unsigned char>(line[pos])];
        if (cls == kStop) break;
        name_ok &= cls != kOther;
        ++pos;
      }
      std::string_view name = line.substr(name_start, pos - name_start);
      if (!name.empty() && !name_ok) {
        fail(line_no, name_start,
             fmt::format("invalid label name {}: must match [a-zA-Z_][a-zA-Z0-9_]*", quote(name)));
        return npos;
      }
      if (name.empty()) {
        if (pos >= line.size())
          fail(line_no, pos, "unexpected end of line in the label list");
        else
          fail(line_no, pos,
               fmt::format("expected a label name, found {}", quote(line.substr(pos, 1))));
        return npos;
      }
      pos = skip_blanks(line, pos);
      if (pos >= line.size() || line[pos] != '=') {
        fail(line_no, pos, fmt::format("expected '=' after label name {}", quote(name)));
        return npos;
      }
      pos = skip_blanks(line, pos + 1);
      if (pos >= line.size() || line[pos] != '"') {
        fail(line_no, pos, fmt::format("expected '\"' to open the value of label {}", quote(name)));
        return npos;
      }
      std::size_t quote_pos = pos++;
      std::size_t value_start = pos;
      bool escaped = false;
      const char* data = line.data();
      const void* q = std::memchr(data + pos, '"', line.size() - pos);
      std::size_t close =
          q ? static_cast<std::size_t>(static_cast<const char*>(q) - data) : line.size();
      if (std::memchr(data + pos, '\\', close - pos)) {
        escaped = true;  // the quote found may be escaped: scan byte by byte
        while (pos < line.size() && line[pos] != '"') pos += line[pos] == '\\' ? 2 : 1;
      } else {
        pos = close;
      }
      if (pos >= line.size()) {
        fail(line_no, quote_pos, fmt::format("unterminated value of label {}", quote(name)));
        return npos;
      }
      std::string_view value = line.substr(value_start, pos - value_start);
      if (escaped) value = unescape(value, line.size());
      m_labels.push_back(RawLabel{name, value, name_start + 1});
      pos = skip_blanks(line, pos + 1);
      if (pos < line.size() && line[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < line.size() && line[pos] == '}') return pos + 1;
      if (pos >= line.size())
        fail(line_no, pos, "unexpected end of line in the label list");
      else
        fail(line_no, pos,
             fmt::format("expected ',' or '}}' after the value of label {}", quote(name)));
      return npos;
    }
  }

  // \\ -> \, \" -> ", \n -> newline; other pairs stay as written. The buffer is reserved to the
  // line length at the line's first escape, so views handed out earlier in the line stay valid.
  std::string_view unescape(std::string_view v, std::size_t line_size) {
    if (m_unescaped.capacity() < line_size) {
      m_unescaped.clear();
      m_unescaped.reserve(line_size);
    }
    std::size_t start = m_unescaped.size();
    for (std::size_t i = 0; i < v.size(); ++i) {
      char c = v[i];
      if (c == '\\' && i + 1 < v.size()) {
        char n = v[i + 1];
        if (n == '\\' || n == '"')
          c = n, ++i;
        else if (n == 'n')
          c = '\n', ++i;
      }
      m_unescaped.push_back(c);
    }
    return std::string_view(m_unescaped).substr(start);
  }

  void parse_line(std::string_view line, std::size_t line_no) {
    std::size_t pos = skip_blanks(line, 0);
    if (pos >= line.size()) return;
    if (line[pos] == '#') return parse_comment(line, pos, line_no);

    std::string_view rest = line.substr(pos);
    std::size_t series_end;
    SeriesSamples* series = nullptr;
    bool same_text = !m_last_key.empty() && rest.starts_with(m_last_key) &&
                     (m_last_key.back() == '}' ||
                      (rest.size() > m_last_key.size() && is_blank(rest[m_last_key.size()])));
    if (same_text) {
      // Byte-identical series text to the line that made the last entry: same labels.
      series = &m_out.series_at(m_out.series_count() - 1);
      series_end = pos + m_last_key.size();
    } else {
      std::size_t name_start = pos;
      while (pos < line.size() && line[pos] != '{' && !is_blank(line[pos])) ++pos;
      std::string_view name = line.substr(name_start, pos - name_start);
      if (name.empty()) return fail(line_no, name_start, "expected a metric name");
      if (name != m_valid_name) {  // consecutive lines mostly share the metric name
        if (auto msg = detail::check_metric_name(name)) return fail(line_no, name_start, *msg);
        m_valid_name = name;
      }
      series_end = pos;
      std::size_t p = skip_blanks(line, pos);
      m_labels.clear();
      m_unescaped.clear();
      if (p < line.size() && line[p] == '{') {
        series_end = parse_labels(line, p, line_no);
        if (series_end == std::string_view::npos) return;
        if (auto issue = detail::normalize_labels(m_labels, false))  // names checked above
          return fail(line_no, issue->column ? issue->column - 1 : p, issue->message);
      }
      m_pending_name = name;
      m_pending_key = line.substr(name_start, series_end - name_start);
    }

    // Value and optional timestamp.
    pos = skip_blanks(line, series_end);  // `name{...}1`, without a blank, is accepted
    std::size_t value_start = pos;
    while (pos < line.size() && !is_blank(line[pos])) ++pos;
    std::string_view value_text = line.substr(value_start, pos - value_start);
    if (value_text.empty()) return fail(line_no, value_start, "expected a sample value");
    double value;
    if (!detail::parse_float(value_text, detail::Specials::allow, value))
      return fail(line_no, value_start, fmt::format("invalid sample value {}", quote(value_text)));
    TimeMs ts = m_default_ts;
    pos = skip_blanks(line, pos);
    if (pos < line.size()) {
      std::size_t ts_start = pos;
      while (pos < line.size() && !is_blank(line[pos])) ++pos;
      std::string_view ts_text = line.substr(ts_start, pos - ts_start);
      if (!detail::parse_int64(ts_text, ts))
        return fail(
            line_no, ts_start,
            fmt::format("invalid timestamp {}: expected integer milliseconds", quote(ts_text)));
      pos = skip_blanks(line, pos);
      if (pos < line.size()) return fail(line_no, pos, "unexpected text after the timestamp");
    }

    if (!series) {
      series = m_out.series_for(m_pending_name, m_labels);
      if (!series) return fail(line_no, 0, detail::Collector::too_many_series_message());
      m_last_key = m_pending_key;
    }
    m_out.add(*series, Sample{ts, value});
  }

  TimeMs m_default_ts;
  detail::Collector m_out;
  std::vector<RawLabel> m_labels;  // labels of the current line
  std::string m_unescaped;         // unescaped label values of the current line
  std::string_view m_pending_name;
  std::string_view m_pending_key;
  std::string_view m_last_key;    // series text of the line that made the last entry
  std::string_view m_valid_name;  // last metric name that passed check_metric_name
};

}  // namespace

ParseResult parse_prometheus_text(std::string_view body, TimeMs default_ts) {
  return PromTextParser(default_ts).run(body);
}

}  // namespace tt::ingest
