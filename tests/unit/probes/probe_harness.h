// Drives a probe on a private libuv loop for tests: runs until the observations arrive, and at
// the end closes the probe and checks that the loop has no handle left.
#pragma once

#include <doctest/doctest.h>
#include <uv.h>

#include <memory>
#include <optional>
#include <vector>

#include "probes/descriptor.h"

namespace tt::probes::testing {

class Harness {
 public:
  explicit Harness(const KindDescriptor& kind) : m_kind(kind) {
    uv_loop_init(&m_loop);
    m_probe = kind.make(&m_loop);
  }
  ~Harness() { finish(); }

  Probe& probe() { return *m_probe; }
  uv_loop_t* loop() { return &m_loop; }

  Request request(std::string target, const nlohmann::json& options, int timeout_ms) {
    auto opts = normalize_options(m_kind, options);
    REQUIRE(opts);
    return Request{std::move(target), probe_options(m_kind, opts.value()), std::chrono::milliseconds(timeout_ms)};
  }

  // Starts a run whose observation lands in the returned slot.
  std::shared_ptr<std::optional<Observation>> start(const Request& req) {
    auto slot = std::make_shared<std::optional<Observation>>();
    m_probe->run(req, [slot](Observation o) {
      CHECK_FALSE(slot->has_value());  // done exactly once
      *slot = std::move(o);
    });
    return slot;
  }

  // Runs the loop until every slot is filled.
  void wait(const std::vector<std::shared_ptr<std::optional<Observation>>>& slots) {
    auto all = [&] {
      for (const auto& s : slots)
        if (!s->has_value()) return false;
      return true;
    };
    while (!all() && uv_run(&m_loop, UV_RUN_ONCE)) {
    }
    REQUIRE(all());
  }

  Observation run(const Request& req) {
    auto slot = start(req);
    wait({slot});
    return std::move(**slot);
  }

  // Closes the probe and runs the loop dry: every handle must be closed by then.
  void finish() {
    if (!m_probe) return;
    m_probe->close();
    m_probe.reset();
    uv_run(&m_loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&m_loop) == 0);
  }

 private:
  const KindDescriptor& m_kind;
  uv_loop_t m_loop{};
  std::unique_ptr<Probe> m_probe;
};

inline double metric(const Observation& o, const std::string& name, const std::string& stat = "") {
  for (const auto& m : o.metrics)
    if (m.name == name && (stat.empty() || (!m.labels.empty() && m.labels[0].value == stat))) return m.value;
  FAIL("no metric " << name << " " << stat);
  return 0;
}

}  // namespace tt::probes::testing
