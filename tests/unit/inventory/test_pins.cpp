#include <doctest/doctest.h>

#include "../db/fixture.h"
#include "events/log.h"
#include "inventory/pins.h"
#include "inventory/service.h"

using namespace tt;
using namespace tt::inventory;

namespace {

struct Fixture : test::DbFixture {
  std::unique_ptr<NodeService> nodes = std::make_unique<NodeService>(*writer, *readers, bus, clock);
  std::unique_ptr<PinService> pins = std::make_unique<PinService>(*writer, *readers, bus, clock);

  std::int64_t node(const char* name) {
    auto in = decode_node_input({{"name", name}, {"type", "iot"}}, InputMode::create).value();
    return nodes->create(in, actor).value().id;
  }
  PinInput pin(const char* title, const char* query) {
    return decode_pin_input({{"title", title}, {"query", query}}).value();
  }
};

Error decode_error(const nlohmann::json& body) { return decode_pin_input(body).error(); }

}  // namespace

TEST_CASE("pins: a title and a query that draws, each checked") {
  auto ok = decode_pin_input({{"title", "Room"}, {"query", "avg_over_time(room_temp[5m])"}});
  REQUIRE(ok.ok());
  CHECK(ok->title == "Room");
  CHECK(decode_pin_input({{"title", "One"}, {"query", "1 + 1"}}).ok());  // a scalar draws too

  // Not PromQL: BAD_QUERY, with the parser's position on the field.
  auto bad = decode_error({{"title", "Room"}, {"query", "room_temp{"}});
  CHECK(bad.code == "BAD_QUERY");
  REQUIRE(bad.fields.size() == 1);
  CHECK(bad.fields[0].field == "query");
  CHECK(bad.fields[0].message.find("position") != std::string::npos);
  // A range vector parses but draws no chart.
  auto range = decode_error({{"title", "Room"}, {"query", "room_temp[5m]"}});
  CHECK(range.code == "BAD_QUERY");
  CHECK(range.fields.at(0).message.find("range vector") != std::string::npos);

  // The fields as the table says: required, bounded, a display name for the title.
  auto missing = decode_error(nlohmann::json::object());
  CHECK(missing.code == "VALIDATION_FAILED");
  CHECK(missing.fields.size() == 2);
  CHECK(decode_error({{"title", std::string(kMaxPinTitleLen + 1, 'x')}, {"query", "up"}}).code ==
        "VALIDATION_FAILED");
  CHECK(decode_error({{"title", "  "}, {"query", "up"}}).fields.at(0).field == "title");
  CHECK(decode_error({{"title", "a\x1b[31m"}, {"query", "up"}}).fields.at(0).field == "title");
  CHECK(decode_error({{"title", "t"}, {"query", std::string(kMaxPinQueryLen + 1, 'x')}})
            .fields.at(0)
            .field == "query");
  CHECK(decode_error({{"title", "t"}, {"query", "up"}, {"node_id", 3}}).code ==
        "VALIDATION_FAILED");
  CHECK(decode_error(nlohmann::json::array()).code == "INVALID_JSON");
}

TEST_CASE("pins: pinned, listed and unpinned, with events about the node and audit rows") {
  Fixture f;
  const auto a = f.node("sensor-1");
  const auto b = f.node("sensor-2");
  f.clock.advance_ms(1000);
  auto p = f.pins->create(a, f.pin("Temperature", "room_temp{node=\"sensor-1\"}"), f.actor);
  REQUIRE(p.ok());
  CHECK(p->node_id == a);
  CHECK(p->created_by == "alice");
  CHECK(p->created_at == 1'700'000'001'000);
  auto q = f.pins->create(a, f.pin("Humidity", "humidity"), f.actor).value();

  auto listed = f.pins->list(a).value();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].title == "Temperature");
  CHECK(listed[1].id == q.id);
  CHECK(f.pins->list(b).value().empty());
  CHECK(f.pins->list(999).error().code == "NODE_NOT_FOUND");
  CHECK(f.pins->create(999, f.pin("x", "up"), f.actor).error().code == "NODE_NOT_FOUND");

  // A pin is removed through its own node only.
  CHECK(f.pins->remove(b, p->id, f.actor).error().code == "PIN_NOT_FOUND");
  REQUIRE(f.pins->remove(a, p->id, f.actor).ok());
  CHECK(f.pins->remove(a, p->id, f.actor).error().code == "PIN_NOT_FOUND");
  CHECK(f.pins->list(a).value().size() == 1);

  auto live = f.published(5);  // two nodes, two pins, one unpin
  REQUIRE(live.size() == 5);
  CHECK(live[2].kind == "node_pin.created");
  CHECK(live[4].kind == "node_pin.deleted");
  auto e = nlohmann::json::parse(*live[4].json);
  CHECK(e["topic"] == "nodes");
  CHECK(e["subject"] == std::to_string(a));  // the node's page hears of it
  CHECK(e["data"]["pin"]["title"] == "Temperature");
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action LIKE 'node_pin.%'") == 3);
}

TEST_CASE("pins: at most kMaxPinsPerNode a node, and they go with their node") {
  Fixture f;
  const auto a = f.node("sensor-1");
  const auto b = f.node("sensor-2");
  for (std::size_t i = 0; i < kMaxPinsPerNode; ++i)
    REQUIRE(f.pins->create(a, f.pin("t", "up"), f.actor).ok());
  auto full = f.pins->create(a, f.pin("t", "up"), f.actor);
  CHECK(full.error().code == "TOO_MANY_PINS");
  CHECK(full.error().kind == ErrorKind::conflict);
  CHECK(f.pins->create(b, f.pin("t", "up"), f.actor).ok());  // the cap is per node

  REQUIRE(f.nodes->remove(a, f.actor).ok());
  CHECK(f.count("SELECT count(*) FROM node_pins") == 1);
}
