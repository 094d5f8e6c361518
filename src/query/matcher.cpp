// Label matchers: regexes compiled by RE2 (bounded memory, linear-time matching), matching.
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "query/query.h"

namespace tt::query {
namespace {

Error selector_error(const std::string& msg) {
  return Error::make(ErrorKind::validation, "BAD_SELECTOR", msg);
}

// How many elements RE2's automaton repeats: each quantified element (x?, x*, x+) counts one,
// times the counts of the {n,m} around it. RE2 matches in time linear in the value, but the
// factor is its automaton's size, and nested optional repetitions such as ((.?){10}){30} make
// its DFA need more states than the memory bound holds; it then falls back to the NFA at
// milliseconds per value. Past kMaxRegexRepetitions a pattern is refused, before RE2 spends
// tens of milliseconds compiling it. Malformed syntax is counted somehow and left to RE2.
std::int64_t repetitions(std::string_view re) {
  struct Frame {
    std::int64_t sum = 0, last = 0;  // the elements so far; the last element's share of sum
  };
  std::vector<Frame> frames(1);
  const auto quantify = [&](std::int64_t times) {
    Frame& f = frames.back();
    f.sum -= f.last;
    f.last = std::min<std::int64_t>(std::max<std::int64_t>(f.last, 1) * times, 1'000'000);
    f.sum += f.last;
  };
  const auto atom = [&](std::int64_t cost) {
    frames.back().last = cost;
    frames.back().sum += cost;
  };
  for (std::size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      if (i + 1 < re.size() && re[i + 1] == 'Q') {  // \Q...\E: literal text
        auto end = re.find("\\E", i + 2);
        i = end == std::string_view::npos ? re.size() : end + 1;
      } else if (i + 2 < re.size() &&
                 std::string_view("pPx").find(re[i + 1]) != std::string_view::npos &&
                 re[i + 2] == '{') {
        i = std::min(re.find('}', i), re.size() - 1);  // \p{Greek}, \x{10FFFF}
      } else {
        ++i;
      }
      atom(0);
    } else if (c == '[') {  // a class is one element; ']' first in it is literal, [:alpha:] nests
      std::size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;
      for (; j < re.size() && re[j] != ']'; ++j) {
        if (re[j] == '\\')
          ++j;
        else if (re.substr(j, 2) == "[:")
          j = std::min(re.find(":]", j), re.size() - 1) + 1;
      }
      i = j;
      atom(0);
    } else if (c == '(') {
      frames.emplace_back();
      if (i + 1 < re.size() && re[i + 1] == '?') {  // (?:, (?i:, (?P<name>: skip to the content
        std::size_t j = re.substr(i + 2, 1) == "P" ? re.find('>', i) : re.find_first_of(":)", i);
        if (j == std::string_view::npos) break;
        i = re[j] == ')' ? j - 1 : j;  // flags alone, (?i): the ')' closes an empty group
      }
    } else if (c == ')' && frames.size() > 1) {
      const std::int64_t inner = frames.back().sum;
      frames.pop_back();
      atom(inner);
    } else if (c == '?' || c == '*' || c == '+') {
      quantify(1);
      if (i + 1 < re.size() && re[i + 1] == '?') ++i;  // non-greedy
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::int64_t n = 0, bound = -1;
      while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j])))
        n = std::min<std::int64_t>(n * 10 + (re[j++] - '0'), 100'000);
      if (j == i + 1) {
        atom(0);
        continue;
      }  // not a repetition: a literal '{'
      bound = n;
      if (j < re.size() && re[j] == ',') {
        ++j;
        std::int64_t m = 0;
        const std::size_t digits = j;
        while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j])))
          m = std::min<std::int64_t>(m * 10 + (re[j++] - '0'), 100'000);
        if (j > digits) bound = m;
      }
      if (j >= re.size() || re[j] != '}') {
        atom(0);
        continue;
      }
      quantify(std::max<std::int64_t>(bound, 1));
      i = j;
      if (i + 1 < re.size() && re[i + 1] == '?') ++i;
    } else if (c != '|' && c != '^' && c != '$') {
      atom(0);
    }
  }
  return frames.front().sum;
}

