#include "collect/engine_api.h"

#include <charconv>
#include <cstdint>
#include <ctime>

#include "collect/files.h"
#include "core/json.h"
#include "core/text.h"

namespace tt::collect {

namespace {

Error bad_reply(std::string message) {
  return Error::make(ErrorKind::bad_gateway, "CONTAINER_ENGINE_BAD_REPLY", std::move(message));
}

// A header's value when the head has it (names compared without case), the first of repeats.
std::optional<std::string_view> header(std::string_view head, std::string_view name) {
  std::optional<std::string_view> found;
  for_each_line(head, [&](std::string_view line) {
    auto colon = line.find(':');
    if (found || colon == std::string_view::npos || !iequals(line.substr(0, colon), name)) return;
    found = trim(line.substr(colon + 1), " \t\r");
  });
  return found;
}

std::optional<std::size_t> parse_hex(std::string_view s) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string string_of(const nlohmann::json& j, const char* key) {
  const auto* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

double number_of(const nlohmann::json& j, const char* key) {
  const auto* v = member(j, key);
  return v && v->is_number() ? v->get<double>() : 0;
}

int int_of(const nlohmann::json& j, const char* key) {
  const auto* v = member(j, key);
  if (!v || !v->is_number_integer()) return 0;
  auto n = v->get<std::int64_t>();
  return n < INT32_MIN || n > INT32_MAX ? 0 : static_cast<int>(n);
}

Result<nlohmann::json> parse(std::string_view json) {
  auto j = parse_json(json);
  if (!j) return bad_reply("the engine's reply is not JSON: " + j.error().message);
  return j;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<unsigned> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}

}  // namespace

Result<std::optional<std::string>> decode_chunked(std::string_view body) {
  std::string out;
  while (true) {
    auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) return std::optional<std::string>();
    auto line = body.substr(0, eol);
    auto size = parse_hex(trim(line.substr(0, line.find(';'))));
    if (!size) return bad_reply("a chunk size is not hexadecimal");
    body.remove_prefix(eol + 2);
    if (*size == 0) break;
    if (*size > kMaxEngineReplyBytes || out.size() + *size > kMaxEngineReplyBytes)
      return bad_reply("the engine's reply is too large");
    if (body.size() < *size + 2) return std::optional<std::string>();
    if (body.substr(*size, 2) != "\r\n") return bad_reply("a chunk does not end with CRLF");
    out.append(body.substr(0, *size));
    body.remove_prefix(*size + 2);
  }
  // Trailer fields, then the empty line that ends the message.
  while (true) {
    auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) return std::optional<std::string>();
    if (eol == 0) return std::optional<std::string>(std::move(out));
    body.remove_prefix(eol + 2);
  }
}

