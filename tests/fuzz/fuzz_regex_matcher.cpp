// Fuzzes label matchers on their time budget: the input is a selector (or, failing that, one
// regex), parsed and matched against a few label values of up to 4 KiB. Matching must be linear
// in the value (microseconds here; std::regex took seconds on some patterns), so matching them
// all taking over 100 ms aborts, as a crash does (50 ms saw one-off stalls of ASan's allocator
// under memory pressure, which the input did not reproduce alone); compiling (once
// per pattern, bounded by RE2's memory limit: tens of ms for a pattern refused as too large,
// under sanitizers) gets 250 ms. Time is the thread's CPU time, so a busy machine that
// preempts the fuzzer does not fail it.
#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "query/query.h"

using namespace tt;
using namespace tt::query;

namespace {

constexpr auto kMatchBudget = std::chrono::milliseconds(100);
constexpr auto kCompileBudget = std::chrono::milliseconds(250);

const LabelSet& labels(std::size_t i) {
  static const LabelSet sets[] = {
      {{"__name__", "up"}, {"a", ""}, {"job", "node"}},
      {{"__name__", "http_requests_total"}, {"a", std::string(4096, 'a')}, {"job", "api-server"}},
      {{"__name__", "x"},
       {"a", std::string(2048, 'a') + "x" + std::string(2048, 'b')},
       {"job", "é\u00e8\u4e2d\U0001F600"}},
      {{"__name__", "temp"}, {"a", "((.?){100}){100}x\n\t\\"}, {"job", std::string(1000, '.')}},
  };
  return sets[i % std::size(sets)];
}

std::chrono::nanoseconds cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

void within(std::chrono::nanoseconds start, std::chrono::milliseconds budget, const char* what) {
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(cpu_now() - start);
  if (took <= budget) return;
  std::fprintf(stderr, "%s took %lld ms, over its budget of %lld ms\n", what,
               static_cast<long long>(took.count()), static_cast<long long>(budget.count()));
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto start = cpu_now();
  auto selector = parse_selector(text);
  if (!selector.ok()) {
    auto m = make_matcher("a", MatchOp::regex, std::string(text));
    if (m.ok()) selector = std::vector<Matcher>{m.value()};
  }
  within(start, kCompileBudget, "compiling");
  if (!selector.ok()) return 0;
  start = cpu_now();
  for (std::size_t i = 0; i < 4; ++i) (void)matches_all(selector.value(), labels(i));
  within(start, kMatchBudget, "matching");
  return 0;
}
