#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "events/log.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

using namespace tt;
using namespace tt::events;

TEST_CASE("events: pruned from the oldest end by age and by count, at most `limit` a call") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  std::ifstream f(std::string(TELLTALE_SOURCE_DIR) + "/migrations/0001_initial.sql");
  std::stringstream sql;
  sql << f.rdbuf();
  db.exec(sql.str());
  const TimeMs day = 86'400'000;
  for (int i = 0; i < 100; ++i)
    append(db, {0, i * day / 10, "nodes", "node.updated", "1", "system", nlohmann::json::object()});
  auto count = [&] { return db.execAndGet("SELECT count(*) FROM events").getInt64(); };
  auto oldest = [&] { return db.execAndGet("SELECT min(id) FROM events").getInt64(); };
  // Ages: event i is i/10 days old at t=0 .. 9.9 days; at 10 days, keeping 5 days keeps i >= 50.
  Retention keep{5 * day, 1'000'000};
  CHECK(prune(db, keep, 10 * day, 20) == 20);  // the limit
  CHECK(oldest() == 21);
  CHECK(prune(db, keep, 10 * day, 1000) == 30);
  CHECK(oldest() == 51);
  CHECK(prune(db, keep, 10 * day, 1000) == 0);
  // By count: the newest 10 ids stay.
  keep.max_rows = 10;
  CHECK(prune(db, keep, 10 * day, 1000) == 40);
  CHECK(count() == 10);
  CHECK(oldest() == 91);
  append(db, {0, 10 * day, "nodes", "node.updated", "1", "system", nlohmann::json::object()});
  CHECK(prune(db, keep, 10 * day, 1000) == 1);
  CHECK(count() == 10);
  // Nothing to do costs one row read, and an empty log none.
  CHECK(prune(db, keep, 10 * day, 1000) == 0);
  db.exec("DELETE FROM events");
  CHECK(prune(db, keep, 10 * day, 1000) == 0);
}
