// http/request_head.h — the request head (request line and header fields, RFC 9112 §2-§6) as
// the server checks it before cpp-httplib sees a byte: it decides when a head is whole, refuses
// one over the limits as soon as the limit is crossed, and refuses the framing a proxy in front
// could read differently (request smuggling). A pure function of the bytes; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt::http {

struct HeadLimits {
  std::size_t max_head_bytes = 16 * 1024;  // request line, fields and the empty line
  std::size_t max_line_bytes = 8 * 1024;   // one line with its CRLF (cpp-httplib's own limit)
  std::size_t max_fields = 100;
};

struct HeadField {
  std::string_view name, value;  // value without the whitespace around it
};

// A whole, valid head. The views point into the bytes given to parse_request_head.
struct RequestHead {
  std::size_t length = 0;  // bytes up to and including the empty line
  std::string_view method, target, version;
  std::vector<HeadField> fields;
  bool chunked = false;  // the body is chunked (Transfer-Encoding: chunked, the only coding taken)
  std::size_t content_length = 0;  // the Content-Length (0 without one)

  // The first value of the field `name` (any case).
  std::optional<std::string_view> field(std::string_view name) const;
  // The path of the target, without the query.
  std::string_view path() const { return target.substr(0, target.find('?')); }
};

struct HeadError {
  int status = 400;  // 400, 408, 414, 431, 501 or 505
  Error error;
};

enum class HeadState { need_more, complete, invalid };

struct HeadParse {
  HeadState state = HeadState::need_more;
  RequestHead head;         // when complete
  HeadError error;          // when invalid
  std::string_view method;  // as far as it is known, for the metrics of a refused head
};

// Parses the head at the start of `bytes` (which may hold more after it, such as a body).
// need_more: no decision yet, the bytes are a valid beginning within the limits. invalid: the
// answer to give before closing the connection; it comes as soon as the bytes show it, not when
// the head is whole (a 100 KB header line is refused at 8 KiB).
HeadParse parse_request_head(std::string_view bytes, const HeadLimits& limits = {});

}  // namespace tt::http
