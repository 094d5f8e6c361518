// ctl/: the tables that fit a terminal, cells of JSON values, and the apply file's variables.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/apply_file.h"
#include "ctl/output.h"
#include "ctl/resources.h"

using namespace tt;
using namespace tt::ctl;
using json = nlohmann::json;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST_CASE("ctl: cells show values as a person reads them") {
  CHECK(cell(json(nullptr)) == "-");
  CHECK(cell(json("gw1")) == "gw1");
  CHECK(cell(json{{"site", "lab"}, {"rack", "3"}}) == "rack=3,site=lab");
  CHECK(cell(json{"a", "b"}) == "a,b");
  CHECK(cell(json::array()) == "-");
  CHECK(cell(json(12)) == "12");
  CHECK(cell(json(true)) == "true");
  CHECK(cell(json("2026-12-06T17:52:35.123Z"), true) == "2026-12-06 17:52:35");
  CHECK(at_path(json{{"recurrence", {{"every", "day"}}}}, "recurrence.every") == "day");
  CHECK(at_path(json{{"recurrence", nullptr}}, "recurrence.every").is_null());
}

TEST_CASE("ctl: a table's columns align, and the widest give way to fit the terminal") {
  const std::vector<std::string> headers{"ID", "NAME", "ADDRESS"};
  const std::vector<std::vector<std::string>> rows{{"1", "gw1", "10.0.0.1"},
                                                   {"22", std::string(80, 'n'), "192.168.100.200"},
                                                   {"3", "k\u00fcche\nzwei", "-"}};
  auto whole = lines(render_table(headers, rows, 0));
  CHECK(whole[0] == "ID  NAME" + std::string(76, ' ') + "  ADDRESS");
  CHECK(whole[1].find("10.0.0.1") == whole[0].find("ADDRESS"));
  CHECK(whole[3].find("k\u00fcche zwei") != std::string::npos);  // no line break inside a row
  for (std::size_t width : {40u, 60u, 100u}) {
    auto fitted = lines(render_table(headers, rows, width));
    for (const auto& line : fitted) CHECK(display_width(line) <= width);
    CHECK(fitted[2].find("\u2026") != std::string::npos);
    CHECK(fitted[1].find("10.0.0.1") != std::string::npos);  // narrow columns are kept whole
  }
  // Too narrow for anything: each column keeps 6 and the line is as short as it can be.
  for (const auto& line : lines(render_table(headers, rows, 5))) CHECK(display_width(line) <= 24);
}

TEST_CASE("ctl: a resource renders as table, wide, JSON and YAML") {
  const Resource& nodes = *find_resource("node");
  CHECK(nodes.name == "nodes");
  const json items = {{{"id", 1},
                       {"name", "gw1"},
                       {"type", "network"},
                       {"address", "10.0.0.1"},
                       {"status", "up"},
                       {"labels", {{"site", "lab"}}}}};
  const auto table = lines(render(nodes, items, Format::table, 0));
  CHECK(table[0] == "ID  NAME  TYPE     ADDRESS   STATUS");
  CHECK(table[1] == "1   gw1   network  10.0.0.1  up");
  CHECK(render(nodes, items, Format::wide, 0).find("site=lab") != std::string::npos);
  CHECK(json::parse(render(nodes, items, Format::json, 0)) == items);
  CHECK(render(nodes, items[0], Format::yaml, 0).starts_with("address: 10.0.0.1\n"));
  for (const Resource& r : resources()) {
    CHECK(r.path.starts_with("/api/v1/"));
    CHECK(!r.columns.empty());
    CHECK(find_resource(r.singular) == &r);
  }
}

TEST_CASE("ctl: an apply file's ${VARIABLES} come from the environment, with the field's path") {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOOK_TOKEN") return "s3cr3t";
    return std::nullopt;
  };
  auto doc = decode_apply_file(
      "channels:\n  - name: hook\n    config:\n      url: \"https://x/${HOOK_TOKEN}/a\"\n"
      "      note: \"$${NOT_A_VARIABLE}\"\n",
      env);
  REQUIRE(doc.ok());
  CHECK(doc.value()["channels"][0]["config"]["url"] == "https://x/s3cr3t/a");
  CHECK(doc.value()["channels"][0]["config"]["note"] == "${NOT_A_VARIABLE}");
  auto unset = decode_apply_file("channels:\n  - config: {password: \"${MISSING}\"}\n", env);
  REQUIRE(!unset.ok());
  CHECK(unset.error().code == "APPLY_UNSET_VARIABLE");
  CHECK(unset.error().fields.at(0).field == "channels[0].config.password");
  CHECK(decode_apply_file("a: \"${}\"\n", env).error().code == "APPLY_BAD_FILE");
  CHECK(decode_apply_file("- 1\n", env).error().code == "APPLY_BAD_FILE");
  CHECK(decode_apply_file("nodes: 3\n", env).error().code == "APPLY_BAD_FILE");
  CHECK(decode_apply_file("nodes: [\n", env).error().code == "YAML_INVALID");
  CHECK(decode_apply_file("{\"nodes\": [}", env).error().code == "INVALID_JSON");
  CHECK(decode_apply_file("{\"nodes\": []}", env).value() == json{{"nodes", json::array()}});
}
