#include <fmt/format.h>

#include "api/api.h"
#include "core/series.h"

namespace tt::api {

void label_query(const http::Context& ctx, std::vector<std::pair<std::string, std::string>>& out,
                 std::vector<FieldError>& errs) {
  for (const auto& l : ctx.query_values("label")) {
    auto eq = l.find('=');
    if (eq == std::string::npos || !valid_label_name(l.substr(0, eq)))
      errs.push_back({"label", "must be name=value with a valid label name"});
    else
      out.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
}

void sort_query(const http::Context& ctx, bool (*valid)(const std::string&),
                std::string_view fields, std::string& out, std::vector<FieldError>& errs) {
  auto s = ctx.query("sort");
  if (s.empty()) return;
  if (!valid(s))
    errs.push_back({"sort", fmt::format("must be one of {}, with - for descending", fields)});
  else
    out = s;
}

Result<bool> flag_query(const http::Context& ctx, const char* name) {
  auto v = ctx.query(name);
  if (!v.empty() && v != "true" && v != "false")
    return bad_query({{name, "must be true or false"}});
  return v == "true";
}

}  // namespace tt::api
