#include "ctl/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/yaml.h"

namespace tt::ctl {

using json = nlohmann::json;

std::optional<Format> parse_format(std::string_view name) {
  if (name == "table") return Format::table;
  if (name == "wide") return Format::wide;
  if (name == "json") return Format::json;
  if (name == "yaml") return Format::yaml;
  return std::nullopt;
}

const json& at_path(const json& item, std::string_view path) {
  static const json null;
  const json* at = &item;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    if (!at->is_object()) return null;
    auto it = at->find(key);
    if (it == at->end()) return null;
    at = &*it;
    path.remove_prefix(dot == std::string_view::npos ? path.size() : dot + 1);
  }
  return *at;
}

std::string cell(const json& value, bool time) {
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    // "2026-12-06T17:52:35.123Z" → "2026-12-06 17:52:35"
    if (time && s.size() >= 19 && s[10] == 'T') return s.substr(0, 10) + " " + s.substr(11, 8);
    return s;
  }
  if (value.is_array()) {
    std::string out;
    for (const auto& v : value) {
      if (!out.empty()) out += ',';
      out += cell(v);
    }
    return out.empty() ? "-" : out;
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& [k, v] : value.items()) {
      if (!out.empty()) out += ',';
      out += k;
      out += '=';
      out += cell(v);
    }
    return out.empty() ? "-" : out;
  }
  return value.dump();
}

namespace {

// Display columns of UTF-8 text: one per code point (East Asian wide characters are rare in
// names and would only make a line a little long).
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The first `n` display columns of s, the last of them "…" when it was cut.
std::string cut(std::string_view s, std::size_t n) {
  if (columns(s) <= n) return std::string(s);
  std::string out;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts && ++shown > n - 1) break;
    out += s[i];
  }
  return out + "\u2026";
}

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return out;
}

}  // namespace

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows, std::size_t width) {
  constexpr std::size_t kGap = 2, kNarrowest = 6;
  std::vector<std::vector<std::string>> lines;
  lines.push_back(headers);
  for (const auto& row : rows) {
    lines.emplace_back();
    for (const auto& c : row) lines.back().push_back(printable(c));
  }
  std::vector<std::size_t> widths(headers.size(), 0);
  for (const auto& line : lines)
    for (std::size_t i = 0; i < line.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], columns(line[i]));
  auto total = [&] {
    std::size_t sum = widths.empty() ? 0 : kGap * (widths.size() - 1);
    for (std::size_t w : widths) sum += w;
    return sum;
  };
  // Narrow the widest column one step at a time until the line fits, none below kNarrowest.
  while (width && total() > width) {
    auto widest = std::max_element(widths.begin(), widths.end());
    if (*widest <= kNarrowest) break;
    --*widest;
  }
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string value = cut(i < line.size() ? line[i] : "", widths[i]);
      text += value;
      if (i + 1 < widths.size()) text.append(widths[i] - columns(value) + kGap, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

std::string render(const Resource& resource, const json& items, Format format, std::size_t width) {
  if (format == Format::json) return items.dump(2) + "\n";
  if (format == Format::yaml) return to_yaml(items);
  std::vector<std::string> headers;
  std::vector<const Column*> shown;
  for (const Column& c : resource.columns) {
    if (c.wide && format != Format::wide) continue;
    headers.emplace_back(c.header);
    shown.push_back(&c);
  }
  std::vector<std::vector<std::string>> rows;
  const json list = items.is_array() ? items : json::array({items});
  for (const auto& item : list) {
    auto& row = rows.emplace_back();
    for (const Column* c : shown) row.push_back(cell(at_path(item, c->field), c->time));
  }
  return render_table(headers, rows, width);
}

}  // namespace tt::ctl
