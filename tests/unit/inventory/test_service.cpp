#include <doctest/doctest.h>

#include <future>

#include "../db/fixture.h"
#include "events/log.h"
#include "inventory/service.h"

using namespace tt;
using namespace tt::inventory;

namespace {

// The shared database fixture and a node service.
struct Fixture : test::DbFixture {
  std::unique_ptr<NodeService> nodes = std::make_unique<NodeService>(*writer, *readers, bus, clock);

  std::vector<events::StoredEvent> history(const events::EventQuery& q) {
    return events::History(*readers).list(q).value();
  }
  NodeInput input(const char* json) {
    return decode_node_input(nlohmann::json::parse(json), InputMode::create).value();
  }
};

}  // namespace

TEST_CASE("nodes: create, a name taken by any type, update with changed fields, delete") {
  Fixture f;
  auto a =
      f.nodes->create(f.input(R"({"name":"web","type":"vm","labels":{"site":"lab"}})"), f.actor);
  REQUIRE(a.ok());
  CHECK(a->id > 0);
  CHECK(a->status == NodeStatus::unknown);

  auto dup = f.nodes->create(f.input(R"({"name":"web","type":"vm"})"), f.actor);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "NODE_EXISTS");
  // The name is the `node` label of the node's series: it names one node of any type.
  CHECK(f.nodes->create(f.input(R"({"name":"web","type":"container"})"), f.actor).error().code ==
        "NODE_EXISTS");
  REQUIRE(f.nodes->create(f.input(R"({"name":"web-c","type":"container"})"), f.actor).ok());

  f.clock.advance_ms(1000);
  auto patch =
      decode_node_input(nlohmann::json::parse(R"({"address":"10.1.1.1"})"), InputMode::patch)
          .value();
  auto u = f.nodes->update(a->id, patch, f.actor);
  REQUIRE(u.ok());
  CHECK(u->address == "10.1.1.1");
  CHECK(u->updated_at == a->created_at + 1000);
  // Renaming onto an existing name is a conflict too.
  auto clash =
      decode_node_input(nlohmann::json::parse(R"({"name":"web-c"})"), InputMode::patch).value();
  CHECK(f.nodes->update(a->id, clash, f.actor).error().code == "NODE_EXISTS");

  REQUIRE(f.nodes->remove(a->id, f.actor).ok());
  CHECK(f.nodes->get(a->id).error().code == "NODE_NOT_FOUND");
  CHECK(f.nodes->remove(a->id, f.actor).error().code == "NODE_NOT_FOUND");

  auto events = f.history({0, 100, "nodes"});
  REQUIRE(events.size() == 4);
  CHECK(events[0].kind == "node.created");
  CHECK(events[2].kind == "node.updated");
  CHECK(events[2].data["changed"] == nlohmann::json::array({"address"}));
  CHECK(events[2].data["before"]["address"] == "");
  CHECK(events[3].kind == "node.deleted");
  CHECK(events[3].actor == "alice");
  // The cursor resumes after the last event seen.
  CHECK(f.history({events[1].id, 100, ""}).size() == 2);
  // Newest first: from the newest, then below a cursor.
  auto newest = f.history({0, 2, "nodes", true, 0});
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].id == events[3].id);
  CHECK(newest[1].id == events[2].id);
  auto older = f.history({0, 100, "nodes", true, newest[1].id});
  REQUIRE(older.size() == 2);
  CHECK(older[0].id == events[1].id);
  CHECK(older[1].id == events[0].id);

  auto live = f.published(4);
  REQUIRE(live.size() == 4);
  CHECK(live[2].kind == "node.updated");
  CHECK(nlohmann::json::parse(*live[2].json)["id"] == events[2].id);
}

TEST_CASE("nodes: an update that changes nothing records no event") {
  Fixture f;
  auto a = f.nodes->create(f.input(R"({"name":"web","type":"vm","address":"h"})"), f.actor).value();
  auto same =
      decode_node_input(nlohmann::json::parse(R"({"address":"h"})"), InputMode::patch).value();
  REQUIRE(f.nodes->update(a.id, same, f.actor).ok());
  CHECK(f.history({}).size() == 1);
}

TEST_CASE("nodes: list filters, search, sort and pagination") {
  Fixture f;
  f.nodes->create(f.input(R"({"name":"alpha","type":"vm","labels":{"site":"lab"}})"), f.actor)
      .value();
  f.nodes
      ->create(
          f.input(
              R"({"name":"beta","type":"network","address":"sw.example","labels":{"site":"home"}})"),
          f.actor)
      .value();
  f.nodes
      ->create(f.input(R"({"name":"gamma","type":"vm","labels":{"site":"lab","rack":"r2"}})"),
               f.actor)
      .value();

  NodeQuery q;
  q.type = NodeType::vm;
  CHECK(f.nodes->list(q).value().total == 2);
  q = {};
  q.labels = {{"site", "lab"}, {"rack", "r2"}};
  auto by_label = f.nodes->list(q).value();
  REQUIRE(by_label.items.size() == 1);
  CHECK(by_label.items[0].name == "gamma");
  q = {};
  q.text = "SW.EX";
  CHECK(f.nodes->list(q).value().items.at(0).name == "beta");
  q = {};
  q.text = "home";  // label values are searched too
  CHECK(f.nodes->list(q).value().total == 1);
  q = {};
  q.sort = "-name";
  q.page = {1, 2};
  auto page = f.nodes->list(q).value();
  CHECK(page.total == 3);
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].name == "gamma");
  q.page = {2, 2};
  CHECK(f.nodes->list(q).value().items.at(0).name == "alpha");
  q = {};
  q.status = NodeStatus::down;
  CHECK(f.nodes->list(q).value().total == 0);
}
