// Maintenance windows as pure code: when a window is active (one-off, daily, weekly across
// midnight and the week's end, UTC offsets, named zones across their DST changes) on fixed
// instants, which alerts it covers, and the
// validation of bodies and patches; on a frozen clock with a real database, the alerts a stored
// window covers are muted while it is active, with their state and the node's status unchanged.
#include <doctest/doctest.h>

#include <filesystem>

#include "alerts/maintenance_service.h"
#include "alerts/service.h"
#include "core/random.h"
#include "db/database.h"

using namespace tt;
using namespace tt::alerts;

namespace {

TimeMs at(const char* rfc3339) { return parse_rfc3339(rfc3339).value(); }

MaintenanceWindow window(const nlohmann::json& body) {
  auto w = decode_maintenance(body);
  REQUIRE_MESSAGE(w.ok(), body.dump());
  return w.value();
}

std::vector<std::string> error_fields(const nlohmann::json& body) {
  auto w = decode_maintenance(body);
  REQUIRE_FALSE(w.ok());
  std::vector<std::string> out;
  for (const auto& f : w.error().fields) out.push_back(f.field);
  return out;
}

}  // namespace

TEST_CASE("maintenance: is a window active at t") {
  // 2026-11-21 is a Saturday, 2026-11-23 a Monday.
  struct Case {
    const char* what;
    nlohmann::json schedule;
    const char* t;
    bool active;
  };
  nlohmann::json one_off{{"starts_at", "2026-11-21T10:00:00Z"},
                         {"ends_at", "2026-11-21T12:00:00Z"}};
  nlohmann::json sat_night{{"every", "week"},
                           {"days", {"sat"}},
                           {"start_time", "22:00"},
                           {"duration", "4h"},
                           {"time_zone", "+01:00"}};
  nlohmann::json sun_late{
      {"every", "week"}, {"days", {"sun"}}, {"start_time", "23:00"}, {"duration", "2h"}};
  nlohmann::json daily{
      {"every", "day"}, {"start_time", "03:30"}, {"duration", "30m"}, {"time_zone", "-05:00"}};
  nlohmann::json weekdays{{"every", "week"},
                          {"days", {"mon", "tue", "wed", "thu", "fri"}},
                          {"start_time", "00:00"},
                          {"duration", "1h"}};
  const Case cases[] = {
      {"one-off: before", one_off, "2026-11-21T09:59:59.999Z", false},
      {"one-off: the start is inside", one_off, "2026-11-21T10:00:00Z", true},
      {"one-off: inside", one_off, "2026-11-21T11:30:00Z", true},
      {"one-off: the end is outside", one_off, "2026-11-21T12:00:00Z", false},
      // Saturday 22:00 at +01:00 is 21:00Z; four hours reach into Sunday.
      {"weekly +01:00: before, in UTC", sat_night, "2026-11-21T20:59:59Z", false},
      {"weekly +01:00: its start", sat_night, "2026-11-21T21:00:00Z", true},
      {"weekly +01:00: past local midnight, on Sunday", sat_night, "2026-11-22T00:30:00Z", true},
      {"weekly +01:00: its end", sat_night, "2026-11-22T01:00:00Z", false},
      {"weekly +01:00: a week later", sat_night, "2026-11-28T23:00:00Z", true},
      {"weekly +01:00: a Friday at the same time", sat_night, "2026-11-20T22:00:00Z", false},
      {"weekly: Sunday 23:00 runs into Monday", sun_late, "2026-11-23T00:59:00Z", true},
      {"weekly: Monday 23:00 is not a Sunday", sun_late, "2026-11-23T23:30:00Z", false},
      {"weekly: 1970-01-04 was a Sunday", sun_late, "1970-01-04T23:30:00Z", true},
      {"daily -05:00: 03:30 local is 08:30Z", daily, "2026-11-23T08:45:00Z", true},
      {"daily -05:00: 03:30Z is 22:30 local", daily, "2026-11-23T03:45:00Z", false},
      {"daily -05:00: its end", daily, "2026-11-23T09:00:00Z", false},
      {"weekdays: Monday 00:30", weekdays, "2026-11-23T00:30:00Z", true},
      {"weekdays: Saturday 00:30", weekdays, "2026-11-21T00:30:00Z", false},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    nlohmann::json body{{"name", "w"}, {"matchers", "{team=\"ops\"}"}};
    if (c.schedule.contains("every"))
      body["recurrence"] = c.schedule;
    else
      body.update(c.schedule);
    CHECK(window(body).active(at(c.t)) == c.active);
  }
  // Before 1970 (negative times) weekdays count the same way: 1969-12-28 was a Sunday.
  nlohmann::json body{{"name", "w"}, {"matchers", "{team=\"ops\"}"}, {"recurrence", sun_late}};
  constexpr TimeMs kDay = 86'400'000;
  CHECK(window(body).active(-4 * kDay + 23 * 3'600'000 + 1'800'000));
  CHECK_FALSE(window(body).active(-5 * kDay + 23 * 3'600'000 + 1'800'000));
}

