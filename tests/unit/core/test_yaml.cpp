// core/yaml.h: configuration files' YAML read into JSON and written back, and what is refused.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/yaml.h"

using namespace tt;
using json = nlohmann::json;

namespace {

json yaml(std::string_view text) {
  auto v = parse_yaml(text);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
  return v.value();
}

std::string refusal(std::string_view text) {
  auto v = parse_yaml(text);
  REQUIRE_MESSAGE(!v.ok(), "parsed: " << (v.ok() ? v->dump() : ""));
  CHECK(v.error().code == "YAML_INVALID");
  return v.error().message;
}

}  // namespace

TEST_CASE("yaml: block mappings and sequences, as a configuration file writes them") {
  const json v = yaml(R"(# the lab
nodes:
  - name: gw1          # the gateway
    type: network
    address: 10.0.0.1
    labels: {site: lab, rack: "3"}
  - name: "pi: kitchen"
    type: iot
checks:
- name: ping gw1
  kind: icmp
  interval: 30s
  retries: 2
  enabled: true
  options:
    count: 3
  conditions: [ "rtt < 100", 'loss == 0' ]
empty:
tilde: ~
)");
  CHECK(v["nodes"][0] == json{{"name", "gw1"},
                              {"type", "network"},
                              {"address", "10.0.0.1"},
                              {"labels", {{"site", "lab"}, {"rack", "3"}}}});
  CHECK(v["nodes"][1]["name"] == "pi: kitchen");
  CHECK(v["checks"][0]["interval"] == "30s");
  CHECK(v["checks"][0]["retries"] == 2);
  CHECK(v["checks"][0]["enabled"] == true);
  CHECK(v["checks"][0]["options"]["count"] == 3);
  CHECK(v["checks"][0]["conditions"] == json{"rtt < 100", "loss == 0"});
  CHECK(v["empty"].is_null());
  CHECK(v["tilde"].is_null());
}

