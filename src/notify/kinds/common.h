// notify/kinds/common.h — what the channel kinds share: their option constructors, the checks of
// URLs and header values, and the pieces of request bodies (JSON POSTs, labels, cut texts). Only
// the kind files (notify/kinds/*.cpp) include it.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"  // has_crlf, url_problem
#include "notify/channel.h"
#include "notify/kinds/kinds.h"

namespace tt::notify::kinds {

using nlohmann::json;

// ---- options ----

// A URL option: required unless it has a default.
OptionSpec url_option(const char* name, const char* label, const char* help,
                      const char* default_url = nullptr, bool secret = false);
OptionSpec secret_option(const char* name, const char* label, const char* help,
                         bool required = true);
OptionSpec string_option(const char* name, const char* label, const char* help,
                         bool required = false, const char* def = nullptr);
// One of `choices`, the first by default.
OptionSpec choice_option(const char* name, const char* label, const char* help,
                         std::vector<std::string> choices);
// `headers`: extra request headers, added by add_headers.
OptionSpec headers_option();

// ---- checks ----

// Checks the http(s) URL options named, the `headers` map if any, and the options named in
// `header_values` (sent in a header, so no line breaks).
std::vector<FieldError> check_http(const json& c, const std::vector<const char*>& urls,
                                   const std::vector<const char*>& header_values = {});
// The `check` of a kind for which check_http is all there is to check.
std::function<std::vector<FieldError>(const json&)> http_checks(
    std::vector<const char*> urls, std::vector<const char*> header_values = {});

// ---- requests ----

// The option's string, empty when it is not set.
std::string str(const json& c, const char* name);
// The options named that are set, into `body` under their own names.
void copy_options(json& body, const json& c, const std::vector<const char*>& names);
// A POST of `body` as JSON.
Request json_post(std::string url, const json& body);
// A request to the channel's `url` with its `method`.
Request request_of(const json& c);
// The channel's own headers (checked by check_http), after the kind's.
void add_headers(Request& r, const json& c);
// "Authorization: Bearer" with the option's value, when it is set.
void add_bearer(Request& r, const json& c, const char* option);
std::string trim_slash(std::string s);

// ---- bodies ----

json labels_json(const std::vector<std::pair<std::string, std::string>>& kv);
// JSON value of an alert's sample: non-finite values have no JSON number.
json value_json(double v);
// The alert as the webhook and others carry it.
json alert_json(const Notice& n);
// Title and text in one.
std::string full_text(const Notice& n);
// At most `max` bytes, whole UTF-8 characters, "..." at the end of a cut text.
std::string cut(std::string s, std::size_t max);
// The receiver's priority for the notice's severity; a resolution gets `resolved`.
int priority_of(const Notice& n, int critical, int warning, int info, int resolved);
// The key under which incident services (PagerDuty, Opsgenie) know one alert.
std::string dedup_key(const Notice& n);

}  // namespace tt::notify::kinds