TEST_CASE("maintenance: a named time zone is followed across its daylight-saving changes") {
  // Europe/Amsterdam: CET (+01:00) until 2026-03-29 01:00Z, when 02:00 local becomes 03:00 CEST
  // (+02:00); back to CET on 2026-10-25 at 01:00Z, when 03:00 local becomes 02:00 again.
  auto daily = window({{"name", "backup"},
                       {"matchers", "{team=\"ops\"}"},
                       {"recurrence",
                        {{"every", "day"},
                         {"start_time", "02:30"},
                         {"duration", "1h"},
                         {"time_zone", "Europe/Amsterdam"}}}});
  struct Case {
    const char* what;
    const char* t;
    bool active;
  };
  const Case cases[] = {
      {"the day before: 02:30 CET is 01:30Z", "2026-03-28T01:45:00Z", true},
      {"the day before: 00:45Z is 01:45 CET", "2026-03-28T00:45:00Z", false},
      // 02:30 does not exist on the 29th: the window starts when the clocks have jumped, at
      // 03:00 CEST (01:00Z), and lasts its hour.
      {"spring forward: before the jump", "2026-03-29T00:45:00Z", false},
      {"spring forward: at 03:00 CEST", "2026-03-29T01:00:00Z", true},
      {"spring forward: an hour later", "2026-03-29T02:00:00Z", false},
      {"the day after: 02:30 CEST is 00:30Z", "2026-03-30T00:45:00Z", true},
      {"the day after: 01:45Z is 03:45 CEST", "2026-03-30T01:45:00Z", false},
      // 02:30 happens twice on 2026-10-25: the first (CEST, 00:30Z) starts the window.
      {"fall back: the first 02:30", "2026-10-25T00:45:00Z", true},
      {"fall back: the second 02:45 is not a new start", "2026-10-25T01:45:00Z", false},
      {"after fall back: 02:30 CET is 01:30Z", "2026-10-26T01:45:00Z", true},
      {"after fall back: 00:45Z is 01:45 CET", "2026-10-26T00:45:00Z", false},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    CHECK(daily.active(at(c.t)) == c.active);
  }
  // Weekdays are the zone's: Sunday 23:00 in New York is Monday 03:00Z in summer (EDT, -04:00)
  // and 04:00Z in winter (EST); the US changed on 2026-03-08 and changes back on 2026-11-01.
  auto sunday = window({{"name", "late"},
                        {"matchers", "{team=\"ops\"}"},
                        {"recurrence",
                         {{"every", "week"},
                          {"days", {"sun"}},
                          {"start_time", "23:00"},
                          {"duration", "30m"},
                          {"time_zone", "America/New_York"}}}});
  CHECK(sunday.active(at("2026-03-02T04:15:00Z")));        // Sunday 1 March, EST
  CHECK_FALSE(sunday.active(at("2026-03-02T03:15:00Z")));  // 22:15 EST
  CHECK(sunday.active(at("2026-03-09T03:15:00Z")));        // Sunday 8 March, EDT since 07:00Z
  CHECK_FALSE(sunday.active(at("2026-03-09T04:15:00Z")));  // 00:15 EDT on Monday
  CHECK(sunday.active(at("2026-11-02T04:15:00Z")));        // Sunday 1 November, EST again
  // The name is kept as given and comes back out; a fixed offset and UTC still work.
  CHECK(to_input_json(daily)["recurrence"]["time_zone"] == "Europe/Amsterdam");
  auto fixed = window(
      {{"name", "fixed"},
       {"matchers", "{team=\"ops\"}"},
       {"recurrence",
        {{"every", "day"}, {"start_time", "02:30"}, {"duration", "1h"}, {"time_zone", "+01:00"}}}});
  CHECK(fixed.active(at("2026-07-01T01:45:00Z")));  // no DST: 02:30 +01:00 all year
  CHECK(to_input_json(fixed)["recurrence"]["time_zone"] == "+01:00");
}

