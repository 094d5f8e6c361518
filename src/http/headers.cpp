#include "http/headers.h"

#include <cctype>

#include "core/text.h"

namespace tt::http {

namespace {

// Calls fn(item) for each comma-separated item, trimmed; stops when fn returns true.
template <class Fn>
bool any_item(std::string_view list, Fn fn) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (fn(item)) return true;
  }
  return false;
}

}  // namespace

bool accepts_coding(std::string_view accept_encoding, std::string_view coding) {
  return any_item(accept_encoding, [&](std::string_view item) {
    auto semi = item.find(';');
    auto name = trim(item.substr(0, semi));
    if (!iequals(name, coding) && name != "*") return false;
    if (semi == std::string_view::npos) return true;
    auto params = item.substr(semi + 1);
    auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    auto value = trim(params.substr(q + 2));
    value = value.substr(0, value.find(';'));
    // q=0, q=0.0, q=0.000: refused.
    return !(value.starts_with("0") && value.find_first_not_of("0.") == std::string_view::npos);
  });
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  return any_item(if_none_match, [&](std::string_view item) {
    if (item.starts_with("W/")) item.remove_prefix(2);
    return item == "*" || item == etag;
  });
}

std::optional<HeadEdit> without_brotli(std::string_view head, std::string_view client_header) {
  auto first = head.find("\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  for (std::size_t at = first + 2; at < head.size();) {
    auto eol = head.find("\r\n", at);
    if (eol == std::string_view::npos || eol == at) return std::nullopt;
    auto line = head.substr(at, eol - at);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), "Accept-Encoding") &&
        line.find("br", colon) != std::string_view::npos) {
      auto original = line.substr(colon + 1);
      std::string kept;
      any_item(original, [&](std::string_view item) {
        if (item.find("br") == std::string_view::npos) {
          if (!kept.empty()) kept += ", ";
          kept += item;
        }
        return false;
      });
      HeadEdit edit{at, line.size(), "Accept-Encoding: " + kept + "\r\n"};
      edit.text.append(client_header).append(":").append(original);
      return edit;
    }
    at = eol + 2;
  }
  return std::nullopt;
}

}  // namespace tt::http
