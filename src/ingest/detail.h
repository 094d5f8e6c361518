// ingest/detail.h — pieces shared by the ingest parsers: number syntax, label validation and the
// collector that groups samples and caps the kept errors. Only src/ingest/*.cpp includes this.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "ingest/ingest.h"

namespace tt::ingest::detail {

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

using tt::valid_utf8;

// `s` for an error message: at most 64 bytes, in double quotes, bytes outside printable ASCII
// (and `"`, `\`) escaped, so a message is always valid UTF-8 and short.
std::string quote(std::string_view s);

enum class Specials { allow, reject };  // NaN and infinities

// Go's strconv.ParseFloat syntax minus hex and underscores: [+-] digits [. digits] [e [+-] digits],
// or (when allowed) NaN, Inf, Infinity in any case with an optional sign. The whole of `s` must be
// the number. False when malformed or when the magnitude overflows a double (tiny values round
// to a subnormal or zero). NaN comes out as kNormalNanBits.
bool parse_float(std::string_view s, Specials specials, double& out);

// [+-] decimal digits, the whole of `s`, within int64.
bool parse_int64(std::string_view s, std::int64_t& out);

double normal_nan();

// Calls fn(line, line_no) for each line of body (1-based numbers; "\n" or "\r\n" endings; a
// last line without an ending counts too).
template <typename Fn>
void for_each_line(std::string_view body, Fn&& fn) {
  std::size_t line_no = 0, pos = 0;
  while (pos < body.size()) {
    const void* nl = std::memchr(body.data() + pos, '\n', body.size() - pos);
    std::size_t end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - body.data()) : body.size();
    std::string_view line = body.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++line_no);
    pos = end + 1;
  }
}

// A label as a parser found it: views into the body or into the parser's unescape buffer.
struct RawLabel {
  std::string_view name;
  std::string_view value;
  std::size_t column = 0;  // 1-based column of the name, for errors; 0 when unknown
};

struct LabelIssue {
  enum class Kind { invalid, duplicate, too_many };
  Kind kind = Kind::invalid;
  std::size_t column = 0;  // of the offending label; 0: the caller picks (e.g. the list start)
  std::string message;
  std::string label;  // offending label name, empty when not about one label
};

// Message when `metric` breaks the naming rules or the length limit.
std::optional<std::string> check_metric_name(std::string_view metric);

// Validates names (rules, length, "__" reserved) and values (length, UTF-8) in input order,
// sorts by name, rejects duplicates, drops empty values, then checks the label count.
// `check_names` false skips the name-syntax check for callers that sanitised the names.
std::optional<LabelIssue> normalize_labels(std::vector<RawLabel>& labels, bool check_names = true);

// True when `ls` equals the set `metric` + `sorted` (sorted, as normalize_labels leaves it).
bool same_labels(const LabelSet& ls, std::string_view metric, std::span<const RawLabel> sorted);

// Fills `out` with __name__=metric merged into `sorted`.
void build_label_set(std::string_view metric, std::span<const RawLabel> sorted, LabelSet& out);

// Accumulates a ParseResult. Lines commit their samples only once the whole line parsed.
class Collector {
 public:
  void error(std::size_t line, std::size_t column, std::string message, std::string path = {});

  // Entry for the series `metric` + `sorted`: the last entry when it is that series, else a new
  // one; nullptr when a new one would pass kMaxSeriesPerRequest.
  SeriesSamples* series_for(std::string_view metric, std::span<const RawLabel> sorted);
  SeriesSamples* series_for(LabelSet&& labels);

  void add(SeriesSamples& s, Sample sample) {
    s.samples.push_back(sample);
    ++m_out.sample_count;
  }
  std::size_t series_count() const { return m_out.series.size(); }
  SeriesSamples& series_at(std::size_t i) { return m_out.series[i]; }
  void count_skipped_field() { ++m_out.skipped_fields; }
  ParseResult take() { return std::move(m_out); }

  static std::string too_many_series_message();

 private:
  ParseResult m_out;
};

}  // namespace tt::ingest::detail
