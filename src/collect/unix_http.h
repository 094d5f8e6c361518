// collect/unix_http.h — one blocking HTTP/1.1 GET over a unix socket, as the container engines
// serve their API: connect, send, read until the reply is whole or the connection ends, all
// within one deadline. Any thread; nothing kept between calls.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "collect/engine_api.h"
#include "core/result.h"

namespace tt::collect {

// GET `target` (e.g. "/v1.41/containers/json?all=1") from the server at `socket_path`.
// CONTAINER_ENGINE_UNREACHABLE when the socket cannot be connected, CONTAINER_ENGINE_TIMEOUT when
// the reply is not whole within `timeout`, CONTAINER_ENGINE_BAD_REPLY for a reply that is not
// HTTP or larger than kMaxEngineReplyBytes. Any status is a reply: the caller judges it.
Result<HttpReply> unix_http_get(const std::string& socket_path, std::string_view target,
                                std::chrono::milliseconds timeout);

}  // namespace tt::collect
