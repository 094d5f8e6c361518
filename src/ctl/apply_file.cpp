#include "ctl/apply_file.h"

#include <fmt/format.h>

#include "core/yaml.h"

namespace tt::ctl {

using json = nlohmann::json;

namespace {

bool name_char(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

Result<std::string> expand(std::string_view s, const Environment& env, const std::string& at) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "$${") {
      out += "${";
      i += 2;
      continue;
    }
    if (s.substr(i, 2) != "${") {
      out += s[i];
      continue;
    }
    const std::size_t close = s.find('}', i + 2);
    const std::string_view name =
        close == std::string_view::npos ? std::string_view() : s.substr(i + 2, close - i - 2);
    bool valid = !name.empty();
    for (std::size_t k = 0; k < name.size() && valid; ++k) valid = name_char(name[k], k == 0);
    if (!valid)
      return Error{ErrorKind::validation,
                   "APPLY_BAD_FILE",
                   at + ": a ${ without a variable name and }",
                   {{at, "${ starts a variable reference ${NAME}; write $${ for a literal ${"}},
                   {}};
    auto value = env(name);
    if (!value)
      return Error{ErrorKind::validation,
                   "APPLY_UNSET_VARIABLE",
                   fmt::format("{}: the environment variable {} is not set", at, name),
                   {{at, fmt::format("${{{}}} is not set", name)}},
                   {}};
    out += *value;
    i = close;
  }
  return out;
}

Result<void> expand_all(json& value, const Environment& env, const std::string& at) {
  if (value.is_string()) {
    value = TT_TRY(expand(value.get_ref<const std::string&>(), env, at));
  } else if (value.is_object()) {
    for (auto& [k, v] : value.items()) TT_TRY(expand_all(v, env, at.empty() ? k : at + "." + k));
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      TT_TRY(expand_all(value[i], env, fmt::format("{}[{}]", at, i)));
  }
  return {};
}

}  // namespace

Result<json> decode_apply_file(std::string_view text, const Environment& env) {
  json doc = TT_TRY(parse_json_or_yaml(text));
  if (!doc.is_object())
    return Error{ErrorKind::validation,
                 "APPLY_BAD_FILE",
                 "the file must be one object of resources",
                 {{"", "must be an object: nodes, checks, alert-rules, ..."}},
                 {}};
  for (const auto& [key, items] : doc.items())
    if (!items.is_array() && !items.is_null())
      return Error{ErrorKind::validation,
                   "APPLY_BAD_FILE",
                   key + ": must be a list",
                   {{key, "must be a list"}},
                   {}};
  TT_TRY(expand_all(doc, env, ""));
  return doc;
}

}  // namespace tt::ctl