TEST_CASE("maintenance: which alerts a window covers") {
  auto by_node = window({{"name", "swap"},
                         {"node_ids", {4, 2, 4}},
                         {"starts_at", "2026-11-21T10:00:00Z"},
                         {"ends_at", "2026-11-21T12:00:00Z"}});
  CHECK(by_node.node_ids == std::vector<std::int64_t>{2, 4});
  by_node.node_names = {"gw1", "sw2"};
  LabelSet gw1{{"alertname", "Down"}, {"node", "gw1"}, {"severity", "critical"}};
  LabelSet gw9{{"alertname", "Down"}, {"node", "gw9"}, {"severity", "critical"}};
  LabelSet no_node{{"alertname", "Down"}, {"severity", "critical"}};
  CHECK(by_node.covers(gw1));
  CHECK_FALSE(by_node.covers(gw9));
  CHECK_FALSE(by_node.covers(no_node));
  CHECK(by_node.mutes(gw1, at("2026-11-21T11:00:00Z")));
  CHECK_FALSE(by_node.mutes(gw1, at("2026-11-21T13:00:00Z")));

  auto both = by_node;
  both.matchers = query::parse_selector("{severity=\"warning\"}").value();
  CHECK_FALSE(both.covers(gw1));  // the node is in the window, but the matchers say no

  auto by_label = window({{"name", "core"},
                          {"matchers", "{node=~\"gw.*\", severity!=\"info\"}"},
                          {"starts_at", "2026-11-21T10:00:00Z"},
                          {"ends_at", "2026-11-21T12:00:00Z"}});
  CHECK(by_label.covers(gw1));
  CHECK(by_label.covers(gw9));
  CHECK_FALSE(by_label.covers(no_node));
}

