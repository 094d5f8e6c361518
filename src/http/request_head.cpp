#include "http/request_head.h"

#include <fmt/format.h>

#include <cctype>

#include "core/text.h"

namespace tt::http {

namespace {

// RFC 9110 §5.6.2.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// A field value's bytes: visible, obs-text, space and tab; no other control (RFC 9110 §5.5).
bool is_field_value(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool is_target(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

HeadError bad_request(std::string message) {
  return {400, Error::make(ErrorKind::invalid_input, "BAD_REQUEST", std::move(message))};
}

// What the fields say about the body (RFC 9112 §6.1-§6.3) and the Host (§3.2). A head that a
// proxy in front could frame otherwise than we do is refused, and the connection closed.
std::optional<HeadError> check_framing(RequestHead& head) {
  std::size_t hosts = 0, lengths = 0;
  std::vector<std::string_view> codings;
  std::vector<std::string_view> transfer_encodings;
  for (const auto& f : head.fields) {
    if (iequals(f.name, "Host")) ++hosts;
    if (iequals(f.name, "Content-Length")) {
      if (++lengths > 1) return bad_request("more than one Content-Length header");
      bool digits = !f.value.empty() && f.value.size() <= 18;
      for (char c : f.value) digits = digits && c >= '0' && c <= '9';
      if (!digits) return bad_request("Content-Length must be a decimal number");
      head.content_length = 0;
      for (char c : f.value)
        head.content_length = head.content_length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (iequals(f.name, "Transfer-Encoding")) {
      transfer_encodings.push_back(f.value);
      for (auto list = f.value; !list.empty();) {
        auto comma = list.find(',');
        auto item = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (!item.empty()) codings.push_back(item);
      }
      if (codings.empty()) return bad_request("an empty Transfer-Encoding header");
    }
  }
  if (head.version == "HTTP/1.1" && hosts == 0)
    return bad_request("an HTTP/1.1 request must have a Host header");
  if (hosts > 1) return bad_request("more than one Host header");
  if (codings.empty()) return std::nullopt;
  if (head.version == "HTTP/1.0") return bad_request("Transfer-Encoding in an HTTP/1.0 request");
  if (lengths > 0) return bad_request("both Content-Length and Transfer-Encoding");
  if (!iequals(codings.back(), "chunked"))
    return bad_request("chunked must be the final transfer coding");
  for (std::size_t i = 0; i + 1 < codings.size(); ++i)
    if (iequals(codings[i], "chunked")) return bad_request("chunked may be applied only once");
  if (codings.size() > 1)
    return HeadError{501, Error::make(ErrorKind::invalid_input, "NOT_IMPLEMENTED",
                                      "the only transfer coding accepted is chunked")};
  // cpp-httplib reads a chunked body only when the first Transfer-Encoding says just that.
  if (transfer_encodings.size() > 1 || !iequals(transfer_encodings.front(), "chunked"))
    return bad_request("Transfer-Encoding must be one header saying chunked");
  head.chunked = true;
  return std::nullopt;
}

std::optional<HeadError> parse_request_line(std::string_view line, RequestHead& head) {
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2)
    return bad_request("the request line must be 'METHOD TARGET HTTP/1.1'");
  head.method = line.substr(0, sp1);
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.version = line.substr(sp2 + 1);
  if (!is_token(head.method)) return bad_request("the method is not a token");
  if (!is_target(head.target))
    return bad_request("the request target has a space or a control character");
  if (head.version == "HTTP/1.1" || head.version == "HTTP/1.0") return std::nullopt;
  auto v = head.version;
  if (v.size() == 8 && v.starts_with("HTTP/") && std::isdigit(static_cast<unsigned char>(v[5])) &&
      v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7])))
    return HeadError{505, Error::make(ErrorKind::invalid_input, "HTTP_VERSION_NOT_SUPPORTED",
                                      "only HTTP/1.1 and HTTP/1.0 are served")};
  return bad_request("the request line must end in an HTTP version such as HTTP/1.1");
}

std::optional<HeadError> parse_field(std::string_view line, RequestHead& head) {
  if (line.front() == ' ' || line.front() == '\t')
    return bad_request("a header line starts with whitespace (obsolete line folding)");
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return bad_request("a header line has no colon");
  auto name = line.substr(0, colon);
  if (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
    return bad_request("whitespace between a header name and its colon");
  if (!is_token(name)) return bad_request("a header name is not a token");
  auto value = trim(line.substr(colon + 1));
  if (!is_field_value(value))
    return bad_request(fmt::format("a control character in the {} header", name));
  head.fields.push_back({name, value});
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> RequestHead::field(std::string_view name) const {
  for (const auto& f : fields)
    if (iequals(f.name, name)) return f.value;
  return std::nullopt;
}

HeadParse parse_request_head(std::string_view bytes, const HeadLimits& limits) {
  HeadParse out;
  auto fail = [&](HeadError e) {
    out.state = HeadState::invalid;
    out.error = std::move(e);
    out.method = out.head.method;
    return out;
  };
  // Over a limit: the request line is the URI's (414), anything after it the fields' (431).
  auto too_large = [&](std::string message) {
    if (out.head.method.empty())
      return fail({414, Error::make(ErrorKind::too_large, "URI_TOO_LONG", std::move(message))});
    return fail(
        {431, Error::make(ErrorKind::too_large, "REQUEST_HEADER_TOO_LARGE", std::move(message))});
  };
  auto line_limit = [&] {
    return fmt::format("{} is over {} bytes",
                       out.head.method.empty() ? "the request line" : "a header line",
                       limits.max_line_bytes);
  };
  std::size_t at = 0;
  for (;;) {
    auto eol = bytes.find('\n', at);
    std::size_t line_bytes = (eol == std::string_view::npos ? bytes.size() : eol + 1) - at;
    if (line_bytes > limits.max_line_bytes) return too_large(line_limit());
    if (at + line_bytes > limits.max_head_bytes)
      return too_large(fmt::format("the request head is over {} bytes", limits.max_head_bytes));
    if (eol == std::string_view::npos) {
      out.method = out.head.method;
      return out;
    }
    auto line = bytes.substr(at, eol - at);
    at = eol + 1;
    if (line.empty() || line.back() != '\r') return fail(bad_request("lines must end in CRLF"));
    line.remove_suffix(1);
    if (out.head.method.empty()) {
      // RFC 9112 §2.2: empty lines before the request line are ignored.
      if (line.empty()) continue;
      if (auto e = parse_request_line(line, out.head)) return fail(std::move(*e));
    } else if (line.empty()) {
      if (auto e = check_framing(out.head)) return fail(std::move(*e));
      out.head.length = at;
      out.state = HeadState::complete;
      out.method = out.head.method;
      return out;
    } else {
      if (out.head.fields.size() == limits.max_fields)
        return too_large(fmt::format("more than {} header fields", limits.max_fields));
      if (auto e = parse_field(line, out.head)) return fail(std::move(*e));
    }
  }
}

}  // namespace tt::http
