// docs/kinds.md is the check kinds' and channel kinds' descriptors, as the API serves them: this
// test renders the page from the descriptors and fails when the committed page differs.
// TELLTALE_WRITE_DOCS=1 rewrites it instead.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "notify/channel.h"
#include "probes/descriptor.h"

namespace {

using nlohmann::json;

// A JSON scalar as a table cell: strings bare, nothing for null, whole numbers without ".0",
// `|` escaped.
std::string cell(const json& v) {
  std::string s =
      v.is_null()     ? ""
      : v.is_string() ? v.get<std::string>()
      : v.is_number_float() && v.get<double>() == static_cast<std::int64_t>(v.get<double>())
          ? std::to_string(static_cast<std::int64_t>(v.get<double>()))
          : v.dump();
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string options_table(const json& options) {
  if (options.empty()) return "No options.\n";
  std::string out =
      "| option | label | type | default | allowed | help |\n|---|---|---|---|---|---|\n";
  for (const auto& o : options) {
    std::string allowed;
    if (o.contains("choices")) {
      for (const auto& c : o["choices"]) allowed += (allowed.empty() ? "" : ", ") + cell(c);
    } else if (o.contains("min")) {
      allowed = cell(o["min"]) + " to " + cell(o["max"]);
    }
    std::string flags = o.value("required", false) ? " (required)" : "";
    if (o.value("secret", false)) flags += " (secret: never returned)";
    out += fmt::format("| `{}` | {} | {} | {} | {} | {}{} |\n", cell(o["name"]), cell(o["label"]),
                       cell(o["type"]), cell(o["default"]), allowed, cell(o["help"]), flags);
  }
  return out;
}

std::string render() {
  std::string out =
      "# Check kinds and channel kinds\n\n"
      "Generated from the descriptors (`GET /api/v1/check-kinds`, `GET /api/v1/channel-kinds` "
      "serve the same); a unit test fails when this page and the code differ. Rewrite it with\n"
      "`TELLTALE_WRITE_DOCS=1 build/tests/unit_tests -tc='docs/kinds.md*'`.\n\n## Check kinds\n";
  for (const auto* k : tt::probes::kinds()) {
    json j = tt::probes::to_json(*k);
    out += fmt::format("\n### `{}`: {}\n\n", cell(j["kind"]), cell(j["title"]));
    if (j["passive"].get<bool>())
      out += "Passive: nothing is probed; results are pushed to the check's URL.\n";
    else
      out += fmt::format("Target: {}. Every {} by default, timeout {}.\n", cell(j["target_help"]),
                         cell(j["default_interval"]), cell(j["default_timeout"]));
    out += "\n" + options_table(j["options"]);
    if (!j["charts"].empty()) {
      out += "\n| chart (node page) | series | unit |\n|---|---|---|\n";
      for (const auto& c : j["charts"]) {
        std::string series;
        for (const auto& s : c["series"]) {
          std::string matchers = cell(s["matchers"]);
          series += fmt::format("{}`{}{}`", series.empty() ? "" : ", ", cell(s["metric"]),
                                matchers.empty() ? "" : "{" + matchers + "}");
        }
        out += fmt::format("| {} | {} | {} |\n", cell(c["title"]), series, cell(c["unit"]));
      }
    }
    if (!j["facts"].empty()) {
      out += "\n| fact (for conditions) | type | meaning |\n|---|---|---|\n";
      for (const auto& f : j["facts"])
        out +=
            fmt::format("| `{}` | {} | {} |\n", cell(f["name"]), cell(f["type"]), cell(f["help"]));
    }
  }
  out += "\n## Channel kinds\n";
  for (const auto* k : tt::notify::channel_kinds()) {
    json j = tt::notify::to_json(*k);
    out +=
        fmt::format("\n### `{}`: {}\n\n{}\n\n", cell(j["kind"]), cell(j["title"]), cell(j["help"]));
    out += options_table(j["options"]);
  }
  return out;
}

}  // namespace

TEST_CASE("docs/kinds.md is generated from the kind descriptors") {
  const std::string path = std::string(TELLTALE_SOURCE_DIR) + "/docs/kinds.md";
  const std::string want = render();
  if (const char* w = std::getenv("TELLTALE_WRITE_DOCS"); w && std::string(w) == "1") {
    std::ofstream(path, std::ios::binary) << want;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream have;
  have << in.rdbuf();
  CHECK_MESSAGE(
      have.str() == want,
      "docs/kinds.md is out of date: TELLTALE_WRITE_DOCS=1 unit_tests -tc='docs/kinds.md*'");
}

// Forms show the label, never the API name, and render help as text with `code` spans.
TEST_CASE("every option of a check or channel kind has a label and help whose code spans close") {
  auto check = [](const std::vector<tt::OptionSpec>& options) {
    for (const auto& o : options) {
      CAPTURE(o.name);
      CHECK_FALSE(o.label.empty());
      CHECK(o.label.find('_') == std::string::npos);
      CHECK_FALSE(o.help.empty());
      CHECK(std::count(o.help.begin(), o.help.end(), '`') % 2 == 0);
    }
  };
  for (const auto* k : tt::probes::kinds()) check(k->options);
  for (const auto* k : tt::notify::channel_kinds()) check(k->options);
}