TEST_CASE("yaml: scalars resolve as YAML 1.2's core schema says") {
  const json v = yaml(R"(a: 12
b: -7
c: 0x1F
d: 0o17
e: 1.5
f: 1e3
g: yes
h: no
i: off
j: 'it''s'
k: "tab\there \u00e9 \U0001F600"
l: it's here # a comment
m: a#b
n: 10.0.0.1
o: 1.
p: +3
q: 18446744073709551615
r: http://x:8080/a
)");
  CHECK(v["a"] == 12);
  CHECK(v["b"] == -7);
  CHECK(v["c"] == 31);
  CHECK(v["d"] == 15);
  CHECK(v["e"] == 1.5);
  CHECK(v["f"] == 1000.0);
  CHECK(v["g"] == "yes");  // 1.1's booleans are strings in 1.2
  CHECK(v["h"] == "no");
  CHECK(v["i"] == "off");
  CHECK(v["j"] == "it's");
  CHECK(v["k"] == "tab\there \xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(v["l"] == "it's here");
  CHECK(v["m"] == "a#b");
  CHECK(v["n"] == "10.0.0.1");
  CHECK(v["o"] == 1.0);
  CHECK(v["p"] == 3);
  CHECK(v["q"] == 18446744073709551615ULL);
  CHECK(v["r"] == "http://x:8080/a");
}

TEST_CASE("yaml: block scalars keep or fold their lines, with chomping") {
  const json v = yaml(
      "lit: |\n  line one\n    indented\n\n  three\nstrip: |-\n  x\n"
      "keep: |+\n  y\n\nfold: >\n  a\n  b\n\n  c\nlast: 1\n");
  CHECK(v["lit"] == "line one\n  indented\n\nthree\n");
  CHECK(v["strip"] == "x");
  CHECK(v["keep"] == "y\n\n");
  CHECK(v["fold"] == "a b\nc\n");
  CHECK(v["last"] == 1);
  CHECK(yaml("- |\n  # not a comment\n  x\n- 2\n") == json{"# not a comment\nx\n", 2});
}

TEST_CASE("yaml: nested sequences, documents markers and empty documents") {
  CHECK(yaml("- - 1\n  - 2\n- []\n- {}\n") == json{{1, 2}, json::array(), json::object()});
  CHECK(yaml("---\na: 1\n...\n") == json{{"a", 1}});
  CHECK(yaml("").is_null());
  CHECK(yaml("# only a comment\n").is_null());
  CHECK(yaml("\xEF\xBB\xBF"
             "a: 1\r\nb: 2\r\n") == json{{"a", 1}, {"b", 2}});
  CHECK(yaml("k:\n- a\n- b\nz: 1\n") == json{{"k", {"a", "b"}}, {"z", 1}});
  CHECK(yaml("{a: [1, {b: c}], 'd': \"e\"}") == json{{"a", {1, {{"b", "c"}}}}, {"d", "e"}});
}

TEST_CASE("yaml: what a configuration file has no use for is refused with its line") {
  CHECK(refusal("a: 1\na: 2\n") == "line 2, column 1: the key \"a\" appears twice");
  CHECK(refusal("a: &x 1\nb: *x\n").find("anchors") != std::string::npos);
  CHECK(refusal("a: !!str 1\n").find("tags") != std::string::npos);
  CHECK(refusal("a: b: c\n").find("line 1, column 5") != std::string::npos);
  CHECK(refusal("a: 1\n  b: 2\n").find("line 2") != std::string::npos);
  CHECK(refusal("a:\n\tb: 1\n").find("tab") != std::string::npos);
  CHECK(refusal("a: \"open\n").find("end on its line") != std::string::npos);
  CHECK(refusal("a: [1, 2\n").find("end on its line") != std::string::npos);
  CHECK(refusal("a: 1\n---\nb: 2\n").find("one document") != std::string::npos);
  CHECK(refusal("- a\nb: 1\n").find("line 2") != std::string::npos);
  CHECK(refusal("a: .inf\n").find("JSON") != std::string::npos);
  CHECK(refusal("a: 1" + std::string(400, '0') + "\n").find("too large") != std::string::npos);
  CHECK(refusal("a: \"\\ud800\"\n").find("Unicode") != std::string::npos);
  CHECK(refusal("a: \"\\q\"\n").find("escape") != std::string::npos);
  CHECK(refusal("a: \xFF\n") == "line 1: not UTF-8");
  CHECK(refusal("? a\n: b\n").find("complex") != std::string::npos);
  CHECK(refusal(std::string(200, '[')).find("too deep") != std::string::npos);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK(refusal(deep).find("too deep") != std::string::npos);
}

TEST_CASE("yaml: to_yaml writes what parse_yaml reads back") {
  const json doc = {
      {"nodes", {{{"name", "gw1"}, {"labels", {{"site", "lab"}}}, {"address", "10.0.0.1"}}}},
      {"strings",
       {"",
        "true",
        "null",
        "12",
        "1.5",
        "0x1F",
        "- x",
        "a: b",
        "a #b",
        "#c",
        "...",
        " lead",
        "trail ",
        "it's",
        "quote\"d",
        "tab\tin",
        "line\nbreak\n",
        "two\n\nblank\n\n",
        "no end\nnewline",
        "  indented\nfirst",
        "bell\x07",
        "\xC3\xA9 \xE2\x9C\x93",
        "~",
        "[x]",
        "{y}",
        "*z",
        "%p",
        "@q",
        "`r",
        "|s",
        ">t",
        "u:",
        "v,w"}},
      {"numbers", {0, -1, 1.5, 1e300, 18446744073709551615ULL, -9223372036854775807LL}},
      {"nested", {{1, {2, {3}}}, json::object(), json::array(), {{"k", json::array()}}}},
      {"key: with colon", true},
      {"- dash", false},
      {"", nullptr},
      {"multi", "a\nb\n"}};
  const std::string text = to_yaml(doc);
  auto back = parse_yaml(text);
  REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message + "\n" + text));
  CHECK_MESSAGE(back.value() == doc, text);
  CHECK(text.find("nodes:\n  - address: 10.0.0.1\n") != std::string::npos);
  CHECK(text.find("multi: |\n  a\n  b\n") != std::string::npos);
  CHECK(to_yaml(json::object()) == "{}\n");
  // What YAML 1.1 readers would take for booleans, times or numbers is quoted for them.
  CHECK(to_yaml(json{
            {"at", "2026-12-06T18:30:55.142Z"}, {"ok", "yes"}, {"t", "1:30"}, {"u", "10:a"}}) ==
        "at: \"2026-12-06T18:30:55.142Z\"\nok: \"yes\"\nt: \"1:30\"\nu: 10:a\n");
  CHECK(to_yaml("a\nb") == "|-\n  a\n  b\n");
  CHECK(parse_yaml(to_yaml("a\nb")).value() == "a\nb");
}

TEST_CASE("yaml: random documents survive to_yaml and parse_yaml") {
  std::mt19937 rng(7);
  const std::vector<std::string> atoms = {
      "a",    "b c", "",         " ",  "-", ":", "#", "'",    "\"",  "\n", "x\n", "1",
      "true", "~",   "\xC3\xA9", "\t", "[", "}", ",", "null", "0o7", ".5", "---", "..."};
  auto text = [&] {
    std::string s;
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) s += atoms[rng() % atoms.size()];
    return s;
  };
  std::function<json(int)> value = [&](int depth) -> json {
    switch (rng() % (depth > 3 ? 4 : 6)) {
      case 0:
        return text();
      case 1:
        return static_cast<std::int64_t>(rng() % 2000) - 1000;
      case 2:
        return rng() % 2 == 0;
      case 3:
        return nullptr;
      case 4: {
        json a = json::array();
        for (int n = static_cast<int>(rng() % 4); n > 0; --n) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (int n = static_cast<int>(rng() % 4); n > 0; --n) o[text()] = value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    const json doc = value(0);
    const std::string y = to_yaml(doc);
    auto back = parse_yaml(y);
    REQUIRE_MESSAGE(back.ok(), doc.dump() << "\n" << y << (back.ok() ? "" : back.error().message));
    REQUIRE_MESSAGE(back.value() == doc, doc.dump() << "\n" << y << "\n" << back->dump());
  }
}