TEST_CASE("maintenance: bad bodies name each bad field") {
  nlohmann::json rec{
      {"every", "week"}, {"days", {"mon"}}, {"start_time", "02:00"}, {"duration", "1h"}};
  auto with = [&](nlohmann::json patch) {
    nlohmann::json body{{"name", "w"}, {"node_ids", {1}}, {"recurrence", rec}};
    body.merge_patch(patch);
    return body;
  };
  using V = std::vector<std::string>;
  CHECK(error_fields(with({{"recurrence", {{"days", {"mon", "someday"}}}}})) ==
        V{"recurrence.days"});
  CHECK(error_fields(with({{"recurrence", {{"duration", "soon"}}}})) == V{"recurrence.duration"});
  CHECK(error_fields(with({{"recurrence", {{"duration", "8d"}}}})) == V{"recurrence.duration"});
  CHECK(error_fields(with({{"recurrence", {{"duration", "0s"}}}})) == V{"recurrence.duration"});
  CHECK(error_fields(with({{"recurrence", {{"start_time", "24:00"}}}})) ==
        V{"recurrence.start_time"});
  for (const char* zone : {"Mars/Olympus_Mons", "../../etc/passwd", "/usr/share/zoneinfo/UTC",
                           "Europe/Berlin\n", "+25:00", ""})
    CHECK_MESSAGE(
        error_fields(with({{"recurrence", {{"time_zone", zone}}}})) == V{"recurrence.time_zone"},
        zone);
  CHECK(error_fields(with({{"recurrence", {{"every", "month"}, {"days", nullptr}}}})) ==
        V{"recurrence.every"});
  CHECK(error_fields(with({{"recurrence", {{"every", "day"}}}})) == V{"recurrence.days"});
  CHECK(error_fields(with({{"recurrence", {{"days", nullptr}}}})) == V{"recurrence.days"});
  CHECK(error_fields(with({{"recurrence", {{"hours", 2}}}})) == V{"recurrence.hours"});
  CHECK(error_fields(with({{"node_ids", nullptr}})) == V{"node_ids"});
  CHECK(error_fields(with({{"node_ids", {0}}})) == V{"node_ids"});
  CHECK(error_fields(with({{"matchers", "{node=~\"(\"}"}})) == V{"matchers"});
  CHECK(error_fields(with({{"name", nullptr}, {"colour", "red"}})) == V{"colour", "name"});
  CHECK(error_fields(with({{"starts_at", "2026-11-21T10:00:00Z"},
                           {"ends_at", "2026-11-21T12:00:00Z"}})) == V{"recurrence"});
  CHECK(error_fields(with({{"recurrence", nullptr}})) == V{"starts_at"});
  CHECK(error_fields(with({{"recurrence", nullptr},
                           {"starts_at", "2026-11-21T10:00:00Z"},
                           {"ends_at", "2026-11-21T09:00:00Z"}})) == V{"ends_at"});
  CHECK(error_fields(with({{"recurrence", nullptr}, {"starts_at", "2026-11-21T10:00:00Z"}})) ==
        V{"ends_at"});
  CHECK(error_fields(with({{"recurrence", nullptr},
                           {"starts_at", "noon"},
                           {"ends_at", "2026-11-21T09:00:00Z"}})) == V{"starts_at"});
  auto bad = decode_maintenance(nlohmann::json::array());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "INVALID_JSON");
}

TEST_CASE("maintenance: a patch merges into the window and may change the kind of schedule") {
  auto w = window({{"name", "swap"},
                   {"node_ids", {2}},
                   {"starts_at", "2026-11-21T10:00:00Z"},
                   {"ends_at", "2026-11-21T12:00:00Z"}});
  w.id = 7;
  w.created_by = "alice";

  auto later = apply_patch(w, {{"ends_at", "2026-11-21T14:00:00Z"}, {"comment", "longer"}});
  REQUIRE(later.ok());
  CHECK(later->id == 7);
  CHECK(later->created_by == "alice");
  CHECK(later->comment == "longer");
  CHECK(later->active(at("2026-11-21T13:00:00Z")));

  auto recurring = apply_patch(
      w, {{"recurrence", {{"every", "day"}, {"start_time", "01:00"}, {"duration", "1h"}}}});
  REQUIRE(recurring.ok());
  CHECK_FALSE(recurring->starts_at.has_value());
  CHECK(recurring->active(at("2026-12-01T01:30:00Z")));
  CHECK(to_input_json(recurring.value())["recurrence"] ==
        nlohmann::json{
            {"every", "day"}, {"start_time", "01:00"}, {"duration", "1h"}, {"time_zone", "UTC"}});

  auto back = apply_patch(recurring.value(), {{"starts_at", "2026-11-21T10:00:00Z"},
                                              {"ends_at", "2026-11-21T11:00:00Z"}});
  REQUIRE(back.ok());
  CHECK_FALSE(back->recurrence.has_value());

  auto scopeless = apply_patch(w, {{"node_ids", nlohmann::json::array()}});
  REQUIRE_FALSE(scopeless.ok());
  CHECK(scopeless.error().fields.at(0).field == "node_ids");

  // The input document decodes back to the same window.
  auto weekly = window({{"name", "n"},
                        {"matchers", "{a=\"b\"}"},
                        {"recurrence",
                         {{"every", "week"},
                          {"days", {"sun", "mon"}},
                          {"start_time", "23:15"},
                          {"duration", "1h30m"},
                          {"time_zone", "-03:30"}}}});
  auto again = window(to_input_json(weekly));
  CHECK(to_input_json(again) == to_input_json(weekly));
  CHECK(to_input_json(weekly)["recurrence"]["days"] == nlohmann::json{"mon", "sun"});
}

