// http/headers.h — the few request headers the server reads itself, as pure functions of their
// text: content negotiation for the UI's precompressed assets, If-None-Match, and the rewrite of
// a request head that keeps cpp-httplib from compressing answers with brotli (see server.h).
// Any thread; no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tt::http {

// Whether an Accept-Encoding value admits `coding` ("gzip", "br"): named, or "*", without q=0.
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

// Whether an If-None-Match value (a list of entity tags, or "*") matches `etag` (quoted), with
// the weak comparison RFC 9110 13.1.2 prescribes for it.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// A replacement of `length` bytes at `offset` of a request head.
struct HeadEdit {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string text;
};

// For a request head (request line, header lines, the empty line) whose Accept-Encoding line
// mentions "br": that line without the codings that do (cpp-httplib looks for "br" anywhere in
// it), followed by the original value as a `client_header` line. Nothing otherwise.
std::optional<HeadEdit> without_brotli(std::string_view head, std::string_view client_header);

}  // namespace tt::http
