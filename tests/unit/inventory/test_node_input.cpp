#include <doctest/doctest.h>

#include "../fields_of.h"
#include "inventory/node.h"

using namespace tt;
using namespace tt::inventory;
using nlohmann::json;
using test::fields_of;

TEST_CASE("a full node decodes and normalises") {
  auto r =
      decode_node_input(json::parse(R"({"name":"core-sw1","type":"network","address":"10.0.0.1",
      "labels":{"site":"lab","rack":"r1"},"metadata":{"model":"x"},
      "location":{"lat":52.5,"lon":13.4,"place":"Berlin"},"mac":"AA-BB-CC-00-11-22"})"),
                        InputMode::create);
  REQUIRE(r.ok());
  CHECK(*r->name == "core-sw1");
  CHECK(*r->type == NodeType::network);
  CHECK(r->labels->at("rack") == "r1");
  CHECK((*r->location)->place == "Berlin");
  CHECK(**r->mac == "aa:bb:cc:00:11:22");
}

TEST_CASE("create needs name and type; patch needs neither") {
  CHECK(fields_of(decode_node_input(json::object(), InputMode::create)) ==
        std::vector<std::string>{"name", "type"});
  CHECK(decode_node_input(json::object(), InputMode::patch).ok());
}

TEST_CASE("every bad field is reported at once, with its path") {
  auto r = decode_node_input(json::parse(R"({"name":"","type":"router","address":"a b",
      "labels":{"1bad":"x","ok":3},"location":{"lat":91,"lon":0,"alt":3},"mac":"zz",
      "status":"up","color":"red","metadata":[]})"),
                             InputMode::create);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "VALIDATION_FAILED");
  CHECK(r.error().kind == ErrorKind::validation);
  auto f = fields_of(r);
  for (const char* want : {"name", "type", "address", "labels.1bad", "labels.ok", "location.lat",
                           "location.alt", "mac", "status", "color", "metadata"})
    CHECK_MESSAGE(std::find(f.begin(), f.end(), want) != f.end(), want);
}

TEST_CASE("null clears location and mac in a patch") {
  auto r = decode_node_input(json::parse(R"({"location":null,"mac":null})"), InputMode::patch);
  REQUIRE(r.ok());
  CHECK(r->location.has_value());
  CHECK_FALSE(r->location->has_value());
  CHECK(r->mac.has_value());
  CHECK_FALSE(r->mac->has_value());
}

TEST_CASE("non-object bodies and wrong types are validation errors, not crashes") {
  for (const char* body : {"[]", "3", "null", "\"x\"", R"({"name":5,"type":"vm"})",
                           R"({"name":"a","type":"vm","labels":[]})",
                           R"({"name":"a","type":"vm","location":{"lat":"1","lon":2}})"}) {
    auto r = decode_node_input(json::parse(body), InputMode::create);
    CHECK_MESSAGE(!r.ok(), body);
  }
}

TEST_CASE("label names follow the Prometheus rules") {
  CHECK(valid_label_name("site"));
  CHECK(valid_label_name("_x9"));
  CHECK_FALSE(valid_label_name("9x"));
  CHECK_FALSE(valid_label_name("a-b"));
  CHECK_FALSE(valid_label_name(""));
}

TEST_CASE("a node's JSON has every documented field") {
  Node n;
  n.id = 7;
  n.name = "pi";
  n.type = NodeType::iot;
  n.created_at = n.updated_at = 0;
  auto j = to_json(n);
  for (const char* k : {"id", "name", "type", "address", "labels", "metadata", "location", "mac",
                        "status", "created_at", "updated_at", "last_seen"})
    CHECK_MESSAGE(j.contains(k), k);
  CHECK(j["status"] == "unknown");
  CHECK(j["location"].is_null());
}