// The patterns live matchers hold, so a pattern used by several selectors of a query (or by
// every rule, silence and dashboard panel that shares it) is compiled once. Weak pointers: the
// cache keeps no regex alive, so its memory is what the matchers hold anyway.
class RegexCache {
 public:
  Result<std::shared_ptr<const re2::RE2>> get(const std::string& pattern) {
    std::lock_guard lock(m_mutex);
    if (auto it = m_live.find(pattern); it != m_live.end())
      if (auto re = it->second.lock()) return re;
    if (repetitions(pattern) > kMaxRegexRepetitions)
      return selector_error(
          "invalid regex \"" + pattern + "\": more than " + std::to_string(kMaxRegexRepetitions) +
          " repeated elements (each x?, x*, x+ counts one, times the {n} around it)");
    re2::RE2::Options options;
    options.set_max_mem(kMaxRegexMemoryBytes);
    options.set_log_errors(false);  // a bad pattern is the user's error, answered, not logged
    auto re = std::make_shared<const re2::RE2>(pattern, options);
    if (!re->ok()) return selector_error("invalid regex \"" + pattern + "\": " + re->error());
    if (m_live.size() >= m_next_sweep) {
      std::erase_if(m_live, [](const auto& kv) { return kv.second.expired(); });
      m_next_sweep = std::max<std::size_t>(64, m_live.size() * 2);
    }
    m_live[pattern] = re;
    return re;
  }

 private:
  std::mutex m_mutex;
  std::unordered_map<std::string, std::weak_ptr<const re2::RE2>> m_live;
  std::size_t m_next_sweep = 64;
};

RegexCache& regex_cache() {
  static RegexCache cache;
  return cache;
}

}  // namespace

Result<Matcher> make_matcher(std::string name, MatchOp op, std::string value) {
  Matcher m;
  m.name = std::move(name);
  m.op = op;
  m.value = std::move(value);
  if (op == MatchOp::regex || op == MatchOp::not_regex) {
    auto re = regex_cache().get(m.value);
    if (!re) return std::move(re).error();
    m.re = std::move(re.value());
  }
  return m;
}

bool Matcher::matches(std::string_view v) const {
  switch (op) {
    case MatchOp::equal:
      return v == value;
    case MatchOp::not_equal:
      return v != value;
    case MatchOp::regex:
    case MatchOp::not_regex: {
      // FullMatch anchors both ends, as Prometheus' ^(?:re)$, without pasting text around the
      // pattern (which would let "a)|(b" through as two half-anchored alternatives).
      bool hit = re && re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re);
      return op == MatchOp::regex ? hit : !hit;
    }
  }
  return false;
}

bool matches_all(const std::vector<Matcher>& matchers, const LabelSet& labels) {
  for (const auto& m : matchers) {
    std::string_view v;
    for (const auto& l : labels)
      if (l.name == m.name) {
        v = l.value;
        break;
      }
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
    auto it = first_at_or_after(dst.begin(), dst.end(), s.t);
    if (it != dst.end() && it->t == s.t)
      it->v = s.v;
    else
      dst.insert(it, s);
  }
}

Result<void> Storage::select_each(const std::vector<Matcher>& matchers, TimeMs from_ms,
                                  TimeMs to_ms, const EachSeries& each) {
  auto all = select(matchers, from_ms, to_ms);
  if (!all) return all.error();
  for (auto& s : all.value()) TT_TRY(each(std::move(s)));
  return ok();
}

Result<std::vector<SeriesData>> MemoryStorage::select(const std::vector<Matcher>& matchers,
                                                      TimeMs from_ms, TimeMs to_ms) {
  std::vector<SeriesData> out;
  for (const auto& [labels, samples] : m_series) {
    if (!matches_all(matchers, labels)) continue;
    auto lo = first_at_or_after(samples.begin(), samples.end(), from_ms);
    auto hi = first_after(samples.begin(), samples.end(), to_ms);
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
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace tt::query
