// ctl/output.h — what `telltale ctl` prints: tables that fit the terminal, or the items as JSON
// or YAML. Pure: the terminal's width is an argument.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/resources.h"

namespace tt::ctl {

enum class Format { table, wide, json, yaml };

// "table", "wide", "json", "yaml"; nullopt otherwise.
std::optional<Format> parse_format(std::string_view name);

// A value as one cell: strings as they are, lists joined with ",", maps as k=v pairs, null as
// "-", times (when `time`) as "2026-12-06 17:52:35" in UTC.
std::string cell(const nlohmann::json& value, bool time = false);

// The value at a dotted path ("recurrence.every"); null when any step is missing.
const nlohmann::json& at_path(const nlohmann::json& item, std::string_view path);

// Columns left-aligned, two spaces apart, each line at most `width` display columns (0: no
// limit): the widest columns are cut first, with "…", and none below 6. Newlines and other
// control characters in a cell are shown as spaces.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows, std::size_t width);

// One item (an object) or many (an array) of `resource` as `format` says.
std::string render(const Resource& resource, const nlohmann::json& items, Format format,
                   std::size_t width);

}  // namespace tt::ctl
