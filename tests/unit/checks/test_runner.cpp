#include <doctest/doctest.h>

#include <future>
#include <set>
#include <thread>

#include "bus/bus.h"
#include "checks/runner.h"

using namespace tt;

namespace {

// A kind whose probe holds every run until the test ends it, so what the runner does with its
// per-kind limit is visible without a network. Loop thread only.
struct Held {
  std::vector<std::pair<std::string, probes::Done>> runs;  // target, done
  std::vector<std::string> started;
  std::size_t max_in_flight = 0;
};

struct HoldProbe : probes::Probe {
  explicit HoldProbe(Held& h) : held(h) {}
  void run(const probes::Request& req, probes::Done done) override {
    held.started.push_back(req.target);
    held.runs.emplace_back(req.target, std::move(done));
    held.max_in_flight = std::max(held.max_in_flight, held.runs.size());
  }
  void close() override {
    auto runs = std::move(held.runs);
    held.runs.clear();
    for (auto& [target, done] : runs) done(probes::failed("cancelled", "closed"));
  }
  Held& held;
};

// Runs fn on the loop and returns its answer.
template <typename F>
auto on_loop(bus::CoreLoop& loop, F fn) {
  std::promise<decltype(fn())> p;
  loop.post([&] { p.set_value(fn()); });
  return p.get_future().get();
}

template <typename F>
bool eventually(bus::CoreLoop& loop, F pred) {
  for (int i = 0; i < 500; ++i) {
    if (on_loop(loop, pred)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void end_oldest(Held& held) {
  auto [target, done] = std::move(held.runs.front());
  held.runs.erase(held.runs.begin());
  probes::Observation o;
  o.ok = true;
  done(std::move(o));
}

}  // namespace

TEST_CASE(
    "runner: a kind's in-flight limit holds; waiting runs start in turn; run now may pass it") {
  Held held;
  probes::KindDescriptor hold_kind{.kind = "hold",
                                   .title = "Hold",
                                   .target_help = "anything",
                                   .default_interval_ms = 1000,
                                   .default_timeout_ms = 60000,
                                   .max_in_flight = 2,
                                   .make = [&](uv_loop_t*) -> std::unique_ptr<probes::Probe> {
                                     return std::make_unique<HoldProbe>(held);
                                   }};
  bus::CoreLoop loop;
  checks::Runner runner(loop, SystemClock::instance(),
                        [&](std::string_view k) { return k == "hold" ? &hold_kind : nullptr; });
  loop.start();
  std::vector<checks::Check> defs;
  for (int i = 1; i <= 5; ++i) {
    checks::Check c;
    c.id = i;
    c.name = "c" + std::to_string(i);
    c.kind = "hold";
    c.target = "t" + std::to_string(i);
    c.interval_ms = 100;
    c.timeout_ms = 60000;
    defs.push_back(c);
  }
  runner.start(defs);

  REQUIRE(eventually(loop, [&] { return held.started.size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(350));  // three more slots of every check
  CHECK(on_loop(loop, [&] { return held.started.size(); }) == 2);

  // Each run that ends lets the longest waiting one start: every check runs once before any
  // runs twice, though the first two came due again many times meanwhile.
  for (int i = 0; i < 3; ++i) {
    on_loop(loop, [&] {
      end_oldest(held);
      return 0;
    });
    REQUIRE(
        eventually(loop, [&] { return held.started.size() == static_cast<std::size_t>(3 + i); }));
  }
  auto started = on_loop(loop, [&] { return held.started; });
  CHECK(std::set<std::string>(started.begin(), started.end()).size() == 5);

  // "Test now" is a person waiting: it runs beside the limit.
  std::promise<nlohmann::json> result;
  runner.run_now(5, [&](nlohmann::json r) { result.set_value(std::move(r)); });
  REQUIRE(eventually(loop, [&] { return held.runs.size() == 3; }));
  // The newest run is run-now's (check 5 may also have a scheduled run in flight).
  CHECK(on_loop(loop, [&] { return held.runs.back().first; }) == "t5");
  on_loop(loop, [&] {
    auto done = std::move(held.runs.back().second);
    held.runs.pop_back();
    probes::Observation o;
    o.ok = true;
    o.message = "held and released";
    done(std::move(o));
    return 0;
  });
  auto r = result.get_future().get();
  CHECK(r["up"] == true);
  CHECK(r["message"] == "held and released");
  CHECK(on_loop(loop, [&] { return held.max_in_flight; }) == 3);

  loop.stop([&] { runner.close(); });
}

TEST_CASE("runner: a check that runs on an agent goes out as a run and concludes on its answer") {
  bus::CoreLoop loop;
  checks::Runner runner(loop, SystemClock::instance());
  std::vector<std::pair<std::int64_t, probes::RunRequest>> sent;
  std::vector<probes::Done> answers;
  runner.set_remote([&](std::int64_t node, probes::RunRequest run, probes::Done done) {
    sent.emplace_back(node, std::move(run));
    answers.push_back(std::move(done));
  });
  std::vector<std::shared_ptr<const checks::CheckResult>> results;
  runner.results().subscribe(
      [&](const std::shared_ptr<const checks::CheckResult>& r) { results.push_back(r); });
  loop.start();
  checks::Check c;
  c.id = 1;
  c.name = "inside";
  c.kind = "tcp";
  c.target = "10.0.0.1:22";
  c.interval_ms = 1000;  // the first run within a second
  c.timeout_ms = 900;
  c.runs_on = 42;
  c.conditions = {"latency < 1s"};
  runner.start({c});

  REQUIRE(eventually(loop, [&] { return sent.size() == 1; }));
  on_loop(loop, [&] {
    CHECK(sent[0].first == 42);
    CHECK(sent[0].second.kind == "tcp");
    CHECK(sent[0].second.target == "10.0.0.1:22");
    CHECK(sent[0].second.timeout_ms == 900);
    CHECK(sent[0].second.check_id == 1);
    // The agent saw it answer slowly: the hub's condition decides it is down.
    probes::Observation o;
    o.ok = true;
    o.duration_s = 2;
    o.facts["latency"] = 2.0;
    o.metrics.push_back({"probe_tcp_connect_seconds", 2.0});
    answers[0](std::move(o));
    return 0;
  });
  REQUIRE(eventually(loop, [&] { return results.size() == 1; }));
  auto r = on_loop(loop, [&] { return results[0]; });
  CHECK_FALSE(r->up);
  CHECK(r->error == "condition");
  CHECK(r->samples.size() == 4);  // probe_up, probe_success, probe_duration_seconds, the metric
  loop.stop([&] { runner.close(); });
}

namespace {

// A "hold" kind over `held` with a long interval: a run within the test is not a slot's.
probes::KindDescriptor hold_kind(Held& held) {
  return {.kind = "hold",
          .title = "Hold",
          .target_help = "anything",
          .facts = {{"latency", probes::FactType::duration, "seconds"}},
          .default_interval_ms = 3'600'000,
          .default_timeout_ms = 60000,
          .max_in_flight = 4,
          .make = [&held](uv_loop_t*) -> std::unique_ptr<probes::Probe> {
            return std::make_unique<HoldProbe>(held);
          }};
}

checks::Check hold_check(std::int64_t id, std::string target) {
  checks::Check c;
  c.id = id;
  c.name = "c" + std::to_string(id);
  c.kind = "hold";
  c.target = std::move(target);
  c.interval_ms = 3'600'000;
  c.timeout_ms = 60000;
  return c;
}

// A runner of the "hold" kind on a started loop, keeping every result it publishes.
struct HoldRunner {
  Held held;
  probes::KindDescriptor kind = hold_kind(held);
  bus::CoreLoop loop;
  checks::Runner runner{loop, SystemClock::instance(),
                        [this](std::string_view k) { return k == "hold" ? &kind : nullptr; }};
  std::vector<std::shared_ptr<const checks::CheckResult>> results;  // loop thread
  HoldRunner() {
    runner.results().subscribe(
        [this](const std::shared_ptr<const checks::CheckResult>& r) { results.push_back(r); });
    loop.start();
  }
  ~HoldRunner() {
    loop.stop([this] { runner.close(); });
  }
};

}  // namespace

TEST_CASE("runner: a check a person creates or changes runs at once; a stored one keeps its slot") {
  HoldRunner f;
  // References, not a structured binding: clang 14 does not let lambdas capture those.
  Held& held = f.held;
  bus::CoreLoop& loop = f.loop;
  checks::Runner& runner = f.runner;
  // Stored checks at start: their first slots are spread over the hour.
  runner.start({hold_check(1, "stored")});
  runner.upsert(hold_check(2, "created"), checks::Runner::FirstRun::now);
  REQUIRE(eventually(loop, [&] { return held.started.size() == 1; }));
  CHECK(on_loop(loop, [&] { return held.started[0]; }) == "created");
  // A change runs the new definition at once; the old run's result is dropped.
  runner.upsert(hold_check(2, "changed"), checks::Runner::FirstRun::now);
  REQUIRE(eventually(loop, [&] { return held.started.size() == 2; }));
  CHECK(on_loop(loop, [&] { return held.started[1]; }) == "changed");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(on_loop(loop, [&] { return held.started.size(); }) == 2);  // "stored" waits for its slot
}

TEST_CASE("runner: a test run uses the probe and the conditions, and records nothing") {
  HoldRunner f;
  // References, not a structured binding: clang 14 does not let lambdas capture those.
  Held& held = f.held;
  bus::CoreLoop& loop = f.loop;
  checks::Runner& runner = f.runner;
  auto c = hold_check(0, "unsaved");
  c.conditions = {"latency < 1s"};
  std::promise<nlohmann::json> answer;
  runner.test(c, [&](nlohmann::json r) { answer.set_value(std::move(r)); });
  REQUIRE(eventually(loop, [&] { return held.runs.size() == 1; }));
  on_loop(loop, [&] {
    auto done = std::move(held.runs[0].second);
    held.runs.clear();
    probes::Observation o;
    o.ok = true;
    o.duration_s = 2;
    o.facts["latency"] = 2.0;
    o.metrics.push_back({"probe_hold_seconds", 2.0, "phase", "all"});
    done(std::move(o));
    return 0;
  });
  auto r = answer.get_future().get();
  CHECK(r["up"] == false);
  CHECK(r["error"] == "condition");
  CHECK(r["duration_ms"] == 2000.0);
  REQUIRE(r["metrics"].size() == 3);
  CHECK(r["metrics"][0]["name"] == "probe_up");
  CHECK(r["metrics"][0]["value"] == 0);
  CHECK(r["metrics"][2] ==
        nlohmann::json::parse(
            R"({"name":"probe_hold_seconds","labels":{"phase":"all"},"value":2.0})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(on_loop(loop, [&] { return f.results.size(); }) == 0);
  CHECK_FALSE(runner.live(0).has_value());
}

namespace {

// The wall clock a millisecond ahead or behind on every other reading (the runner reads it once
// a scheduled run), as the loop's clock and the system's part now and then.
class JitteryClock final : public Clock {
 public:
  TimeMs now_ms() const override {
    return SystemClock::instance().now_ms() + (m_odd++ % 2 ? 1 : -1);
  }
  std::int64_t mono_ms() const override { return SystemClock::instance().mono_ms(); }

 private:
  mutable std::atomic<int> m_odd{0};
};

// Answers at once with two series of one name told apart by a label, in alternating order.
struct TwoStatProbe : probes::Probe {
  void run(const probes::Request&, probes::Done done) override {
    probes::Observation o;
    o.ok = true;
    probes::Metric min{.name = "probe_x", .value = 1, .label = "stat", .label_value = "min"};
    probes::Metric max{.name = "probe_x", .value = 2, .label = "stat", .label_value = "max"};
    if (++runs % 2) std::swap(min, max);
    o.metrics = {min, max};
    done(std::move(o));
  }
  void close() override {}
  int runs = 0;
};

}  // namespace

TEST_CASE("runner: runs take their slot's time within 2 ms; each metric keeps its own series") {
  probes::KindDescriptor kind{.kind = "two",
                              .title = "Two",
                              .target_help = "anything",
                              .default_interval_ms = 50,
                              .default_timeout_ms = 1000,
                              .max_in_flight = 4,
                              .make = [](uv_loop_t*) -> std::unique_ptr<probes::Probe> {
                                return std::make_unique<TwoStatProbe>();
                              }};
  JitteryClock clock;
  bus::CoreLoop loop;
  checks::Runner runner(loop, clock,
                        [&](std::string_view k) { return k == "two" ? &kind : nullptr; });
  std::mutex mutex;
  std::vector<std::shared_ptr<const checks::CheckResult>> results;
  runner.results().subscribe([&](const std::shared_ptr<const checks::CheckResult>& r) {
    std::lock_guard lock(mutex);
    results.push_back(r);
  });
  loop.start();
  checks::Check c;
  c.id = 1;
  c.name = "two";
  c.kind = "two";
  c.interval_ms = 50;
  c.timeout_ms = 1000;
  runner.start({c});
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mutex);
      if (results.size() >= 12) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  loop.stop([&] { runner.close(); });
  std::lock_guard lock(mutex);
  REQUIRE(results.size() >= 12);

  // Without the slot's time every step would be 48 or 52 ms; a busy machine may add a few.
  std::size_t exact = 0;
  for (std::size_t i = 1; i < results.size(); ++i)
    exact += results[i]->at - results[i - 1]->at == c.interval_ms ? 1 : 0;
  CHECK(exact * 5 >= (results.size() - 1) * 4);

  // probe_up, probe_success, probe_duration_seconds, then the two stats whichever order they came.
  const auto& first = results[0]->samples;
  const auto& second = results[1]->samples;
  REQUIRE(first.size() == 5);
  REQUIRE(second.size() == 5);
  CHECK(first[3].series.value_of("stat") == "max");
  CHECK(first[3].sample.v == 2);
  CHECK(second[3].series.value_of("stat") == "min");
  CHECK(second[3].sample.v == 1);
  // The same labels, not built anew each run: an id cached in one run's is in the other's.
  auto shared = [](const PackedLabels& a, const PackedLabels& b, std::int64_t id) {
    a.cache_id(id);
    return a == b && b.cached_id() == id;
  };
  CHECK(shared(first[3].series, second[4].series, 10));
  CHECK(shared(first[4].series, second[3].series, 11));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(shared(first[i].series, second[i].series, static_cast<std::int64_t>(i) + 1));
}

TEST_CASE("runner: checks with equal options share one copy of them") {
  std::vector<const nlohmann::json*> seen(4);
  struct OptionsProbe : probes::Probe {
    explicit OptionsProbe(std::vector<const nlohmann::json*>& s) : seen(s) {}
    void run(const probes::Request& req, probes::Done done) override {
      seen[static_cast<std::size_t>(req.check_id)] = req.options.get();
      done(probes::failed("held", "not run"));
    }
    void close() override {}
    std::vector<const nlohmann::json*>& seen;
  };
  probes::KindDescriptor kind{.kind = "opts",
                              .title = "Options",
                              .target_help = "anything",
                              .options = {{.name = "mode", .type = OptionType::string}},
                              .default_interval_ms = 60000,
                              .default_timeout_ms = 1000,
                              .make = [&](uv_loop_t*) -> std::unique_ptr<probes::Probe> {
                                return std::make_unique<OptionsProbe>(seen);
                              }};
  bus::CoreLoop loop;
  checks::Runner runner(loop, SystemClock::instance(),
                        [&](std::string_view k) { return k == "opts" ? &kind : nullptr; });
  loop.start();
  auto check = [](std::int64_t id, nlohmann::json options) {
    checks::Check c;
    c.id = id;
    c.name = "c" + std::to_string(id);
    c.kind = "opts";
    c.target = "t";
    c.interval_ms = 60000;
    c.options = std::move(options);
    return c;
  };
  for (auto& c : {check(1, {{"mode", "a"}}), check(2, {{"mode", "a"}}), check(3, {{"mode", "b"}})})
    runner.upsert(c, checks::Runner::FirstRun::now);
  REQUIRE(eventually(loop, [&] { return seen[1] && seen[2] && seen[3]; }));
  auto ptrs = on_loop(loop, [&] { return seen; });
  CHECK(ptrs[1] == ptrs[2]);
  CHECK(ptrs[1] != ptrs[3]);
  CHECK(*ptrs[3] == nlohmann::json{{"mode", "b"}});
  on_loop(loop, [&] {
    seen[3] = nullptr;
    return 0;
  });
  runner.upsert(check(3, {{"mode", "a"}}), checks::Runner::FirstRun::now);
  REQUIRE(eventually(loop, [&] { return seen[3] != nullptr; }));
  CHECK(on_loop(loop, [&] { return seen[3]; }) == ptrs[1]);
  loop.stop([&] { runner.close(); });
}
