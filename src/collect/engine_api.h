// collect/engine_api.h — the pure half of the container engine client: the framing of an
// HTTP/1.1 reply and the JSON of the Docker Engine API (v1.41, which Podman's Docker-compatible
// socket serves too). Outside bytes in, values or an error out: never a crash, fuzzed as they are
// (tests/fuzz/fuzz_engine_api.cpp). Errors carry CONTAINER_ENGINE_BAD_REPLY.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/containers.h"
#include "core/result.h"

namespace tt::collect {

// A reply larger than this (head and body as read) is an error, not a truncation.
inline constexpr std::size_t kMaxEngineReplyBytes = 16 << 20;

struct HttpReply {
  int status = 0;
  std::string body;  // chunked transfer coding already removed
};

// The reply in `bytes`, everything read from the socket so far. nullopt when more bytes are
// needed: a head not yet whole, a body shorter than its Content-Length, a chunked body without
// its last chunk. A body framed by neither is delimited by the end of the connection, so it is
// whole only when `at_eof`; at EOF a reply that still needs bytes is an error.
Result<std::optional<HttpReply>> parse_http_reply(std::string_view bytes, bool at_eof);

// A chunked body (RFC 9112 §7.1: hex sizes, extensions and trailers skipped) decoded; nullopt
// while the last chunk and the trailers' empty line have not arrived.
Result<std::optional<std::string>> decode_chunked(std::string_view body);

// GET /containers/json?all=1: each container's id, name (without its leading '/'), image, state,
// status and creation time. Entries without an id are skipped.
Result<std::vector<ContainerInfo>> parse_container_list(std::string_view json);

// What GET /containers/{id}/json adds to the list: State.Pid, State.ExitCode, State.StartedAt.
struct ContainerDetail {
  int pid = 0;
  int exit_code = 0;
  double started_s = 0;  // Unix seconds; 0 when it never started
};
Result<ContainerDetail> parse_container_inspect(std::string_view json);

// An RFC 3339 time as the engine writes it ("2026-12-06T09:01:23.985936194Z", or with a
// +hh:mm offset) in Unix seconds; nullopt for anything else and for Go's zero time (year 1).
std::optional<double> parse_rfc3339(std::string_view text);

// The exit code in a list entry's status: "Exited (137) 5 seconds ago" is 137.
std::optional<int> exit_code_from_status(std::string_view status);

}  // namespace tt::collect
