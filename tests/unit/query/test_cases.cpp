// Runs tests/query_cases/cases.test through the engine. The same file is checked against real
// Prometheus by tests/query_cases/check_with_promtool.sh, so these expectations are Prometheus'.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "case_file.h"
#include "query/query.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

using namespace tt;
using namespace tt::query;

namespace {

bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

std::string show(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

TEST_CASE("query cases agree with Prometheus (tests/query_cases/cases.test)") {
  auto blocks =
      testing::read_case_file(std::string(TELLTALE_SOURCE_DIR) + "/tests/query_cases/cases.test");
  int evals = 0, inexact = 0;
  for (const auto& b : blocks) {
    MemoryStorage store;
    for (const auto& s : b.series) store.add(s.labels, s.samples);
    Engine engine(store);
    for (const auto& c : b.evals) {
      ++evals;
      INFO("line " << c.line << ": " << c.expr);
      auto e = parse_expr(c.expr);
      if (c.expect_fail) {
        bool failed = !e || !engine.eval_instant(*e.value(), c.at_ms).ok();
        CHECK(failed);
        continue;
      }
      REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().message));
      auto r = engine.eval_instant(*e.value(), c.at_ms);
      REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
      std::vector<std::pair<std::optional<LabelSet>, double>> got;
      if (auto* s = std::get_if<Scalar>(&r.value()))
        got.push_back({std::nullopt, s->value});
      else if (auto* v = std::get_if<Vector>(&r.value()))
        for (const auto& x : *v) got.push_back({x.labels, x.value});
      else
        FAIL("unexpected result type");
      std::string got_text;
      for (const auto& [l, v] : got)
        got_text += (l ? format_labels(*l) : std::string("scalar")) + " " + show(v) + "\n";
      INFO("got:\n" << got_text);
      REQUIRE(got.size() == c.expected.size());
      auto exp = c.expected;
      std::sort(exp.begin(), exp.end(),
                [](const auto& a, const auto& b) { return a.labels < b.labels; });
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].first == exp[i].labels);
        CHECK_MESSAGE(same_value(got[i].second, exp[i].value), "expected " << show(exp[i].value));
        if (show(got[i].second) != show(exp[i].value)) ++inexact;
      }
    }
  }
  MESSAGE("evaluated " << evals << " cases; " << inexact
                       << " values differ from Prometheus' in the last bits");
  CHECK(evals >= 40);
}
