// collect/text_samples.h — the metrics a textfile or a script writes, in Prometheus text or
// InfluxDB line protocol, parsed by ingest/'s parsers into collect's samples. Pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "collect/collect.h"

namespace tt::collect {

enum class Timestamps { refuse, ignore };

// Prometheus text, all of it: nullopt when any line is bad, or (Timestamps::refuse, as
// node_exporter's textfile collector) when any sample carries its own timestamp.
std::optional<Samples> parse_prometheus_samples(std::string_view text, Timestamps timestamps);

// A script's output: Prometheus text when all of it parses as such, else InfluxDB line protocol
// (nanosecond timestamps) when all of it parses as that; nullopt when neither does. Timestamps
// are ignored: the samples are the collection's.
std::optional<Samples> parse_script_output(std::string_view text);

}  // namespace tt::collect
