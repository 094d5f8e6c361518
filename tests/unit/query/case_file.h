// Reader for tests/query_cases/*.test: Prometheus' promql/testdata notation, the subset we use.
//   load <interval>                      starts a new data set (replaces the previous one)
//     <series selector> <values>           values: `1 2 _ stale 0+10x5 100-1x3 _x2`
//   eval instant at <duration> <expr>    followed by expected lines until a blank line:
//     <labels> <value>                     e.g. `{job="a"} 3` or `up{job="a"} 1`
//     <value>                              a scalar result
//   eval_fail instant at <duration> <expr>   the query must fail (parse or evaluation)
// `#` starts a comment line. Sample i of a series is at i * interval.
#pragma once

#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/series.h"
#include "query/query.h"

namespace tt::query::testing {

struct LoadedSeries {
  LabelSet labels;
  std::vector<Sample> samples;
};

struct Expected {
  std::optional<LabelSet> labels;  // nullopt: scalar
  double value = 0;
};

struct EvalCase {
  int line = 0;
  TimeMs at_ms = 0;
  std::string expr;
  bool expect_fail = false;
  std::vector<Expected> expected;
};

struct Block {
  TimeMs interval_ms = 0;
  std::vector<LoadedSeries> series;
  std::vector<EvalCase> evals;
};

inline std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

inline TimeMs parse_dur(const std::string& s) {
  TimeMs total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    TimeMs n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      n = n * 10 + (s[i++] - '0');
    std::string unit;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) unit += s[i++];
    TimeMs mul = unit == "ms"  ? 1
                 : unit == "s" ? 1000
                 : unit == "m" ? 60000
                 : unit == "h" ? 3600000
                 : unit == "d" ? 86400000
                               : -1;
    if (mul < 0) throw std::runtime_error("bad duration " + s);
    total += n * mul;
  }
  return total;
}

inline double parse_num(const std::string& s) {
  if (s == "Inf" || s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return NAN;
  std::size_t used = 0;
  double v = std::stod(s, &used);
  if (used != s.size()) throw std::runtime_error("bad number " + s);
  return v;
}

// Splits `name{...} rest` at the end of the labels; labels are parsed with parse_selector.
inline LabelSet parse_labels(const std::string& text) {
  LabelSet ls;
  std::string t = trim(text);
  auto brace = t.find('{');
  std::string name = t.substr(0, brace);
  if (!name.empty()) ls.push_back(Label{std::string(kMetricNameLabel), name});
  if (brace != std::string::npos) {
    std::string inner = trim(t.substr(brace));
    if (inner != "{}") {
      auto m = parse_selector(inner);
      if (!m) throw std::runtime_error("bad labels " + text + ": " + m.error().message);
      for (const auto& mm : m.value())
        if (mm.op == MatchOp::equal) ls.push_back(Label{mm.name, mm.value});
    }
  }
  sort_labels(ls);
  return ls;
}

inline std::size_t labels_end(const std::string& line) {
  auto brace = line.find('{');
  auto space = line.find(' ');
  if (brace != std::string::npos && (space == std::string::npos || brace < space)) {
    bool quoted = false;
    for (std::size_t i = brace; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
        continue;
      }
      if (line[i] == '"') quoted = !quoted;
      if (line[i] == '}' && !quoted) return i + 1;
    }
    throw std::runtime_error("unterminated labels: " + line);
  }
  return space;
}

inline std::vector<Sample> expand_values(const std::string& text, TimeMs interval) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string tok;
  std::int64_t i = 0;
  while (in >> tok) {
    auto x = tok.find('x');
    if (tok == "_") {
      ++i;
      continue;
    }
    if (tok == "stale") {
      out.push_back(Sample{i++ * interval, stale_nan()});
      continue;
    }
    if (x == std::string::npos) {
      out.push_back(Sample{i++ * interval, parse_num(tok)});
      continue;
    }
    std::int64_t n = std::stoll(tok.substr(x + 1));
    std::string head = tok.substr(0, x);
    if (head == "_") {
      i += n;
      continue;
    }
    auto op = head.find_first_of("+-", 1);
    double a = parse_num(head.substr(0, op));
    double b = op == std::string::npos ? 0 : parse_num(head.substr(op));
    for (std::int64_t k = 0; k <= n; ++k)
      out.push_back(Sample{i++ * interval, a + b * static_cast<double>(k)});
  }
  return out;
}

inline std::vector<Block> read_case_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<Block> blocks;
  std::string raw;
  int lineno = 0;
  enum { none, loading, expecting } state = none;
  while (std::getline(f, raw)) {
    ++lineno;
    std::string line = trim(raw);
    if (line.empty()) {
      if (state == expecting) state = none;
      continue;
    }
    if (line[0] == '#') continue;
    bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (!indented) {
      std::istringstream in(line);
      std::string cmd;
      in >> cmd;
      if (cmd == "load") {
        std::string d;
        in >> d;
        blocks.push_back(Block{parse_dur(d), {}, {}});
        state = loading;
      } else if (cmd == "eval" || cmd == "eval_fail") {
        std::string kind, at, when;
        in >> kind >> at >> when;
        if (kind != "instant" || at != "at" || blocks.empty())
          throw std::runtime_error("bad eval at line " + std::to_string(lineno));
        EvalCase c;
        c.line = lineno;
        c.at_ms = parse_dur(when);
        std::getline(in, c.expr);
        c.expr = trim(c.expr);
        c.expect_fail = cmd == "eval_fail";
        blocks.back().evals.push_back(std::move(c));
        state = expecting;
      } else {
        throw std::runtime_error("unknown command at line " + std::to_string(lineno));
      }
      continue;
    }
    if (state == loading) {
      auto end = labels_end(line);
      blocks.back().series.push_back(
          LoadedSeries{parse_labels(line.substr(0, end)),
                       expand_values(line.substr(end), blocks.back().interval_ms)});
    } else if (state == expecting) {
      Expected e;
      bool is_number = line.rfind("NaN", 0) == 0 || line.rfind("Inf", 0) == 0;
      if (line[0] == '{' || (std::isalpha(static_cast<unsigned char>(line[0])) && !is_number)) {
        auto end = labels_end(line);
        e.labels = parse_labels(line.substr(0, end));
        e.value = parse_num(trim(line.substr(end)));
      } else {
        e.value = parse_num(line);
      }
      blocks.back().evals.back().expected.push_back(std::move(e));
    } else {
      throw std::runtime_error("unexpected indented line " + std::to_string(lineno));
    }
  }
  return blocks;
}

}  // namespace tt::query::testing
