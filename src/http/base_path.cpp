#include "http/base_path.h"

#include <fmt/format.h>

#include <cctype>

namespace tt::http {

Result<std::string> normalize_base_path(std::string_view text) {
  auto invalid = [text](std::string_view why) {
    return Error::make(ErrorKind::invalid_input, "BASE_PATH_INVALID",
                       fmt::format("--base-path '{}': {}", text, why));
  };
  std::string_view s = text;
  while (s.size() > 1 && s.ends_with('/')) s.remove_suffix(1);
  if (s.empty() || s == "/") return std::string();
  if (!s.starts_with('/')) return invalid("must start with '/', such as /telltale");
  if (s.size() > 200) return invalid("is longer than 200 characters");
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      auto segment = s.substr(segment_start, i - segment_start);
      if (segment.empty() || segment == "." || segment == "..")
        return invalid("has an empty, '.' or '..' segment");
      segment_start = i + 1;
      continue;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~')
      return invalid("may hold only letters, digits, '-', '.', '_', '~' and '/'");
  }
  return std::string(s);
}

std::optional<HeadEdit> without_base_path(const RequestHead& head, std::string_view head_bytes,
                                          std::string_view base) {
  if (base.empty() || !head.target.starts_with(base)) return std::nullopt;
  auto rest = head.target.substr(base.size());
  if (!rest.empty() && rest.front() != '/' && rest.front() != '?') return std::nullopt;
  auto offset = static_cast<std::size_t>(head.target.data() - head_bytes.data());
  // "/telltale?x" becomes "/?x": a target is never empty.
  return HeadEdit{offset, base.size(), rest.starts_with('/') ? "" : "/"};
}

std::string index_with_base_path(std::string_view html, std::string_view base) {
  if (base.empty()) return std::string(html);
  std::string out;
  out.reserve(html.size() + 4 * base.size() + 64);
  // The attributes index.html names files with: href="/…" and src="/…", never "//host".
  std::size_t copied = 0;
  for (std::size_t at = 0;;) {
    auto next = std::string_view::npos;
    std::size_t length = 0;
    for (std::string_view attr : {"href=\"", "src=\""})
      if (auto found = html.find(attr, at); found < next) next = found, length = attr.size();
    if (next == std::string_view::npos) break;
    at = next + length;
    auto value = html.substr(at);
    if (value.starts_with('/') && !value.starts_with("//")) {
      out.append(html.substr(copied, at - copied)).append(base);
      copied = at;
    }
  }
  out.append(html.substr(copied));
  auto head = out.find("<head>");
  if (head != std::string::npos)
    out.insert(head + 6, fmt::format("\n    <meta name=\"telltale-base\" content=\"{}\" />", base));
  return out;
}

}  // namespace tt::http
