#include <doctest/doctest.h>

#include "../db/fixture.h"
#include "events/change.h"

using namespace tt;

namespace {

constexpr events::Resource kWidgets{"widgets", "widget", "widget"};

// The shared database fixture and a table of widgets.
struct Fixture : test::DbFixture {
  Fixture() {
    actor = {"alice", "10.0.0.1"};
    // A reference checked at COMMIT, so a job's savepoint is released and its commit fails.
    exec(
        "CREATE TABLE widgets(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "parent INTEGER REFERENCES widgets(id) DEFERRABLE INITIALLY DEFERRED)");
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
  auto seen = f.seen(1);
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
  auto seen = f.seen(2);  // waits for a second event that never comes
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
  auto seen = f.seen(2);
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