TEST_CASE("maintenance: alerts read through the service name the windows that mute them") {
  constexpr TimeMs kStart = 1'700'000'000'000;
  auto path =
      (std::filesystem::temp_directory_path() / ("tt-maint-" + random_hex(6) + ".db")).string();
  {
    ManualClock clock{kStart};
    auto rw = db::open(path, db::Access::read_write).value();
    REQUIRE(db::migrate(*rw, db::embedded_migrations()).ok());
    db::Writer writer(std::move(rw));
    db::Readers readers(path);
    bus::CoreLoop loop;
    bus::Bus bus{loop};
    loop.start();
    query::MemoryStorage store;
    std::vector<CheckStatus> checks{{1, {{"check", "ping-gw1"}, {"node", "gw1"}}, true},
                                    {2, {{"check", "ping-gw2"}, {"node", "gw2"}}, true}};
    Evaluator evaluator(writer, bus, clock, store,
                        [&] { return Result<std::vector<CheckStatus>>(checks); });
    AlertService alerts(writer, readers, bus, evaluator, clock);
    MaintenanceService windows(writer, readers, bus, clock);
    Actor actor{"alice", "127.0.0.1"};
    auto node_id = writer.run<std::int64_t>([](SQLite::Database& db) -> Result<std::int64_t> {
      db.exec(
          "INSERT INTO nodes(name, type, status, created_at, updated_at) VALUES ('gw1', 'network', "
          "'down', 0, 0)");
      return db.getLastInsertRowid();
    });
    REQUIRE(node_id.ok());

    auto in = decode_rule_input(nlohmann::json::parse(R"({"name":"PingDown","kind":"check_state",
        "check_selector":"{check=~\"ping-.*\"}","interval":"5s","severity":"critical"})"),
                                InputMode::create);
    REQUIRE(in.ok());
    REQUIRE(alerts.create(in.value(), actor).ok());
    clock.advance_ms(10'000);
    evaluator.run_due();

    auto w = windows.create(window({{"name", "gw1 swap"},
                                    {"node_ids", {node_id.value()}},
                                    {"starts_at", format_rfc3339(kStart + 60'000)},
                                    {"ends_at", format_rfc3339(kStart + 120'000)}}),
                            actor);
    REQUIRE(w.ok());
    CHECK(w->node_names == std::vector<std::string>{"gw1"});

    // node -> (state, the windows muting it, muted)
    auto read = [&] {
      std::map<std::string, std::tuple<AlertState, std::vector<std::int64_t>, bool>> out;
      auto page = alerts.alerts({});
      REQUIRE(page.ok());
      for (const auto& a : page->items) {
        std::vector<std::int64_t> ids;
        for (const auto& m : a.maintenance) ids.push_back(m.id);
        auto node = std::find_if(a.labels.begin(), a.labels.end(),
                                 [](const Label& l) { return l.name == "node"; });
        out[node->value] = {a.state, ids, a.muted()};
      }
      return out;
    };
    using Row = std::tuple<AlertState, std::vector<std::int64_t>, bool>;
    const Row open{AlertState::firing, {}, false}, muted{AlertState::firing, {w->id}, true};
    struct Step {
      TimeMs at;
      Row gw1, gw2;
    };
    for (const auto& step :
         {Step{kStart + 59'999, open, open}, Step{kStart + 60'000, muted, open},
          Step{kStart + 119'999, muted, open}, Step{kStart + 120'000, open, open}}) {
      CAPTURE(step.at - kStart);
      clock.set_ms(step.at);
      auto got = read();
      CHECK(got["gw1"] == step.gw1);
      CHECK(got["gw2"] == step.gw2);
    }
    auto status = readers.with([&](SQLite::Database& db) -> Result<std::string> {
      return db.execAndGet("SELECT status FROM nodes WHERE name = 'gw1'").getString();
    });
    CHECK(status.value() == "down");
    CHECK(windows.list(true, {}).value().total == 0);
    clock.set_ms(kStart + 90'000);
    CHECK(windows.list(true, {}).value().total == 1);
    loop.stop();
    writer.stop();
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}
