// notify/kinds/common.h — what the channel kinds share: their option constructors, the checks of
// URLs and header values, and the pieces of request bodies (JSON POSTs, labels, cut texts). Only
// the kind files (notify/kinds/*.cpp) include it.
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/channel.h"
#include "notify/kinds/kinds.h"

namespace tt::notify::kinds {

using nlohmann::json;

// ---- options ----

// A URL option: required unless it has a default.
OptionSpec url_option(const char* name, const char* help, const char* default_url = nullptr,
                      bool secret = false);
OptionSpec secret_option(const char* name, const char* help, bool required = true);
OptionSpec string_option(const char* name, const char* help, bool required = false,
                         const char* def = nullptr);
// `headers`: extra request headers, added by add_headers.
OptionSpec headers_option();

// ---- checks ----

bool has_crlf(std::string_view s);
// Why `url` is not a URL of one of `schemes` with a host, if it is not.
std::optional<std::string> bad_url(const std::string& url,
                                   std::initializer_list<std::string_view> schemes);
// Checks the http(s) URL options named, the `headers` map if any, and the options named in
// `header_values` (sent in a header, so no line breaks).
std::vector<FieldError> check_http(const json& c, std::initializer_list<const char*> urls,
                                   std::initializer_list<const char*> header_values = {});

// ---- requests ----

// The option's string, empty when it is not set.
std::string str(const json& c, const char* name);
// A POST of `body` as JSON.
Request json_post(std::string url, const json& body);
// The channel's own headers (checked by check_http), after the kind's.
void add_headers(Request& r, const json& c);
std::string percent_encode(std::string_view s);
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
