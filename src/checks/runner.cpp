#include "checks/runner.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/duration.h"
#include "core/log.h"
#include "core/metrics.h"

namespace tt::checks {

namespace {

// How far a run's time may be from its slot and still be written as the slot's (Prometheus
// aligns scrape timestamps within 2 ms for the same reason).
constexpr TimeMs kSlotToleranceMs = 2;

metrics::Counter& runs_counter(std::string_view kind, bool up) {
  return metrics::registry()
      .family("telltale_check_runs_total", "Check runs by kind and outcome.",
              metrics::Type::counter)
      .counter({{"kind", std::string(kind)}, {"outcome", up ? "up" : "down"}});
}

metrics::Counter& overlap_counter() {
  static auto& c = metrics::counter(
      "telltale_check_runs_skipped_total",
      "Scheduled runs skipped because the previous run of the check had not ended.");
  return c;
}

// Whether a series built by series() is the metric's: its labels are the check's base labels,
// the metric's name and its extra labels, so the name, the extras and their count tell.
bool is_series_of(const PackedLabels& labels, const LabelSet& base, const probes::Metric& m) {
  std::size_t count = 0, extras = 0;
  bool name = false;
  labels.for_each([&](std::string_view n, std::string_view v) {
    ++count;
    if (n == kMetricNameLabel)
      name = v == m.name;
    else if (!m.label.empty() && n == m.label)
      extras += v == m.label_value;
    else if (!m.label2.empty() && n == m.label2)
      extras += v == m.label2_value;
  });
  const std::size_t wanted = (m.label.empty() ? 0 : 1) + (m.label2.empty() ? 0 : 1);
  return name && extras == wanted && count == base.size() + 1 + wanted;
}

// Whether a run passes the check's conditions: a failing one turns it down, its text the message.
bool passes(const std::vector<Condition>& conditions, probes::Observation& o) {
  if (!o.ok) return false;
  for (const auto& cond : conditions) {
    auto verdict = cond.evaluate(o.facts);
    if (!verdict.pass) {
      o.error = "condition";
      o.message = fmt::format("{}: {}", cond.text(), verdict.detail);
      return false;
    }
  }
  return true;
}

// Tests the run's conditions, then drops the facts only conditions read (an HTTP body and header
// set): every result is shown or kept, and each HTTP check would keep its last body in memory.
bool judge(const std::vector<Condition>& conditions, probes::Observation& o) {
  const bool up = passes(conditions, o);
  for (auto name : {"body", "headers"}) o.facts.erase(name);
  return up;
}

std::vector<Condition> parse_conditions(const Check& c, const probes::KindDescriptor& kind) {
  std::vector<Condition> out;
  for (const auto& text : c.conditions) {
    ConditionError why;
    if (auto cond = Condition::parse(text, kind.facts, why)) out.push_back(std::move(*cond));
  }
  return out;
}

// A test run as the API shows it: the run, and its samples (probe_up, the duration, the kind's).
nlohmann::json test_json(const CheckResult& r, const std::vector<probes::Metric>& metrics) {
  auto out = result_json(r);
  nlohmann::json list = nlohmann::json::array();
  list.push_back(
      {{"name", "probe_up"}, {"labels", nlohmann::json::object()}, {"value", r.up ? 1 : 0}});
  list.push_back({{"name", "probe_duration_seconds"},
                  {"labels", nlohmann::json::object()},
                  {"value", r.duration_s}});
  for (const auto& m : metrics) {
    nlohmann::json labels = nlohmann::json::object();
    if (!m.label.empty()) labels[std::string(m.label)] = m.label_value;
    if (!m.label2.empty()) labels[std::string(m.label2)] = m.label2_value;
    list.push_back({{"name", m.name}, {"labels", std::move(labels)}, {"value", m.value}});
  }
  out["metrics"] = std::move(list);
  return out;
}

}  // namespace

Runner::Runner(bus::CoreLoop& loop, const Clock& clock, KindLookup kinds)
    : m_loop(loop), m_results(loop, "results", 65536), m_clock(clock), m_kinds(std::move(kinds)) {
  m_scheduler = std::make_unique<sched::Scheduler>(
      loop.uv(),
      [this](std::int64_t id, std::int64_t, std::int64_t late_ms) { on_due(id, late_ms); });
}

Runner::~Runner() = default;

void Runner::start(std::vector<Check> checks) {
  m_loop.post([this, checks = std::move(checks)]() mutable {
    for (auto& c : checks) upsert_on_loop(std::move(c), FirstRun::at_slot);
  });
}

void Runner::upsert(Check c, FirstRun first) {
  m_loop.post([this, c = std::move(c), first]() mutable { upsert_on_loop(std::move(c), first); });
}

void Runner::remove(std::int64_t id) {
  m_loop.post([this, id] { remove_on_loop(id); });
}

Runner::KindSlot& Runner::slot(const std::string& kind) { return m_slots[kind]; }

probes::Options Runner::shared_options(nlohmann::json resolved) {
  const std::size_t hash = std::hash<nlohmann::json>{}(resolved);
  for (auto [it, end] = m_options.equal_range(hash); it != end; ++it)
    if (auto held = it->second.lock(); held && *held == resolved) return held;
  // Options no check holds any more are dropped once they are half the table.
  if (m_options.size() >= 2 * m_options_live + 16) {
    std::erase_if(m_options, [](const auto& o) { return o.second.expired(); });
    m_options_live = m_options.size();
  }
  auto options = probes::make_options(std::move(resolved));
  m_options.emplace(hash, options);
  return options;
}

void Runner::upsert_on_loop(Check c, FirstRun first) {
  if (m_closed) return;
  const auto* kind = m_kinds(c.kind);
  if (!kind) {
    log::error("check {} has unknown kind '{}'; not scheduled", c.id, c.kind);
    return;
  }
  auto [it, fresh] = m_entries.try_emplace(c.id);
  Entry& e = it->second;
  bool node_changed = !fresh && e.check.node_id != c.node_id;
  auto old_node = e.check.node_id;
  probes::Request request{c.target, shared_options(probes::probe_options(*kind, c.options)),
                          std::chrono::milliseconds(c.timeout_ms), c.id};
  // Shared options are equal when they are the same.
  bool schedule_changed = fresh || e.check.interval_ms != c.interval_ms || e.check.kind != c.kind ||
                          e.check.enabled != c.enabled || e.request.options != request.options;
  if (fresh) e.tracker = StateTracker(c.state, c.flapping);
  e.kind = kind;
  e.request = std::move(request);
  e.conditions = parse_conditions(c, *kind);
  e.generation = m_next_generation++;
  e.running = false;  // a run of the old definition may still end; its result is dropped
  bool was_enabled = fresh ? c.state != CheckState::paused : e.check.enabled;
  e.check = std::move(c);
  // The request holds the options a hub run needs, and the live result the last one: these
  // would be second copies of JSON, hundreds of bytes a check. An agent is sent the options.
  e.check.last_result = nullptr;
  if (!e.check.runs_on) e.check.options = nullptr;
  e.series.clear();
  LabelSet base = sample_labels(e.check);
  sort_labels(base);
  e.base_labels = std::make_shared<const LabelSet>(std::move(base));
  if (!fresh && was_enabled != e.check.enabled) {
    auto change = e.tracker.set_paused(!e.check.enabled);
    if (change.state_changed) {
      auto r = std::make_shared<CheckResult>();
      r->check_id = e.check.id;
      r->check_name = e.check.name;
      r->at = m_clock.now_ms();
      r->up = false;
      r->message = e.check.enabled ? "resumed" : "paused";
      r->state_changed = true;
      r->from_state = std::string(to_string(change.from));
      r->state = std::string(to_string(change.to));
      if (e.check.node_id) {
        r->node_id = e.check.node_id;
        r->node_status = node_status(*e.check.node_id);
      }
      r->is_run = false;
      set_live(e, r->at);
      m_results.publish(std::move(r));
    }
  } else if (fresh && !e.check.enabled && e.tracker.state() != CheckState::paused) {
    e.tracker.set_paused(true);
  }
  set_live(e, std::nullopt);
  if (node_changed) {
    if (old_node) publish_node_status(*old_node);
    if (e.check.node_id) publish_node_status(*e.check.node_id);
  }
  if (!e.check.enabled) {
    m_scheduler->remove(e.check.id);
    return;
  }
  if (schedule_changed || !m_scheduler->contains(e.check.id)) schedule(e);
  // A run of the old definition still going was dropped above (`running` reset).
  if (first == FirstRun::now && e.kind->make && !e.queued) start_run(e, m_clock.now_ms(), nullptr);
}

void Runner::schedule(Entry& e) {
  if (!e.kind->make) {
    schedule_push_deadline(e, static_cast<std::int64_t>(uv_now(m_loop.uv())));
    return;
  }
  m_scheduler->upsert(e.check.id, e.check.interval_ms);
}

std::int64_t Runner::push_window_ms(const Entry& e) {
  return e.check.interval_ms + e.request.options->value("grace", std::int64_t{0});
}

void Runner::schedule_push_deadline(Entry& e, std::int64_t from_loop_ms) {
  std::int64_t window = push_window_ms(e);
  m_scheduler->upsert(e.check.id, window, from_loop_ms + window);
}

void Runner::remove_on_loop(std::int64_t id) {
  m_scheduler->remove(id);
  auto it = m_entries.find(id);
  if (it == m_entries.end()) return;
  auto node = it->second.check.node_id;
  m_entries.erase(it);
  if (node) publish_node_status(*node);
  std::lock_guard lock(m_live_mutex);
  m_live.erase(id);
}

void Runner::on_due(std::int64_t id, std::int64_t late_ms) {
  auto it = m_entries.find(id);
  if (it == m_entries.end()) return;
  Entry& e = it->second;
  TimeMs at = m_clock.now_ms() - late_ms;
  // The loop's clock and the wall clock part by a millisecond now and then; a run that close to
  // its slot takes the slot's time exactly, because timestamps at exact intervals cost the codec
  // nothing and a millisecond of jitter costs a check's every series bits per sample.
  if (TimeMs slot = e.last_slot + e.check.interval_ms;
      e.last_slot != 0 && std::abs(at - slot) <= kSlotToleranceMs)
    at = slot;
  e.last_slot = at;
  if (!e.kind->make) {  // a push check whose heartbeat is overdue
    probes::Observation o = probes::failed(
        "no_heartbeat",
        fmt::format("no heartbeat within {}", format_duration_ms(push_window_ms(e))));
    conclude(e, at, std::move(o), nullptr);
    return;
  }
  if (e.running || e.queued) {
    overlap_counter().inc();
    return;
  }
  start_run(e, at, nullptr);
}

void Runner::start_run(Entry& e, TimeMs at, std::function<void(nlohmann::json)> also) {
  if (e.check.runs_on) return start_remote_run(e, at, std::move(also));
  KindSlot& s = probe_slot(*e.kind, e.check.kind);
  if (s.in_flight >= e.kind->max_in_flight) {
    // Waiting runs keep their scheduled time; `also` callers (run now) are rare enough to go first.
    if (also) {
      s.in_flight++;  // run-now may exceed the limit by the few people pressing the button
    } else {
      e.queued = true;
      s.waiting.emplace_back(e.check.id, at);
      return;
    }
  } else {
    s.in_flight++;
  }
  e.running = true;
  std::int64_t id = e.check.id;
  std::uint64_t gen = e.generation;
  // Slots live in a map whose nodes never move; the probe reads the request only inside run().
  s.probe->run(e.request,
               [this, id, gen, at, &s, also = std::move(also)](probes::Observation o) mutable {
                 if (s.in_flight > 0) s.in_flight--;
                 finish(id, gen, at, std::move(o), std::move(also));
                 if (!m_closed) start_waiting(s);
               });
}

// The agent limits its own runs in flight; the hub's kind slots count only its own probes.
void Runner::start_remote_run(Entry& e, TimeMs at, std::function<void(nlohmann::json)> also) {
  e.running = true;
  auto done = [this, id = e.check.id, gen = e.generation, at,
               also = std::move(also)](probes::Observation o) mutable {
    finish(id, gen, at, std::move(o), std::move(also));
  };
  if (!m_remote)
    return done(probes::failed("no_agent", "checks that run on an agent are not served here"));
  m_remote(*e.check.runs_on,
           {0, e.check.id, e.check.kind, e.check.target, e.check.options, e.check.timeout_ms},
           std::move(done));
}

Runner::KindSlot& Runner::probe_slot(const probes::KindDescriptor& kind, const std::string& name) {
  KindSlot& s = slot(name);
  if (!s.probe) {
    s.kind = &kind;
    s.probe = kind.make(m_loop.uv());
  }
  return s;
}

void Runner::start_waiting(KindSlot& s) {
  while (!s.waiting.empty()) {
    if (s.in_flight >= s.kind->max_in_flight) return;
    auto [id, at] = s.waiting.front();
    s.waiting.pop_front();
    auto it = m_entries.find(id);
    if (it == m_entries.end() || it->second.kind != s.kind) continue;
    it->second.queued = false;
    start_run(it->second, at, nullptr);
  }
}

void Runner::finish(std::int64_t id, std::uint64_t generation, TimeMs at, probes::Observation o,
                    std::function<void(nlohmann::json)> also) {
  auto it = m_entries.find(id);
  if (it == m_entries.end() || it->second.generation != generation || m_closed) {
    if (also) also(nullptr);
    return;
  }
  it->second.running = false;
  conclude(it->second, at, std::move(o), std::move(also));
}

void Runner::conclude(Entry& e, TimeMs at, probes::Observation o,
                      std::function<void(nlohmann::json)> also) {
  bool up = judge(e.conditions, o);
  KindSlot& counted = slot(e.check.kind);
  if (!counted.runs_up) {
    counted.runs_up = &runs_counter(e.check.kind, true);
    counted.runs_down = &runs_counter(e.check.kind, false);
  }
  (up ? counted.runs_up : counted.runs_down)->inc();

  auto r = std::make_shared<CheckResult>();
  r->check_id = e.check.id;
  r->check_name = e.check.name;
  r->at = at;
  r->up = up;
  r->error = std::move(o.error);
  r->message = std::move(o.message);
  r->duration_s = o.duration_s;
  r->facts = std::move(o.facts);
  r->check_node = e.check.node_id.value_or(0);
  for (auto& ev : o.events) r->events.emplace_back(std::move(ev.kind), std::move(ev.data));

  r->samples.reserve(3 + o.metrics.size());
  r->samples.push_back({series(e, 0, {"probe_up"}), {at, up ? 1.0 : 0.0}});
  r->samples.push_back({series(e, 1, {"probe_success"}), {at, up ? 1.0 : 0.0}});
  r->samples.push_back({series(e, 2, {"probe_duration_seconds"}), {at, o.duration_s}});
  for (std::size_t i = 0; i < o.metrics.size(); ++i)
    r->samples.push_back({series(e, 3 + i, o.metrics[i]), {at, o.metrics[i].value}});

  auto change = e.tracker.observe(up, e.check.retries);
  if (change.state_changed) {
    r->state_changed = true;
    r->from_state = std::string(to_string(change.from));
    if (e.check.node_id) {
      r->node_id = e.check.node_id;
    }
  }
  r->flapping_changed = change.flapping_started || change.flapping_stopped;
  r->state = std::string(to_string(e.tracker.state()));
  r->flapping = e.tracker.flapping();
  const auto changed_at = change.state_changed ? std::optional<TimeMs>(at) : std::nullopt;
  if (r->node_id) {
    set_live(e, changed_at);  // the node's status counts this check's new state
    r->node_status = node_status(*r->node_id);
  }
  r->last = std::make_shared<const LastRun>(last_run(*r));
  set_live(e, changed_at, r->last);
  if (also) also(result_json(*r));
  m_results.publish(std::move(r));
}

PackedLabels Runner::series(Entry& e, std::size_t hint, const probes::Metric& m) {
  // Probes report their metrics in the same order run after run: try the hinted slot first.
  if (hint < e.series.size() && is_series_of(e.series[hint], *e.base_labels, m))
    return e.series[hint];
  for (const auto& ref : e.series)
    if (is_series_of(ref, *e.base_labels, m)) return ref;
  LabelSet labels;
  labels.reserve(e.base_labels->size() + 3);
  labels = *e.base_labels;
  labels.push_back({std::string(kMetricNameLabel), std::string(m.name)});
  if (!m.label.empty()) labels.push_back({std::string(m.label), m.label_value});
  if (!m.label2.empty()) labels.push_back({std::string(m.label2), m.label2_value});
  sort_labels(labels);
  PackedLabels ref(labels);
  // A kind's metrics are a fixed list (for SNMP, a few per interface of the device); the bound
  // only guards against one that is not.
  if (e.series.size() < kMaxSeriesPerCheck) e.series.push_back(ref);
  return ref;
}

void Runner::heartbeat(std::int64_t id, Heartbeat hb) {
  m_loop.post([this, id, hb = std::move(hb)] {
    auto it = m_entries.find(id);
    if (it == m_entries.end() || m_closed) return;
    Entry& e = it->second;
    if (!e.check.enabled) return;
    probes::Observation o;
    o.ok = hb.up;
    o.error = hb.up ? "" : "reported_down";
    o.message = hb.msg.empty() ? (hb.up ? "heartbeat" : "the job reported down") : hb.msg;
    o.facts["status"] = hb.up ? "up" : "down";
    o.facts["msg"] = hb.msg;
    if (hb.value) {
      o.facts["value"] = *hb.value;
      o.metrics.push_back({"probe_push_value", *hb.value});
    }
    if (hb.ping_ms) {
      o.facts["latency"] = *hb.ping_ms / 1000.0;
      o.duration_s = *hb.ping_ms / 1000.0;
    }
    conclude(e, m_clock.now_ms(), std::move(o), nullptr);
    schedule_push_deadline(e, static_cast<std::int64_t>(uv_now(m_loop.uv())));
  });
}

void Runner::run_now(std::int64_t id, std::function<void(nlohmann::json)> done) {
  m_loop.post([this, id, done = std::move(done)]() mutable {
    auto it = m_entries.find(id);
    if (it == m_entries.end() || m_closed || !it->second.kind->make) return done(nullptr);
    Entry& e = it->second;
    start_run(e, m_clock.now_ms(), std::move(done));
  });
}

void Runner::test(Check c, std::function<void(nlohmann::json)> done) {
  m_loop.post([this, c = std::move(c), done = std::move(done)]() mutable {
    const auto* kind = m_kinds(c.kind);
    if (m_closed || !kind || !kind->make) return done(nullptr);
    auto conclude_test = [this, at = m_clock.now_ms(), name = c.name,
                          conditions = parse_conditions(c, *kind),
                          done = std::move(done)](probes::Observation o) mutable {
      if (m_closed) return done(nullptr);
      CheckResult r;
      r.check_name = name;
      r.at = at;
      r.up = judge(conditions, o);
      r.error = std::move(o.error);
      r.message = std::move(o.message);
      r.duration_s = o.duration_s;
      r.facts = std::move(o.facts);
      done(test_json(r, o.metrics));
    };
    if (c.runs_on) {  // from inside the agent's network, as its runs would be
      if (!m_remote)
        return conclude_test(
            probes::failed("no_agent", "checks that run on an agent are not served here"));
      return m_remote(*c.runs_on, {0, c.id, c.kind, c.target, c.options, c.timeout_ms},
                      std::move(conclude_test));
    }
    KindSlot& s = probe_slot(*kind, c.kind);
    s.in_flight++;  // as run-now: a person waits for it
    // The probe reads the request only inside run().
    probes::Request request{c.target, probes::make_options(probes::probe_options(*kind, c.options)),
                            std::chrono::milliseconds(c.timeout_ms), c.id};
    s.probe->run(request, [this, &s, conclude_test = std::move(conclude_test)](
                              probes::Observation o) mutable {
      if (s.in_flight > 0) s.in_flight--;
      conclude_test(std::move(o));
      if (!m_closed) start_waiting(s);
    });
  });
}

void Runner::publish_node_status(std::int64_t node_id) {
  auto r = std::make_shared<CheckResult>();
  r->is_run = false;
  r->at = m_clock.now_ms();
  r->node_id = node_id;
  r->node_status = node_status(node_id);
  m_results.publish(std::move(r));
}

std::string Runner::node_status(std::int64_t node_id) const {
  int up = 0, down = 0, total = 0;
  for (const auto& [id, e] : m_entries) {
    if (e.check.node_id != node_id || !e.check.enabled) continue;
    ++total;
    if (e.tracker.state() == CheckState::up)
      ++up;
    else if (e.tracker.state() == CheckState::down)
      ++down;
  }
  if (total == 0 || (up == 0 && down == 0)) return "unknown";
  if (down == 0) return "up";
  if (down == total) return "down";
  return "degraded";
}

void Runner::set_live(const Entry& e, std::optional<TimeMs> changed_at,
                      std::shared_ptr<const LastRun> last) {
  std::lock_guard lock(m_live_mutex);
  auto [it, fresh] = m_live.try_emplace(e.check.id);
  Live& live = it->second;
  if (last) live.last = std::move(last);
  if (fresh) live.since = e.check.state_since;
  if (changed_at) live.since = *changed_at;
  live.state = e.tracker.state();
  live.flapping = e.tracker.flapping();
  live.labels = e.base_labels;
}

std::optional<Runner::Live> Runner::live(std::int64_t id) const {
  std::lock_guard lock(m_live_mutex);
  auto it = m_live.find(id);
  if (it == m_live.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::int64_t, Runner::Live>> Runner::live_all() const {
  std::lock_guard lock(m_live_mutex);
  return {m_live.begin(), m_live.end()};
}

void Runner::close() {
  if (m_closed) return;
  m_closed = true;
  m_scheduler->close();
  for (auto& [kind, s] : m_slots)
    if (s.probe) s.probe->close();
}

}  // namespace tt::checks
