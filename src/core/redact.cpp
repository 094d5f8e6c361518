#include "core/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "core/text.h"

namespace tt::redact {

namespace {

using nlohmann::json;

bool contains_any(std::string_view s, std::initializer_list<std::string_view> parts) {
  for (auto p : parts)
    if (s.find(p) != std::string_view::npos) return true;
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Percent-decoding of a query parameter's name, for recognising "api%5Fkey" too.
std::string decode_name(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_value(s[i + 1])) >= 0 &&
        (lo = hex_value(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// scheme://[user[:password]@]host[:port][/path][?query][#fragment], split where masking and
// restoring need it. The authority ends at the first '/' after the scheme, the query at '#'.
struct Url {
  std::string_view prefix;  // "scheme://"
  bool has_userinfo = false;
  std::string_view user;
  std::optional<std::string_view> password;
  std::string_view rest;  // host, port and path
  std::optional<std::string_view> query;
  std::string_view fragment;  // with its '#'
};

std::optional<Url> parse_url(std::string_view s) {
  auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || !std::isalpha(static_cast<unsigned char>(s[0])))
    return std::nullopt;
  for (std::size_t i = 1; i < sep; ++i)
    if (!std::isalnum(static_cast<unsigned char>(s[i])) && s[i] != '+' && s[i] != '-' &&
        s[i] != '.')
      return std::nullopt;
  Url u;
  u.prefix = s.substr(0, sep + 3);
  auto rest = s.substr(sep + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    u.fragment = rest.substr(hash);
    rest = rest.substr(0, hash);
  }
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    u.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto authority = rest.substr(0, rest.find('/'));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    u.has_userinfo = true;
    auto info = authority.substr(0, at);
    auto colon = info.find(':');
    u.user = info.substr(0, colon);
    if (colon != std::string_view::npos) u.password = info.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  u.rest = rest;
  return u;
}

struct Param {
  std::string_view name, value;
  bool has_value = false;
};

std::vector<Param> split_query(std::string_view q) {
  std::vector<Param> out;
  for (std::size_t start = 0; start <= q.size();) {
    auto end = q.find('&', start);
    if (end == std::string_view::npos) end = q.size();
    auto item = q.substr(start, end - start);
    auto eq = item.find('=');
    out.push_back(eq == std::string_view::npos
                      ? Param{item, {}, false}
                      : Param{item.substr(0, eq), item.substr(eq + 1), true});
    start = end + 1;
  }
  return out;
}

std::string join(const Url& u, std::string_view password, const std::vector<Param>& params) {
  std::string out(u.prefix);
  if (u.has_userinfo) {
    out += u.user;
    if (u.password) (out += ':') += password;
    out += '@';
  }
  out += u.rest;
  if (u.query) {
    out += '?';
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (i) out += '&';
      out += params[i].name;
      if (params[i].has_value) (out += '=') += params[i].value;
    }
  }
  out += u.fragment;
  return out;
}

}  // namespace

bool is_secret_header(std::string_view name) {
  return contains_any(ascii_lower(name), {"token", "key", "secret", "auth", "password", "passwd",
                                          "session", "cookie", "credential"});
}

bool is_secret_query_key(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kExact = {"pass", "pwd", "sig", "signature",
                                                             "auth"};
  auto n = ascii_lower(decode_name(name));
  for (auto e : kExact)
    if (n == e) return true;
  return contains_any(n, {"token", "secret", "password", "passwd"}) || n.ends_with("key");
}

std::string url(std::string_view text) {
  auto u = parse_url(text);
  if (!u || (!u->password && !u->query)) return std::string(text);
  std::vector<Param> params = u->query ? split_query(*u->query) : std::vector<Param>{};
  for (auto& p : params)
    if (p.has_value && !p.value.empty() && is_secret_query_key(p.name)) p.value = kMaskedSecret;
  return join(*u, u->password && !u->password->empty() ? kMaskedSecret : u->password.value_or(""),
              params);
}

std::string restore_url(std::string_view sent, std::string_view stored) {
  auto s = parse_url(sent), old = parse_url(stored);
  if (!s || !old) return std::string(sent);
  std::string_view password = s->password.value_or("");
  if (password == kMaskedSecret && old->password) password = *old->password;
  std::vector<Param> params = s->query ? split_query(*s->query) : std::vector<Param>{};
  std::vector<Param> before = old->query ? split_query(*old->query) : std::vector<Param>{};
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].has_value || params[i].value != kMaskedSecret) continue;
    // The n-th parameter of this name takes the n-th stored one's value.
    std::size_t nth = 0;
    for (std::size_t k = 0; k < i; ++k) nth += params[k].name == params[i].name;
    for (const auto& b : before)
      if (b.name == params[i].name && b.has_value && nth-- == 0) {
        params[i].value = b.value;
        break;
      }
  }
  return join(*s, password, params);
}

json headers(const json& map) {
  if (!map.is_object()) return map;
  json out = map;
  for (auto& [name, value] : out.items())
    if (value.is_string() && !value.get_ref<const std::string&>().empty() && is_secret_header(name))
      value = kMaskedSecret;
  return out;
}

json restore_headers(const json& sent, const json& stored) {
  if (!sent.is_object() || !stored.is_object()) return sent;
  json out = sent;
  for (auto& [name, value] : out.items()) {
    if (value != kMaskedSecret) continue;
    for (const auto& [old_name, old_value] : stored.items())
      if (iequals(old_name, name)) {
        value = old_value;
        break;
      }
  }
  return out;
}

json tree(const json& doc) {
  if (doc.is_string()) return url(doc.get_ref<const std::string&>());
  if (doc.is_array()) {
    json out = json::array();
    for (const auto& v : doc) out.push_back(tree(v));
    return out;
  }
  if (!doc.is_object()) return doc;
  json out = json::object();
  for (const auto& [k, v] : doc.items())
    out[k] = iequals(k, "headers") && v.is_object() ? headers(v) : tree(v);
  return out;
}

json restore_options(const std::vector<OptionSpec>& specs, const json& sent, const json& stored) {
  if (!sent.is_object() || !stored.is_object()) return sent;
  json out = sent;
  for (auto item : out.items()) {
    // Named, not a structured binding: clang 14 cannot capture those in the lambda below.
    const std::string& name = item.key();
    json& v = item.value();
    auto old = stored.find(name);
    if (old == stored.end()) continue;
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& o) { return o.name == name; });
    if (spec != specs.end() && spec->secret) {
      if (v == kMaskedSecret) v = *old;
    } else if (v.is_string() && old->is_string()) {
      v = restore_url(v.get_ref<const std::string&>(), old->get_ref<const std::string&>());
    } else if (iequals(name, "headers")) {
      v = restore_headers(v, *old);
    }
  }
  return out;
}

}  // namespace tt::redact
