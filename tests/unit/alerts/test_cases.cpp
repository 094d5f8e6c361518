// Runs tests/alert_cases/cases.test through the rule state machine and the query engine, each
// block's rules evaluated at 0, interval, 2*interval, ... as a frozen clock would drive them.
// tests/alert_cases/check_with_promtool.sh runs the same file through Prometheus.
#include <doctest/doctest.h>

#include "../query/case_file.h"
#include "alerts/evaluator.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

using namespace tt;
using namespace tt::alerts;
namespace qt = tt::query::testing;

namespace {

struct Expected {
  std::string state;
  LabelSet labels;
  std::optional<Labels> annotations;
};

struct At {
  int line = 0;
  TimeMs t = 0;
  std::vector<Expected> alerts;
};

struct CaseBlock {
  TimeMs interval_ms = 0;
  std::vector<qt::LoadedSeries> series;
  std::vector<nlohmann::json> rules;  // as the API takes them
  std::vector<At> checks;
};

// `{a="x", b="y"}` as a JSON object of strings.
nlohmann::json object_of(const std::string& text) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : qt::parse_labels(text)) j[l.name] = l.value;
  return j;
}

std::vector<CaseBlock> read_cases(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<CaseBlock> blocks;
  enum { none, loading, rule, expecting } state = none;
  std::string raw;
  int lineno = 0;
  while (std::getline(f, raw)) {
    ++lineno;
    std::string line = qt::trim(raw);
    if (line.empty() || line[0] == '#') continue;
    bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (!indented) {
      std::istringstream in(line);
      std::string cmd, arg;
      in >> cmd >> arg;
      if (cmd == "load") {
        blocks.push_back({qt::parse_dur(arg), {}, {}, {}});
        state = loading;
      } else if (cmd == "alert") {
        blocks.back().rules.push_back({{"name", arg}, {"severity", "warning"}, {"interval", "1m"}});
        state = rule;
      } else if (cmd == "at") {
        blocks.back().checks.push_back({lineno, qt::parse_dur(arg), {}});
        state = expecting;
      } else {
        throw std::runtime_error("unknown command at line " + std::to_string(lineno));
      }
      continue;
    }
    if (state == loading) {
      auto end = qt::labels_end(line);
      blocks.back().series.push_back(
          {qt::parse_labels(line.substr(0, end)),
           qt::expand_values(line.substr(end), blocks.back().interval_ms)});
    } else if (state == rule) {
      auto colon = line.find(':');
      std::string key = line.substr(0, colon), value = qt::trim(line.substr(colon + 1));
      auto& r = blocks.back().rules.back();
      if (key == "labels" || key == "annotations")
        r[key] = object_of(value);
      else
        r[key] = value;
    } else if (state == expecting) {
      std::istringstream in(line);
      Expected e;
      in >> e.state;
      std::string rest;
      std::getline(in, rest);
      rest = qt::trim(rest);
      auto end = qt::labels_end(rest);
      for (auto l : qt::parse_labels(rest.substr(0, end))) {
        if (l.name == kMetricNameLabel) l.name = "alertname";
        e.labels.push_back(l);
      }
      sort_labels(e.labels);
      if (auto more = qt::trim(rest.substr(end)); !more.empty())
        e.annotations = object_of(more).get<Labels>();
      blocks.back().checks.back().alerts.push_back(std::move(e));
    } else {
      throw std::runtime_error("unexpected indented line " + std::to_string(lineno));
    }
  }
  return blocks;
}

std::string show(const std::vector<Expected>& alerts) {
  std::string out;
  for (const auto& a : alerts) {
    out += a.state + " " + query::format_labels(a.labels);
    if (a.annotations) out += " " + nlohmann::json(*a.annotations).dump();
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("alert rule cases agree with Prometheus (tests/alert_cases/cases.test)") {
  auto blocks = read_cases(std::string(TELLTALE_SOURCE_DIR) + "/tests/alert_cases/cases.test");
  REQUIRE(blocks.size() >= 8);
  int checked = 0;
  for (const auto& b : blocks) {
    query::MemoryStorage store;
    for (const auto& s : b.series) store.add(s.labels, s.samples);
    query::Engine engine(store);
    CheckSource no_checks = [] {
      return Result<std::vector<CheckStatus>>(std::vector<CheckStatus>{});
    };
    std::vector<Rule> rules;
    std::vector<RuleAlerts> states;
    for (const auto& json : b.rules) {
      INFO("rule " << json.dump());
      auto in = decode_rule_input(json, InputMode::create);
      REQUIRE_MESSAGE(in.ok(), (in.ok() ? "" : in.error().message));
      Rule r;
      auto applied = apply_input(r, in.value());
      REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().message));
      r.id = static_cast<std::int64_t>(rules.size()) + 1;
      rules.push_back(std::move(r));
      states.emplace_back();
    }
    REQUIRE(!rules.empty());
    TimeMs interval = rules.front().interval_ms;
    TimeMs next = 0;
    for (const auto& at : b.checks) {
      for (; next <= at.t; next += interval)
        for (std::size_t i = 0; i < rules.size(); ++i) {
          auto v = rule_result(rules[i], engine, no_checks, next);
          REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
          auto changed = states[i].evaluate(rules[i], v.value(), next);
          REQUIRE(changed.ok());
        }
      std::vector<Expected> got;
      for (const auto& s : states)
        for (const auto& [ls, a] : s.active())
          got.push_back({std::string(to_string(a.state)), ls, a.annotations});
      std::vector<Expected> want = at.alerts;
      auto key = [](const Expected& e) { return std::tie(e.labels, e.state); };
      std::sort(got.begin(), got.end(),
                [&](const auto& x, const auto& y) { return key(x) < key(y); });
      std::sort(want.begin(), want.end(),
                [&](const auto& x, const auto& y) { return key(x) < key(y); });
      // Annotations are compared where the case gives them.
      for (std::size_t i = 0; i < want.size() && i < got.size(); ++i)
        if (!want[i].annotations) got[i].annotations.reset();
      INFO("line " << at.line << "\nwant:\n" << show(want) << "got:\n" << show(got));
      CHECK(show(got) == show(want));
      ++checked;
    }
  }
  CHECK(checked >= 30);
}
