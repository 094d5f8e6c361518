// probes/descriptor.h — what each probe kind accepts, as data: its target, its options with
// types, defaults and help, the facts its observations carry and the charts its results are drawn
// in. One table serves the API's validation (422 with a detail per field), the UI's check form
// and node page (GET /api/v1/check-kinds) and the condition checker (which names exist for a
// kind).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/result.h"
#include "probes/probe.h"

namespace tt::probes {

// The option table is core's (shared with notification channels).
using tt::OptionSpec;
using tt::OptionType;

enum class FactType { number, duration, ratio, string, boolean };  // named in descriptor.cpp

// A value conditions may test, e.g. {"latency", duration}, {"status", number}.
struct FactSpec {
  std::string name;
  FactType type = FactType::number;
  std::string help;
};

// How a chart draws its values: seconds in milliseconds, ratios in percent, byte counters as bit
// rates (PromQL rate() of each series, summed by the legend's labels).
enum class ChartUnit { seconds, ratio, bytes_total };  // named in descriptor.cpp

// One set of lines of a chart: the samples of `metric` of the node's checks whose labels also
// match `matchers`.
struct ChartSeries {
  std::string metric;    // probe_icmp_rtt_seconds
  std::string matchers;  // more label matchers, such as stat="avg"; empty: none
  // Labels given to the series' lines, to tell several series apart: {{"direction", "in"}}.
  std::vector<std::pair<std::string, std::string>> labels;
};

// A chart of a kind's results on a node's page, drawn when the node has a check of the kind. A
// chart of seconds or ratios has one series, read as stored and followed live; byte counters
// may have several.
struct ChartSpec {
  std::string id;     // unique across kinds: rtt
  std::string title;  // "Ping round trip (avg)"
  ChartUnit unit = ChartUnit::seconds;
  std::vector<ChartSeries> series;
  std::vector<std::string> legend = {"check"};  // the labels that name a line, in order
  std::string when_option;  // drawn only for checks with this (boolean) option on; empty: always
};

// Facts as kinds list them, by type: duration_fact("latency", "time to the answer").
struct FactOfType {
  FactType type;
  FactSpec operator()(std::string name, std::string help) const {
    return {std::move(name), type, std::move(help)};
  }
};
inline constexpr FactOfType number_fact{FactType::number}, duration_fact{FactType::duration},
    ratio_fact{FactType::ratio}, string_fact{FactType::string};

struct KindDescriptor {
  std::string kind;               // icmp, tcp, http, dns, push
  std::string title;              // "HTTP(S)"
  std::string target_help;        // "URL, http:// or https://"
  std::string target_example;     // the form's placeholder: https://example.org/
  std::string condition_example;  // the form's placeholder: status == 200 && latency < 300ms
  // Returns a message when the target is not acceptable for this kind.
  std::function<std::optional<std::string>(const std::string& target)> check_target;
  std::vector<OptionSpec> options;
  std::vector<FactSpec> facts;
  std::vector<ChartSpec> charts;
  std::int64_t default_interval_ms = 60000;
  std::int64_t default_timeout_ms = 10000;
  std::size_t max_in_flight = 256;  // concurrency limit per kind, enforced by the scheduler
  // Creates the probe on the loop; empty for passive kinds (push): served as "passive".
  std::function<std::unique_ptr<Probe>(uv_loop_t*)> make;
  // Checks across options or inside their values that the table cannot express (status range
  // syntax, header injection); runs on normalized options. Empty: nothing more to check.
  std::function<std::vector<FieldError>(const nlohmann::json& options)> check_options;
  // The series of a run's response time, as the `latency` fact is: a ping's is its average
  // round trip, not the whole run (three packets 200 ms apart).
  ChartSeries response = {"probe_duration_seconds", "", {}};
};

// A descriptor's `make` for a probe constructed from the loop alone: make_probe<TcpProbe>.
template <class P>
std::unique_ptr<Probe> make_probe(uv_loop_t* loop) {
  return std::make_unique<P>(loop);
}

// Every kind Telltale knows, in display order.
const std::vector<const KindDescriptor*>& kinds();
const KindDescriptor* find_kind(std::string_view kind);

// Validates `options` (a JSON object or null) against the kind's table: unknown names, wrong
// types, out-of-range values and missing required options are each a FieldError named
// "options.<name>". Returns the options with defaults filled in and durations in their shortest
// spelling ("1500ms" -> "1s500ms"), so that the result validates again unchanged.
Result<nlohmann::json> normalize_options(const KindDescriptor& kind, const nlohmann::json& options);

// Normalized options as probes take them: durations in integer milliseconds.
nlohmann::json probe_options(const KindDescriptor& kind, const nlohmann::json& options);

// The options with every secret replaced by "********", for GET answers.
nlohmann::json redact_options(const KindDescriptor& kind, const nlohmann::json& options);

// The descriptor as JSON for the UI's form.
nlohmann::json to_json(const KindDescriptor& kind);

}  // namespace tt::probes
