// Schema 20: node names become unique across types, and the series a renamed node provably
// owns follow it. The database is built at schema 19 with two "gw1" nodes, then migrated.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "core/random.h"
#include "db/database.h"
#include "db/migrations.h"

using namespace tt;

namespace {

struct Schema19 {
  std::string path =
      (std::filesystem::temp_directory_path() / ("tt-names-" + random_hex(6) + ".db")).string();
  std::unique_ptr<SQLite::Database> db = db::open(path, db::Access::read_write).value();

  Schema19() {
    auto all = db::embedded_migrations();
    auto end = std::find_if(all.begin(), all.end(), [](const auto& m) { return m.version > 19; });
    REQUIRE(db::migrate(*db, {all.begin(), end}).value() == 19);
  }
  ~Schema19() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  void exec(const std::string& sql) { db->exec(sql); }
  std::string text(const std::string& sql) { return db->execAndGet(sql).getString(); }
  int count(const std::string& sql) { return db->execAndGet(sql).getInt(); }
};

}  // namespace

TEST_CASE("schema 20 renames the later node of a shared name and moves the series it owns") {
  Schema19 s;
  s.exec(R"(
    INSERT INTO nodes (id, name, type, address, created_at, updated_at)
      VALUES (1, 'gw1', 'network', '10.0.0.1', 0, 0),
             (2, 'gw1', 'vm', '10.0.0.2', 0, 0),
             (3, 'sw "a"', 'network', '10.0.0.3', 0, 0),
             (4, 'sw "a"', 'iot', '', 0, 0),
             (5, 'sw "a"-iot', 'vm', '', 0, 0),
             (6, 'solo', 'vm', '', 0, 0);
    UPDATE nodes SET identity = 'machine-id:2' WHERE id = 2;
    INSERT INTO checks (id, name, kind, interval_ms, timeout_ms, node_id, created_at, updated_at)
      VALUES (1, 'router ping', 'icmp', 10000, 1000, 1, 0, 0),
             (2, 'vm ping', 'icmp', 10000, 1000, 2, 0, 0),
             (3, 'sensor', 'push', 10000, 1000, 4, 0, 0);
    INSERT INTO series (id, labels, created_at) VALUES
      (1, '__name__="probe_up",check="router ping",kind="icmp",node="gw1"', 0),
      (2, '__name__="probe_up",check="vm ping",kind="icmp",node="gw1"', 0),
      (3, '__name__="node_load1",instance="gw1",job="node",node="gw1"', 0),
      (4, '__name__="snmp_traps",node="gw1",source="10.0.0.2",trap="linkDown"', 0),
      (5, '__name__="snmp_traps",node="gw1",source="10.0.0.1",trap="linkDown"', 0),
      (6, '__name__="pushed",node="gw1"', 0),
      (7, '__name__="probe_up",check="sensor",kind="push",node="sw \"a\""', 0),
      (8, '__name__="probe_up",check="vm ping",kind="icmp",node="gw12"', 0);
  )");
  REQUIRE(db::migrate(*s.db, db::embedded_migrations()).ok());

  // The oldest keeps the name; the later one is "<name>-<type>", or "-<id>" after that if taken.
  CHECK(s.text("SELECT name FROM nodes WHERE id = 1") == "gw1");
  CHECK(s.text("SELECT name FROM nodes WHERE id = 2") == "gw1-vm");
  CHECK(s.text("SELECT name FROM nodes WHERE id = 4") == "sw \"a\"-iot-4");
  CHECK(s.text("SELECT name FROM nodes WHERE id = 6") == "solo");

  auto labels = [&](int id) {
    return s.text("SELECT labels FROM series WHERE id = " + std::to_string(id));
  };
  CHECK(labels(1) == R"(__name__="probe_up",check="router ping",kind="icmp",node="gw1")");
  // Its check's series, its agent's, and the traps its address sent follow the renamed node.
  CHECK(labels(2) == R"(__name__="probe_up",check="vm ping",kind="icmp",node="gw1-vm")");
  CHECK(labels(3) == R"(__name__="node_load1",instance="gw1",job="node",node="gw1-vm")");
  CHECK(labels(4) == R"(__name__="snmp_traps",node="gw1-vm",source="10.0.0.2",trap="linkDown")");
  CHECK(labels(5) == R"(__name__="snmp_traps",node="gw1",source="10.0.0.1",trap="linkDown")");
  // What both could have written stays with the keeper; another node's name is left alone.
  CHECK(labels(6) == R"(__name__="pushed",node="gw1")");
  CHECK(labels(7) == R"(__name__="probe_up",check="sensor",kind="push",node="sw \"a\"-iot-4")");
  CHECK(labels(8) == R"(__name__="probe_up",check="vm ping",kind="icmp",node="gw12")");

  CHECK(s.count("SELECT count(*) FROM audit_log WHERE action = 'node.rename'") == 2);
  CHECK(s.text("SELECT json_extract(details, '$.before') FROM audit_log WHERE target = 'gw1-vm'") ==
        "gw1");
  CHECK_THROWS(
      s.exec("INSERT INTO nodes (name, type, created_at, updated_at) "
             "VALUES ('gw1', 'container', 0, 0)"));
}
