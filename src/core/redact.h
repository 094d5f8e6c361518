// core/redact.h — secrets inside values that are not secrets as a whole: the password of a
// URL's userinfo, query parameters whose names look secret (?token=, ?apikey=), and the values
// of request headers whose names do (Authorization, X-Api-Key). Whatever the API, the WebSocket,
// the event log or the audit log shows passes through here, and a PATCH that sends a masked
// value back gets the stored one restored here, so that the UI's edit forms round-trip. The
// stored values are never changed. Masked parts read kMaskedSecret, as whole secret options do.
// Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.h"

namespace tt::redact {

// Authorization, Proxy-Authorization, Cookie, X-Api-Key, and any name (any case) containing
// token, key, secret, auth, password, session, cookie or credential.
bool is_secret_header(std::string_view name);
// token, key, apikey, api_key, secret, password, pass, sig, signature, auth, access_token (any
// case), and names containing token, secret or password or ending in key.
bool is_secret_query_key(std::string_view name);

// `scheme://user:pass@host/path?token=t&x=1` ->
// `scheme://user:********@host/path?token=********&x=1`. Text that is not a URL (no "scheme://")
// comes back unchanged; masking is idempotent.
std::string url(std::string_view text);
// `sent` with each masked part (the password, a secret query value) replaced by that part of
// `stored` (query parameters matched by name and order), when `stored` has it.
std::string restore_url(std::string_view sent, std::string_view stored);

// A header map ({"Name": "value"}) with the values of secret names masked.
nlohmann::json headers(const nlohmann::json& map);
// `sent` with each masked value replaced by the stored value of the same name (any case).
nlohmann::json restore_headers(const nlohmann::json& sent, const nlohmann::json& stored);

// A document whose shape is not known (an event's data, an audit row's details, a kind's
// options): every string that is a URL is masked as url() does, every object named "headers" as
// headers() does.
nlohmann::json tree(const nlohmann::json& doc);

// `sent` (a PATCH's options, before validation) with what came back masked restored from
// `stored`: whole secret options (`secret` in the table) sent as kMaskedSecret, and the masked
// parts of URLs and "headers" maps, which tree() masked in the GET the client edited.
nlohmann::json restore_options(const std::vector<OptionSpec>& specs, const nlohmann::json& sent,
                               const nlohmann::json& stored);

}  // namespace tt::redact
