// Label matchers: regex compilation with RE2-compatibility checks, matching.
#include <cmath>
#include <cstring>

#include "query/query.h"

namespace tt::query {
namespace {

Error selector_error(const std::string& msg) {
  return Error::make(ErrorKind::validation, "BAD_SELECTOR", msg);
}

// std::regex (ECMAScript) accepts constructs RE2 rejects and that can be slow or unbounded;
// refuse them up front. Counted repetitions are limited so the compiled automaton stays small.
Result<void> check_regex_syntax(std::string_view re) {
  if (re.size() > kMaxRegexBytes)
    return selector_error("regex longer than " + std::to_string(kMaxRegexBytes) + " bytes");
  int counted = 0;
  for (std::size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char n = re[i + 1];
      if (n >= '1' && n <= '9') return selector_error("backreferences are not supported in regexes");
      ++i;
      continue;
    }
    if (c == '(' && i + 2 < re.size() && re[i + 1] == '?' &&
        (re[i + 2] == '=' || re[i + 2] == '!' || re[i + 2] == '<'))
      return selector_error("lookaround is not supported in regexes");
    if (c == '{' && i + 1 < re.size() && re[i + 1] >= '0' && re[i + 1] <= '9') {
      ++counted;
      std::size_t j = i + 1;
      long n = 0;
      while (j < re.size() && ((re[j] >= '0' && re[j] <= '9') || re[j] == ',')) {
        if (re[j] == ',') n = 0; else n = std::min(n * 10 + (re[j] - '0'), 100000L);
        if (n > 100) return selector_error("regex repetition counts above 100 are not supported");
        ++j;
      }
      if (counted > 2) return selector_error("at most two counted repetitions per regex");
    }
  }
  return ok();
}

}  // namespace

Result<Matcher> make_matcher(std::string name, MatchOp op, std::string value) {
  Matcher m;
  m.name = std::move(name);
  m.op = op;
  m.value = std::move(value);
  if (op == MatchOp::regex || op == MatchOp::not_regex) {
    std::string_view pat = m.value;
    auto flags = std::regex::ECMAScript | std::regex::optimize;
#ifdef __GLIBCXX__
    flags |= std::regex_constants::__polynomial;  // Thompson-NFA executor: no backtracking blowup
#endif
    if (pat.substr(0, 4) == "(?i)") {  // RE2's case-insensitive flag, common in dashboards
      pat.remove_prefix(4);
      flags |= std::regex::icase;
    }
    TT_TRY(check_regex_syntax(pat));
    try {
      m.re = std::make_shared<const std::regex>("^(?:" + std::string(pat) + ")$", flags);
    } catch (const std::exception& e) {
      return selector_error("invalid regex \"" + m.value + "\": " + e.what());
    }
  }
  return m;
}

bool Matcher::matches(std::string_view v) const {
  switch (op) {
    case MatchOp::equal: return v == value;
    case MatchOp::not_equal: return v != value;
    case MatchOp::regex:
    case MatchOp::not_regex: {
      bool hit = false;
      if (re && v.size() <= kMaxRegexSubjectBytes) {
        try {
          hit = std::regex_match(v.begin(), v.end(), *re);
        } catch (const std::exception&) {
          hit = false;  // error_complexity / error_stack: treated as no match
        }
      }
      return op == MatchOp::regex ? hit : !hit;
    }
  }
  return false;
}

bool matches_all(const std::vector<Matcher>& matchers, const LabelSet& labels) {
  for (const auto& m : matchers) {
    std::string_view v;
    for (const auto& l : labels)
      if (l.name == m.name) { v = l.value; break; }
    if (!m.matches(v)) return false;
  }
  return true;
}

double stale_nan() {
  double d;
  std::uint64_t bits = kStaleNaNBits;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

bool is_stale_nan(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

void MemoryStorage::add(LabelSet labels, const std::vector<Sample>& samples) {
  sort_labels(labels);
  auto& dst = m_series[std::move(labels)];
  for (const auto& s : samples) {
    auto it = std::lower_bound(dst.begin(), dst.end(), s.t,
                               [](const Sample& a, TimeMs t) { return a.t < t; });
    if (it != dst.end() && it->t == s.t) it->v = s.v;
    else dst.insert(it, s);
  }
}

Result<std::vector<SeriesData>> MemoryStorage::select(const std::vector<Matcher>& matchers,
                                                      TimeMs from_ms, TimeMs to_ms) {
  std::vector<SeriesData> out;
  for (const auto& [labels, samples] : m_series) {
    if (!matches_all(matchers, labels)) continue;
    auto lo = std::lower_bound(samples.begin(), samples.end(), from_ms,
                               [](const Sample& a, TimeMs t) { return a.t < t; });
    auto hi = std::upper_bound(samples.begin(), samples.end(), to_ms,
                               [](TimeMs t, const Sample& a) { return t < a.t; });
    if (lo >= hi) continue;
    out.push_back(SeriesData{labels, std::vector<Sample>(lo, hi)});
  }
  return out;
}

std::string format_labels(const LabelSet& ls) {
  std::string out(metric_name(ls));
  out += '{';
  bool first = true;
  for (const auto& l : ls) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out += ", ";
    first = false;
    out += l.name + "=\"";
    for (char c : l.value) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') { out += "\\n"; continue; }
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace tt::query
