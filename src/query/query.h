// query/ — Telltale's query engine: a PromQL subset (selectors, range functions, aggregations,
// arithmetic, comparisons, vector matching) parsed to an AST and evaluated over a Storage.
// Called by the time-series API and the alert rules; pure code (no HTTP, no SQLite, no threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace re2 {
class RE2;
}

namespace tt::query {

// ---- Label matchers -------------------------------------------------------------------------

enum class MatchOp { equal, not_equal, regex, not_regex };

// One label matcher. A label absent from a series is matched as the empty string (Prometheus).
// Regexes are RE2 (Prometheus' dialect; matching time linear in the value, memory bounded by
// kMaxRegexMemoryBytes), fully anchored as Prometheus' `^(?:re)$`, and compiled once when the
// matcher is made; copies share the compiled regex (RE2 is safe to share across threads).
struct Matcher {
  std::string name;
  MatchOp op = MatchOp::equal;
  std::string value;
  std::shared_ptr<const re2::RE2> re;  // set iff op is regex or not_regex

  bool matches(std::string_view label_value) const;
  bool matches_empty() const { return matches(""); }
};

// What one compiled regex may use, program and match-time automata together.
inline constexpr std::int64_t kMaxRegexMemoryBytes = 1 << 20;
// Repeated elements a regex may have (x?, x*, x+ count one, times the {n} around them): past
// that, RE2's DFA outgrows kMaxRegexMemoryBytes and matching slows to milliseconds a value.
inline constexpr std::int64_t kMaxRegexRepetitions = 100;

// Builds a matcher, compiling the regex for regex ops (or taking it from the patterns other
// live matchers compiled). Errors: validation BAD_SELECTOR naming the pattern: a syntax RE2
// does not have (backreferences, lookaround), a repetition over 1000, a pattern too large, or
// more than kMaxRegexRepetitions repeated elements.
Result<Matcher> make_matcher(std::string name, MatchOp op, std::string value);

// True iff every matcher accepts the series' labels.
bool matches_all(const std::vector<Matcher>& matchers, const LabelSet& labels);

// Parses a series selector: `name`, `name{a="x",b=~"re",c!="y",d!~"re"}` or `{__name__=~"..."}`.
// The metric name becomes an equality matcher on __name__. At least one matcher must not match
// the empty string. Errors: validation BAD_SELECTOR, message names the byte position.
Result<std::vector<Matcher>> parse_selector(std::string_view text);

// ---- Storage --------------------------------------------------------------------------------

struct SeriesData {
  LabelSet labels;              // sorted by name (core/series.h), includes __name__
  std::vector<Sample> samples;  // sorted by time, unique times
};

// What the engine reads. Implementations return every series matching all matchers, with the
// samples whose time is in [from_ms, to_ms] (both inclusive). Stale markers (kStaleNaN) are
// returned as stored; the engine interprets them. Called from the evaluating thread only.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual Result<std::vector<SeriesData>> select(const std::vector<Matcher>& matchers,
                                                 TimeMs from_ms, TimeMs to_ms) = 0;
  // The same series and samples handed to `each` one at a time, so a caller that reduces every
  // series to a value (an instant avg_over_time) holds one series' samples, not all of them. An
  // error from `each` stops the walk and is returned. This default walks select()'s answer.
  using EachSeries = std::function<Result<void>(SeriesData&&)>;
  virtual Result<void> select_each(const std::vector<Matcher>& matchers, TimeMs from_ms,
                                   TimeMs to_ms, const EachSeries& each);
};

// A Storage over series held in memory, for tests and fuzzing. Not thread-safe.
class MemoryStorage final : public Storage {
 public:
  // Adds samples to the series with these labels (created if new); keeps samples sorted, a
  // sample at an existing time replaces it. Labels are sorted here.
  void add(LabelSet labels, const std::vector<Sample>& samples);
  void clear() { m_series.clear(); }
  std::size_t series_count() const { return m_series.size(); }

  Result<std::vector<SeriesData>> select(const std::vector<Matcher>& matchers, TimeMs from_ms,
                                         TimeMs to_ms) override;

 private:
  std::map<LabelSet, std::vector<Sample>> m_series;
};

// Prometheus' staleness marker: a NaN with this exact bit pattern ends a series.
inline constexpr std::uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
double stale_nan();
bool is_stale_nan(double v);

// ---- Values ---------------------------------------------------------------------------------

struct Scalar {
  double value = 0;
};
struct String {
  std::string value;
};
struct InstantSample {
  LabelSet labels;
  double value = 0;
};
using Vector = std::vector<InstantSample>;
using Matrix = std::vector<SeriesData>;

// Results are sorted by labels (Vector, Matrix) so they compare deterministically.
using Value = std::variant<Scalar, Vector, Matrix, String>;

// ---- Expressions ----------------------------------------------------------------------------

struct Expr;  // query/ast.h
using ExprPtr = std::shared_ptr<const Expr>;

inline constexpr int kMaxParseDepth = 128;
inline constexpr std::size_t kMaxQueryBytes = 64 * 1024;

// Parses a PromQL expression. Errors: validation BAD_QUERY, message "at position N: ...".
Result<ExprPtr> parse_expr(std::string_view text);

// Writes the expression back as PromQL (normalised: parentheses around every binary operation).
std::string to_string(const Expr& e);

// ---- Evaluation -----------------------------------------------------------------------------

struct Limits {
  std::int64_t max_samples = 50'000'000;  // samples read from storage plus points visited
  std::int64_t max_series = 100'000;      // series selected, summed over selectors
  std::int64_t max_steps = 11'000;        // points per series of a range query
};

struct EngineOptions {
  TimeMs lookback_ms = 5 * 60 * 1000;
  Limits limits;
};

// Evaluates parsed expressions against a Storage. Holds no state between calls; the Storage
// must outlive the Engine. Errors (never exceptions): validation BAD_QUERY for type and matching
// errors found at evaluation (e.g. duplicate series, many-to-many matching), too_large
// QUERY_TOO_LARGE when a limit is hit, and whatever the Storage returns.
class Engine {
 public:
  explicit Engine(Storage& storage, EngineOptions options = {})
      : m_storage(storage), m_options(options) {}

  // The value of `expr` at time t_ms: Scalar, Vector, Matrix (for a range selector) or String.
  Result<Value> eval_instant(const Expr& expr, TimeMs t_ms);

  // The value of `expr` at start, start+step, ... <= end, as a Matrix (a scalar expression
  // yields one series with no labels). Requires step_ms > 0, end >= start, and the expression
  // must be a scalar or instant vector.
  Result<Matrix> eval_range(const Expr& expr, TimeMs start_ms, TimeMs end_ms, TimeMs step_ms);

 private:
  Storage& m_storage;
  EngineOptions m_options;
};

// Formats a LabelSet as `name{a="x", b="y"}` (Prometheus style), for messages and tests.
std::string format_labels(const LabelSet& ls);

}  // namespace tt::query
