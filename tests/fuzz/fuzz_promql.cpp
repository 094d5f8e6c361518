// Fuzzes the PromQL parser and engine: arbitrary text is parsed; what parses is printed and
// re-parsed (printing must be stable) and evaluated, instant and range, against a tiny in-memory
// store under tight limits. Must never crash, hang, or grow memory without bound.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/ast.h"
#include "query/query.h"

using namespace tt;
using namespace tt::query;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

MemoryStorage& store() {
  static MemoryStorage* s = [] {
    auto* m = new MemoryStorage;
    auto add = [&](LabelSet ls, int n, double start, double step, int stale_at = -1) {
      std::vector<Sample> v;
      for (int i = 0; i < n; ++i)
        v.push_back(Sample{i * 15'000LL, i == stale_at ? stale_nan() : start + step * i});
      m->add(std::move(ls), v);
    };
    add({{"__name__", "up"}, {"job", "a"}}, 40, 1, 0);
    add({{"__name__", "up"}, {"job", "b"}}, 40, 0, 0, 20);
    add({{"__name__", "req_total"}, {"job", "a"}, {"path", "/"}}, 40, 0, 7);
    add({{"__name__", "req_total"}, {"job", "b"}, {"path", "/x"}}, 40, 100, -3);
    add({{"__name__", "temp"}, {"instance", "h1"}}, 40, -1.5, 0.25);
    m->add({{"__name__", "odd"}, {"k", "v"}},
           {Sample{0, NAN}, Sample{15'000, HUGE_VAL}, Sample{30'000, -HUGE_VAL}});
    return m;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_selector(text);
  auto e = parse_expr(text);
  if (!e) {
    check(e.error().code == "BAD_QUERY");
    check(e.error().message.rfind("at position ", 0) == 0);
    return 0;
  }
  const Expr& expr = *e.value();
  std::string printed = to_string(expr);
  auto again = parse_expr(printed);
  // The printer parenthesises every operation, so a long chain the parser took flat may print
  // deeper than the nesting limit; anything else must re-parse to the same text.
  if (again.ok())
    check(to_string(*again.value()) == printed);
  else
    check(again.error().message.find("nested too deeply") != std::string::npos);

  EngineOptions opts;
  opts.limits.max_samples = 200'000;
  opts.limits.max_series = 50;
  opts.limits.max_steps = 60;
  Engine engine(store(), opts);
  auto v = engine.eval_instant(expr, 300'000);
  if (v) {
    if (auto* vec = std::get_if<Vector>(&v.value()))
      for (std::size_t i = 1; i < vec->size(); ++i) check((*vec)[i - 1].labels < (*vec)[i].labels);
  }
  ValueType t = expr.type();
  auto r = engine.eval_range(expr, 0, 600'000, 15'000);
  if (t == ValueType::scalar || t == ValueType::vector) {
    if (r)
      for (const auto& s : r.value()) check(s.samples.size() <= 41);
  } else {
    check(!r.ok());
  }
  return 0;
}
