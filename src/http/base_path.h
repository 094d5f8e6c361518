// http/base_path.h — serving under a path prefix (--base-path /telltale), for a reverse proxy
// that puts Telltale beside other sites on one host: the prefix is taken off each request's
// target before anything routes it (the API, the WebSocket, the UI and its assets alike), and
// the UI's index.html names its assets under the prefix and tells the scripts the prefix. A
// request without the prefix is served as it always was, so a proxy that strips the prefix
// itself works too. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "http/headers.h"
#include "http/request_head.h"

namespace tt::http {

// "/telltale" or "/a/b" (a trailing '/' is dropped; "" and "/" mean none). BASE_PATH_INVALID
// (invalid_input) for anything else: no "..", no empty segment, and only unreserved characters
// (RFC 3986), so the prefix means the same in a URL, an HTML attribute and a cookie path.
Result<std::string> normalize_base_path(std::string_view text);

// For a head whose target is `base` or starts with `base` + "/" or "?": the edit that takes the
// prefix off ("/telltale/api/v1/x" to "/api/v1/x", "/telltale" to "/"). Offsets are from the
// start of the head. Nothing when base is empty or the target is not under it.
std::optional<HeadEdit> without_base_path(const RequestHead& head, std::string_view head_bytes,
                                          std::string_view base);

// The UI's index.html for a base path: every root-relative href and src ("/assets/…") under the
// base, and a <meta name="telltale-base"> the scripts read the base from.
std::string index_with_base_path(std::string_view html, std::string_view base);

}  // namespace tt::http
