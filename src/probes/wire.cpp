#include "probes/wire.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <set>

#include "core/series.h"

namespace tt::probes {

namespace {

using json = nlohmann::json;

Error invalid_run(std::string message) {
  return Error::make(ErrorKind::invalid_input, "RUN_INVALID", std::move(message));
}
Error invalid_observation(std::string message) {
  return Error::make(ErrorKind::invalid_input, "OBSERVATION_INVALID", std::move(message));
}

json number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

std::optional<double> read_number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (v == "+Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

// The process's copy of a metric or label name, kept for good: Metric holds names as views. The
// names probes use are a few dozen; the bound keeps an agent that invents names from growing it.
// `valid` is Prometheus' rule for the kind of name (core/series.h).
std::optional<std::string_view> intern(std::string_view name, bool (*valid)(std::string_view)) {
  static constexpr std::size_t kMaxNames = 4096;
  static constexpr std::size_t kMaxNameBytes = 128;
  static std::mutex mutex;
  static std::set<std::string, std::less<>> names;
  if (name.size() > kMaxNameBytes || !valid(name)) return std::nullopt;
  std::lock_guard lock(mutex);
  if (auto it = names.find(name); it != names.end()) return std::string_view(*it);
  if (names.size() >= kMaxNames) return std::nullopt;
  return std::string_view(*names.emplace(name).first);
}

// A metric's optional extra label: both its name and value, or neither.
bool read_label(const json& m, const char* name_key, const char* value_key, std::string_view& name,
                std::string& value) {
  const auto n = m.find(name_key);
  if (n == m.end()) return true;
  const auto v = m.find(value_key);
  if (!n->is_string() || v == m.end() || !v->is_string()) return false;
  auto interned = intern(n->get_ref<const std::string&>(), valid_label_name);
  if (!interned) return false;
  name = *interned;
  value = v->get<std::string>();
  return value.size() <= 1024;
}

std::string text(const json& message, const char* key, std::size_t max) {
  const auto it = message.find(key);
  if (it == message.end() || !it->is_string()) return {};
  auto s = it->get<std::string>();
  if (s.size() > max) s.resize(max);
  return s;
}

}  // namespace

std::string run_message(const RunRequest& run) {
  return json{{"type", "run"},
              {"run", run.run},
              {"check", run.check_id},
              {"kind", run.kind},
              {"target", run.target},
              {"options", run.options},
              {"timeout_ms", run.timeout_ms}}
      .dump();
}

DecodedRun decode_run(const json& message) {
  if (!message.is_object() || message.value("type", json()) != "run")
    return {0, invalid_run("not a run message")};
  const auto run_number = message.find("run");
  if (run_number == message.end() || !run_number->is_number_unsigned() ||
      run_number->get<std::uint64_t>() == 0)
    return {0, invalid_run("\"run\" must be a positive integer")};
  const std::uint64_t run = run_number->get<std::uint64_t>();
  const auto kind_name = message.find("kind");
  const auto* kind = kind_name != message.end() && kind_name->is_string()
                         ? find_kind(kind_name->get_ref<const std::string&>())
                         : nullptr;
  if (!kind || !kind->make) return {run, invalid_run("\"kind\" is not a kind this agent runs")};
  const auto target = message.find("target");
  if (target == message.end() || !target->is_string())
    return {run, invalid_run("\"target\" must be a string")};
  if (auto why = kind->check_target(target->get_ref<const std::string&>()))
    return {run, invalid_run(fmt::format("target: {}", *why))};
  const auto timeout = message.find("timeout_ms");
  if (timeout == message.end() || !timeout->is_number_integer() ||
      timeout->get<std::int64_t>() < 1 || timeout->get<std::int64_t>() > kMaxWireTimeoutMs)
    return {run, invalid_run(fmt::format("\"timeout_ms\" must be an integer from 1 to {}",
                                         kMaxWireTimeoutMs))};
  auto options = normalize_options(*kind, message.value("options", json::object()));
  if (!options.ok()) {
    std::string why;
    for (const auto& f : options.error().fields)
      why += fmt::format("{}{} {}", why.empty() ? "" : "; ", f.field, f.message);
    return {run, invalid_run(why.empty() ? options.error().message : why)};
  }
  Request req;
  req.target = target->get<std::string>();
  req.options = make_options(probe_options(*kind, options.value()));
  req.timeout = std::chrono::milliseconds(timeout->get<std::int64_t>());
  const auto check = message.find("check");
  if (check != message.end() && check->is_number_integer())
    req.check_id = check->get<std::int64_t>();
  return {run, std::pair{kind, std::move(req)}};
}

std::string observation_message(std::uint64_t run, const Observation& o) {
  json metrics = json::array();
  for (const auto& m : o.metrics) {
    json j{{"name", m.name}, {"value", number(m.value)}};
    if (!m.label.empty()) {
      j["label"] = m.label;
      j["label_value"] = m.label_value;
    }
    if (!m.label2.empty()) {
      j["label2"] = m.label2;
      j["label2_value"] = m.label2_value;
    }
    metrics.push_back(std::move(j));
  }
  json facts = json::object();
  for (const auto& [name, value] : o.facts) facts[name] = value;
  json events = json::array();
  for (const auto& e : o.events) events.push_back({{"kind", e.kind}, {"data", e.data}});
  return json{{"type", "observation"},
              {"run", run},
              {"ok", o.ok},
              {"error", o.error},
              {"message", o.message},
              {"duration_s", number(o.duration_s)},
              {"metrics", std::move(metrics)},
              {"facts", std::move(facts)},
              {"events", std::move(events)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::pair<std::uint64_t, Observation>> decode_observation(const json& message) {
  if (!message.is_object() || message.value("type", json()) != "observation")
    return invalid_observation("not an observation message");
  const auto run = message.find("run");
  if (run == message.end() || !run->is_number_unsigned() || run->get<std::uint64_t>() == 0)
    return invalid_observation("\"run\" must be a positive integer");
  Observation o;
  const auto ok = message.find("ok");
  if (ok == message.end() || !ok->is_boolean())
    return invalid_observation("\"ok\" must be a boolean");
  o.ok = ok->get<bool>();
  o.error = text(message, "error", 64);
  if (!o.ok && o.error.empty()) o.error = "failed";
  o.message = text(message, "message", kMaxWireMessage);
  const auto duration = message.find("duration_s");
  if (duration != message.end()) {
    auto d = read_number(*duration);
    if (!d || !(*d >= 0) || *d > 86400) return invalid_observation("\"duration_s\" out of range");
    o.duration_s = *d;
  }
  const auto metrics = message.find("metrics");
  if (metrics != message.end()) {
    if (!metrics->is_array() || metrics->size() > kMaxWireMetrics)
      return invalid_observation(
          fmt::format("\"metrics\" must be a list of at most {}", kMaxWireMetrics));
    o.metrics.reserve(metrics->size());
    for (const auto& m : *metrics) {
      if (!m.is_object()) return invalid_observation("a metric must be an object");
      const auto name = m.find("name");
      const auto value = m.find("value");
      if (name == m.end() || !name->is_string() || value == m.end())
        return invalid_observation("a metric needs a name and a value");
      auto v = read_number(*value);
      if (!v) return invalid_observation("a metric's value must be a number");
      Metric metric;
      auto interned = intern(name->get_ref<const std::string&>(), valid_metric_name);
      if (!interned || !read_label(m, "label", "label_value", metric.label, metric.label_value) ||
          !read_label(m, "label2", "label2_value", metric.label2, metric.label2_value))
        continue;  // dropped: see the header
      metric.name = *interned;
      metric.value = *v;
      o.metrics.push_back(std::move(metric));
    }
  }
  const auto facts = message.find("facts");
  if (facts != message.end() && !facts->is_object())
    return invalid_observation("\"facts\" must be an object");
  if (facts != message.end()) o.facts = Facts(*facts);
  const auto events = message.find("events");
  if (events != message.end()) {
    if (!events->is_array() || events->size() > kMaxWireEvents)
      return invalid_observation(
          fmt::format("\"events\" must be a list of at most {}", kMaxWireEvents));
    for (const auto& e : *events) {
      if (!e.is_object() || !e.contains("kind") || !e["kind"].is_string())
        return invalid_observation("an event needs a kind");
      o.events.push_back({text(e, "kind", 64), e.value("data", json::object())});
    }
  }
  return std::pair{run->get<std::uint64_t>(), std::move(o)};
}

}  // namespace tt::probes
