// core/series_json.h — how a series travels as JSON, in REST answers and on the WebSocket topics
// series:<selector>: {"metric","labels","timestamps","values"}.
#pragma once

#include <nlohmann/json.hpp>
#include <span>

#include "core/series.h"

namespace tt {

// JSON has no NaN or infinity: those values travel as the strings Prometheus uses.
nlohmann::json number_json(double v);
// The labels as an object; with_name adds __name__.
nlohmann::json labels_json(const LabelSet& labels, bool with_name);
nlohmann::json series_json(const LabelSet& labels, std::span<const Sample> samples);

}  // namespace tt
