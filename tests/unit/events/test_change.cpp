#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/random.h"
#include "db/database.h"
#include "events/change.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

using namespace tt;

namespace {

constexpr events::Resource kWidgets{"widgets", "widget", "widget"};

// A real database file with the project's schema and a table of widgets, a writer, a read pool
// and a running bus whose subscriber notes each event and whether its row was committed when
// the event arrived.
struct Fixture {
  std::string path =
      (std::filesystem::temp_directory_path() / ("tt-events-" + random_hex(6) + ".db")).string();
  ManualClock clock;
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
  bus::CoreLoop loop;
  bus::Bus bus{loop};
  std::unique_ptr<events::Log> log;
  std::mutex mutex;
  std::vector<std::pair<bus::Event, bool>> seen;  // the event, its row visible to readers
  Actor actor{"alice", "10.0.0.1"};

  Fixture() {
    auto rw = db::open(path, db::Access::read_write).value();
    std::ifstream f(std::string(TELLTALE_SOURCE_DIR) + "/migrations/0001_initial.sql");
    std::stringstream sql;
    sql << f.rdbuf();
    rw->exec(sql.str());
    // A reference checked at COMMIT, so a job's savepoint is released and its commit fails.
    rw->exec(
        "CREATE TABLE widgets(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "parent INTEGER REFERENCES widgets(id) DEFERRABLE INITIALLY DEFERRED)");
    writer = std::make_unique<db::Writer>(std::move(rw));
    readers = std::make_unique<db::Readers>(path);
    log = std::make_unique<events::Log>(*writer, &bus, clock);
    bus.events.subscribe([this](const bus::Event& e) {
      auto stored = count(fmt::format("SELECT count(*) FROM events WHERE id = {}", e.id));
      std::lock_guard lock(mutex);
      seen.emplace_back(e, stored == 1);
    });
    loop.start();
  }
  ~Fixture() {
    loop.stop();
    writer->stop();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  std::int64_t count(const std::string& sql) {
    return readers
        ->with([&](SQLite::Database& db) -> Result<std::int64_t> {
          return db.execAndGet(sql).getInt64();
        })
        .value();
  }
  // Waits a little for `want` events (the bus delivers on the loop thread).
  std::vector<std::pair<bus::Event, bool>> published(std::size_t want) {
    for (int i = 0; i < 100 &&
                    [&] {
                      std::lock_guard lock(mutex);
                      return seen.size() < want;
                    }();
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard lock(mutex);
    return seen;
  }
  // Inserts a widget, records its creation, and fails the way `fail` says.
  Result<std::int64_t> create(const std::string& name, std::vector<std::string>* order = nullptr,
                              bool fail = false, std::int64_t parent = 0) {
    return log->commit<std::int64_t>(actor, [&](events::Change& change) -> Result<std::int64_t> {
      SQLite::Statement st(change.db(), "INSERT INTO widgets(name, parent) VALUES (?, ?)");
      st.bind(1, name);
      if (parent)
        st.bind(2, parent);
      else
        st.bind(2);
      st.exec();
      const std::int64_t id = change.db().getLastInsertRowid();
      change.created(kWidgets, id, {{"name", name}}, {{"name", name}});
      if (order) change.after_commit([order] { order->push_back("after_commit"); });
      if (fail) return Error::make(ErrorKind::conflict, "WIDGET_REFUSED", "refused");
      return id;
    });
  }
};

}  // namespace

TEST_CASE("commit: the row, its event and its audit row in one job, published after the commit") {
  Fixture f;
  std::vector<std::string> order;
  auto id = f.create("gear", &order);
  REQUIRE(id.ok());
  CHECK(order == std::vector<std::string>{"after_commit"});
  CHECK(f.count("SELECT count(*) FROM widgets") == 1);
  auto events =
      f.readers
          ->with([](SQLite::Database& db) -> Result<std::vector<std::string>> {
            SQLite::Statement st(db, "SELECT at, topic, kind, subject, actor, data FROM events");
            std::vector<std::string> out;
            while (st.executeStep())
              for (int i = 0; i < 6; ++i) out.push_back(st.getColumn(i).getString());
            return out;
          })
          .value();
  CHECK(events == std::vector<std::string>{std::to_string(f.clock.now_ms()), "widgets",
                                           "widget.created", std::to_string(*id), "alice",
                                           R"({"widget":{"name":"gear"}})"});
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'widget.create' AND actor = "
                "'alice' AND remote = '10.0.0.1' AND target = '" +
                std::to_string(*id) + "' AND details = '{\"name\":\"gear\"}'") == 1);
  auto seen = f.published(1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first.kind == "widget.created");
  CHECK(seen[0].first.topic == "widgets");
  CHECK(seen[0].second);  // the event's row was committed before it reached a subscriber
}

TEST_CASE("commit: a failed job leaves no row, event or audit row, and publishes nothing") {
  Fixture f;
  std::vector<std::string> order;
  auto refused = f.create("gear", &order, true);
  REQUIRE(!refused.ok());
  CHECK(refused.error().code == "WIDGET_REFUSED");
  CHECK(order.empty());
  CHECK(f.count("SELECT count(*) FROM widgets") == 0);
  CHECK(f.count("SELECT count(*) FROM events") == 0);
  CHECK(f.count("SELECT count(*) FROM audit_log") == 0);

  // A failed commit (a reference checked at COMMIT) is the same: nothing happened.
  auto dangling = f.create("cog", &order, false, 999);
  REQUIRE(!dangling.ok());
  CHECK(order.empty());
  CHECK(f.count("SELECT count(*) FROM widgets") == 0);
  CHECK(f.count("SELECT count(*) FROM events") == 0);
  CHECK(f.count("SELECT count(*) FROM audit_log") == 0);

  // Only the change that commits is told.
  REQUIRE(f.create("sprocket").ok());
  auto seen = f.published(2);  // waits for a second event that never comes
  REQUIRE(seen.size() == 1);
  CHECK(nlohmann::json::parse(*seen[0].first.json)["data"]["widget"]["name"] == "sprocket");
}

TEST_CASE("commit: updates tell what changed; a change may record audit rows alone") {
  Fixture f;
  auto id = f.create("gear").value();
  auto diff = changed_fields({{"name", "gear"}}, {{"name", "cog"}});
  auto updated = f.log->commit<void>(f.actor, [&](events::Change& change) -> Result<void> {
    change.updated(kWidgets, id, {{"name", "cog"}}, diff, {{"changed", diff.changed}});
    change.audit("widget.inspect", std::to_string(id));
    return ok();
  });
  REQUIRE(updated.ok());
  auto seen = f.published(2);
  REQUIRE(seen.size() == 2);
  auto data = nlohmann::json::parse(*seen[1].first.json)["data"];
  CHECK(data == nlohmann::json::parse(
                    R"({"widget":{"name":"cog"},"changed":["name"],"before":{"name":"gear"}})"));
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'widget.update' AND details = "
                "'{\"changed\":[\"name\"]}'") == 1);
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'widget.inspect' AND details = "
                "'{}'") == 1);

  // Without a bus (a service whose changes are audited only) the audit rows still commit.
  events::Log audited(*f.writer, nullptr, f.clock);
  REQUIRE(audited
              .commit<void>(f.actor,
                            [&](events::Change& change) -> Result<void> {
                              change.audit("widget.count", "all", {{"n", 1}});
                              return ok();
                            })
              .ok());
  CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'widget.count'") == 1);
}