Result<std::optional<HttpReply>> parse_http_reply(std::string_view bytes, bool at_eof) {
  if (bytes.size() > kMaxEngineReplyBytes) return bad_reply("the engine's reply is too large");
  auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (at_eof) return bad_reply("the engine's reply ended within its head");
    return std::optional<HttpReply>();
  }
  auto head = bytes.substr(0, head_end + 2);
  auto body = bytes.substr(head_end + 4);
  // HTTP/1.x NNN reason
  if (!head.starts_with("HTTP/1.") || head.size() < 13 || head[8] != ' ')
    return bad_reply("the engine's reply is not HTTP/1.x");
  auto status = digits(head, 9, 3);
  if (!status || (head[12] != ' ' && head[12] != '\r'))
    return bad_reply("the engine's reply has no status code");
  HttpReply reply{static_cast<int>(*status), {}};

  auto coding = header(head, "Transfer-Encoding");
  if (coding && !iequals(*coding, "chunked"))
    return bad_reply("the engine's reply has an unknown transfer coding");
  if (coding) {
    // A chunked message always ends with CRLF CRLF: decode only when it could be whole.
    if (!at_eof && !body.ends_with("\r\n\r\n")) return std::optional<HttpReply>();
    auto decoded = decode_chunked(body);
    if (!decoded) return std::move(decoded).error();
    if (!*decoded) {
      if (at_eof) return bad_reply("the engine's chunked reply was cut short");
      return std::optional<HttpReply>();
    }
    reply.body = std::move(**decoded);
    return std::optional<HttpReply>(std::move(reply));
  }
  if (auto length_text = header(head, "Content-Length")) {
    auto length = to_u64(*length_text);
    if (!length || *length > kMaxEngineReplyBytes)
      return bad_reply("the engine's reply has a bad Content-Length");
    if (body.size() < *length) {
      if (at_eof) return bad_reply("the engine's reply was cut short");
      return std::optional<HttpReply>();
    }
    reply.body = std::string(body.substr(0, *length));
    return std::optional<HttpReply>(std::move(reply));
  }
  // 1xx, 204 and 304 have no body; any other reply without framing ends with the connection.
  if (*status < 200 || *status == 204 || *status == 304)
    return std::optional<HttpReply>(std::move(reply));
  if (!at_eof) return std::optional<HttpReply>();
  reply.body = std::string(body);
  return std::optional<HttpReply>(std::move(reply));
}

Result<std::vector<ContainerInfo>> parse_container_list(std::string_view json) {
  auto j = parse(json);
  if (!j) return std::move(j).error();
  if (!j->is_array()) return bad_reply("the container list is not a JSON array");
  std::vector<ContainerInfo> out;
  for (const auto& entry : *j) {
    ContainerInfo c;
    c.id = string_of(entry, "Id");
    if (c.id.empty()) continue;
    if (const auto* names = member(entry, "Names"); names && names->is_array())
      for (const auto& n : *names)
        if (n.is_string()) {
          c.name = n.get<std::string>();
          break;
        }
    if (c.name.starts_with('/')) c.name.erase(0, 1);
    c.image = string_of(entry, "Image");
    c.state = string_of(entry, "State");
    c.status = string_of(entry, "Status");
    c.created_s = number_of(entry, "Created");
    out.push_back(std::move(c));
  }
  return out;
}

Result<ContainerDetail> parse_container_inspect(std::string_view json) {
  auto j = parse(json);
  if (!j) return std::move(j).error();
  const auto* state = member(*j, "State");
  if (!state || !state->is_object()) return bad_reply("the container has no State object");
  ContainerDetail d;
  d.pid = int_of(*state, "Pid");
  d.exit_code = int_of(*state, "ExitCode");
  d.started_s = parse_rfc3339(string_of(*state, "StartedAt")).value_or(0);
  return d;
}

std::optional<double> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  auto year = digits(t, 0, 4), month = digits(t, 5, 2), day = digits(t, 8, 2);
  auto hour = digits(t, 11, 2), minute = digits(t, 14, 2), second = digits(t, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (*year <= 1 || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 ||
      *minute > 59 || *second > 60)
    return std::nullopt;
  std::size_t i = 19;
  double fraction = 0, scale = 0.1;
  if (i < t.size() && t[i] == '.') {
    ++i;
    std::size_t start = i;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, scale /= 10)
      fraction += (t[i] - '0') * scale;
    if (i == start) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    auto oh = digits(t, i + 1, 2), om = digits(t, i + 4, 2);
    if (!oh || !om || t[i + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset_s = (t[i] == '-' ? -1 : 1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  auto days = days_from_civil(*year, *month, *day);
  auto seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_s;
  return static_cast<double>(seconds) + fraction;
}

std::optional<int> exit_code_from_status(std::string_view status) {
  if (!status.starts_with("Exited (")) return std::nullopt;
  status.remove_prefix(8);
  auto close = status.find(')');
  if (close == std::string_view::npos) return std::nullopt;
  int code = 0;
  auto text = status.substr(0, close);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return code;
}

}  // namespace tt::collect
