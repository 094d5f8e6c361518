// ingest/ — parsers of pushed metrics (Prometheus text, InfluxDB line protocol, Telltale JSON)
// that turn outside bytes into samples. Pure functions: no I/O, no HTTP, no shared state, safe
// from any thread. The API layer calls them with the request body and query parameters.
//
// Partial-batch rule (all three parsers): every line (JSON: every series entry) is parsed.
// Good lines produce samples; each bad line produces one LineError with a 1-based line and
// column (JSON: line 0, column 0 and a path such as `series[3].values[7]`) and a message naming
// the offending token, and contributes no samples at all — not even the good fields of a
// line-protocol line. Nothing is dropped silently: the parser only reports, the caller decides.
// The API stores nothing when error_count > 0 and answers 400 with the errors, so a client can
// fix the batch and resend it whole. Comments, blank lines and InfluxDB string fields (counted in
// skipped_fields) are the only input that yields neither samples nor errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace tt::ingest {

// Limits per request. Exceeding one is a LineError on the line concerned, never a truncation.
inline constexpr std::size_t kMaxSeriesPerRequest = 1'000'000;  // entries in ParseResult::series
inline constexpr std::size_t kMaxLabelsPerSeries = 64;          // non-empty labels, not __name__
inline constexpr std::size_t kMaxLabelValueBytes = 4096;
inline constexpr std::size_t kMaxMetricNameBytes = 256;
inline constexpr std::size_t kMaxLabelNameBytes = 256;
inline constexpr std::size_t kMaxErrorsKept = 100;  // error_count still counts them all

// Every NaN a parser produces has exactly these bits (Prometheus' "normal NaN"), so a pushed NaN
// can never be mistaken for a staleness marker (0x7ff0000000000002) further down.
inline constexpr std::uint64_t kNormalNanBits = 0x7ff8000000000001ULL;

// core's type (labels, samples), so the store takes the result as it is. From the parsers:
// labels sorted, including __name__, no empty values; samples in input order.
using SeriesSamples = tt::SeriesSamples;

struct LineError {
  std::size_t line = 0;    // 1-based; 0 for JSON
  std::size_t column = 0;  // 1-based byte offset in the line (CR of CRLF not counted); 0 for JSON
  std::string message;     // printable ASCII: offending text is quoted, escaped and truncated
  std::string path;        // JSON only: e.g. "series[3].values[7]"; empty for text formats
};

// The samples of one request, grouped by series. A series' samples keep their input order.
// Parsers merge cheap-to-detect repeats (consecutive lines of the same series; for line protocol
// also the fields of consecutive lines with the same measurement and tags), so one series may
// still appear in several entries when its lines are interleaved with others'; the series limit
// counts entries.
struct ParseResult {
  std::vector<SeriesSamples> series;
  std::size_t sample_count = 0;
  std::vector<LineError> errors;   // the first kMaxErrorsKept
  std::size_t error_count = 0;     // all of them
  std::size_t skipped_fields = 0;  // InfluxDB string fields: accepted, not stored
};

// Validates and normalises one series' labels the way every parser does: metric name by the
// Prometheus rules and at most kMaxMetricNameBytes; label names by the Prometheus rules, at most
// kMaxLabelNameBytes, not starting with "__" (reserved); values valid UTF-8 of at most
// kMaxLabelValueBytes; empty values dropped (empty means absent); at most kMaxLabelsPerSeries;
// no duplicate names. Returns the set sorted by name with __name__ added. Errors are
// ErrorKind::validation with codes INVALID_METRIC_NAME / INVALID_LABEL / DUPLICATE_LABEL /
// TOO_MANY_LABELS, and fields[0].field naming "metric" or "labels.<name>".
Result<LabelSet> make_label_set(std::string_view metric, std::vector<Label> labels);

// Prometheus text exposition format 0.0.4, as VictoriaMetrics' /api/v1/import/prometheus takes
// it: `name{label="value",...} value [timestamp_ms]`; `# HELP`, `# TYPE` and other comments are
// skipped (a `# TYPE` line must name a valid metric and a known type, else it is an error).
// Label values unescape `\\`, `\"` and `\n`; any other backslash pair is kept as written.
// Values: Go float syntax without hex (so `NaN`, `+Inf`, `-Inf`, `Inf`, `1e3`, `-0`); values
// beyond ±1.8e308 are errors. Timestamp: optional int64 milliseconds, default_ts when absent.
// LF or CRLF line ends; the last line needs none.
ParseResult parse_prometheus_text(std::string_view body, TimeMs default_ts);

// Timestamp unit of line protocol, as InfluxDB 1.x /write's `precision` takes it.
enum class Precision { ns, us, ms, s, m, h };

// "n"/"ns", "u"/"us", "ms", "s", "m", "h"; anything else is INVALID_PRECISION (invalid_input).
// When the parameter is absent the caller uses Precision::ns, as InfluxDB does.
Result<Precision> parse_precision(std::string_view text);

// InfluxDB line protocol: `measurement[,tag=v...] field=v[,field=v...] [timestamp]`.
// Escapes: `\,` `\ ` `\=` `\\` in measurement, tag keys/values and field keys (a backslash before
// anything else stays); `\"` and `\\` in string fields. Fields: float (`1.5`, `-1e3`; must be
// finite), integer `42i`, unsigned `42u` (both become float64: exact up to 2^53), boolean
// t/T/true/True/TRUE/f/F/false/False/FALSE -> 1/0; strings are skipped and counted.
// Each numeric field becomes a series named `measurement_field` (just `measurement` for the field
// `value`) with the tags as labels. Names are sanitised as Telegraf's Prometheus output does:
// each byte, or UTF-8 sequence, invalid in a Prometheus name becomes `_`, and a leading digit
// gets a `_` prefix. A tag whose name sanitises to one starting with "__" (e.g. `__name__`) is an
// error, as is an empty tag value. Timestamps are converted to ms by floor division (ns: /1e6,
// us: /1e3), i.e. the millisecond the instant falls in — the same as truncation, and as
// VictoriaMetrics, for every instant after 1970 — and by multiplication for s, m, h (overflow is
// an error); default_ts when absent. A raw newline always ends a line, even inside a string.
ParseResult parse_influx_line(std::string_view body, Precision precision, TimeMs default_ts);

// Telltale's JSON import:
//   {"series":[{"metric":"up","labels":{"job":"x"},"timestamps":[ms,...],"values":[1,...]}]}
// `labels` is optional; timestamps are integers (ms); values are numbers or the strings "NaN",
// "+Inf", "-Inf", "Inf" (JSON has no literal for them); both arrays must have the same length;
// unknown keys are errors (they are usually typos). A body that is not JSON, or nests deeper
// than kMaxJsonDepth, is one error with an empty path. Otherwise each bad series entry is one
// error, with the path of its first problem.
ParseResult parse_json_samples(std::string_view body);

}  // namespace tt::ingest
