#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "core/random.h"
#include "db/database.h"
#include "events/log.h"
#include "inventory/service.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

using namespace tt;
using namespace tt::inventory;

namespace {

// A real database file with the project's schema, a writer, a read pool and a running bus.
struct Fixture {
  std::string path =
      (std::filesystem::temp_directory_path() / ("tt-inv-" + random_hex(6) + ".db")).string();
  ManualClock clock;
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
  bus::CoreLoop loop;
  bus::Bus bus{loop};
  std::unique_ptr<NodeService> nodes;
  std::mutex mutex;
  std::vector<bus::Event> seen;
  Actor actor{"alice", "127.0.0.1"};

  Fixture() {
    auto rw = db::open(path, db::Access::read_write).value();
    std::ifstream f(std::string(TELLTALE_SOURCE_DIR) + "/migrations/0001_initial.sql");
    std::stringstream sql;
    sql << f.rdbuf();
    rw->exec(sql.str());
    writer = std::make_unique<db::Writer>(std::move(rw));
    readers = std::make_unique<db::Readers>(path);
    nodes = std::make_unique<NodeService>(*writer, *readers, bus, clock);
    bus.events.subscribe([this](const bus::Event& e) {
      std::lock_guard lock(mutex);
      seen.push_back(e);
    });
    loop.start();
  }
  ~Fixture() {
    loop.stop();
    writer->stop();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  std::vector<events::StoredEvent> log(const events::EventQuery& q) {
    return events::History(*readers).list(q).value();
  }
  NodeInput input(const char* json) {
    return decode_node_input(nlohmann::json::parse(json), InputMode::create).value();
  }
  std::vector<bus::Event> published(std::size_t want) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mutex);
        if (seen.size() >= want) return seen;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::lock_guard lock(mutex);
    return seen;
  }
};

}  // namespace

TEST_CASE("nodes: create, conflict per type, update with changed fields, delete") {
  Fixture f;
  auto a =
      f.nodes->create(f.input(R"({"name":"web","type":"vm","labels":{"site":"lab"}})"), f.actor);
  REQUIRE(a.ok());
  CHECK(a->id > 0);
  CHECK(a->status == NodeStatus::unknown);

  auto dup = f.nodes->create(f.input(R"({"name":"web","type":"vm"})"), f.actor);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "NODE_EXISTS");
  CHECK(f.nodes->create(f.input(R"({"name":"web","type":"container"})"), f.actor).ok());

  f.clock.advance_ms(1000);
  auto patch =
      decode_node_input(nlohmann::json::parse(R"({"address":"10.1.1.1"})"), InputMode::patch)
          .value();
  auto u = f.nodes->update(a->id, patch, f.actor);
  REQUIRE(u.ok());
  CHECK(u->address == "10.1.1.1");
  CHECK(u->updated_at == a->created_at + 1000);
  // Renaming onto an existing name of the same type is a conflict too.
  auto clash =
      decode_node_input(nlohmann::json::parse(R"({"type":"container"})"), InputMode::patch).value();
  CHECK(f.nodes->update(a->id, clash, f.actor).error().code == "NODE_EXISTS");

  REQUIRE(f.nodes->remove(a->id, f.actor).ok());
  CHECK(f.nodes->get(a->id).error().code == "NODE_NOT_FOUND");
  CHECK(f.nodes->remove(a->id, f.actor).error().code == "NODE_NOT_FOUND");

  auto events = f.log({0, 100, "nodes"});
  REQUIRE(events.size() == 4);
  CHECK(events[0].kind == "node.created");
  CHECK(events[2].kind == "node.updated");
  CHECK(events[2].data["changed"] == nlohmann::json::array({"address"}));
  CHECK(events[2].data["before"]["address"] == "");
  CHECK(events[3].kind == "node.deleted");
  CHECK(events[3].actor == "alice");
  // The cursor resumes after the last event seen.
  CHECK(f.log({events[1].id, 100, ""}).size() == 2);
  // Newest first: from the newest, then below a cursor.
  auto newest = f.log({0, 2, "nodes", true, 0});
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].id == events[3].id);
  CHECK(newest[1].id == events[2].id);
  auto older = f.log({0, 100, "nodes", true, newest[1].id});
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
  CHECK(f.log({}).size() == 1);
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
