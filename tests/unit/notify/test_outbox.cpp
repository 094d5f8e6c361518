// The outbox on a frozen clock with a real database: rows enqueued with a transition (once per
// transition and channel), delivered in order per channel, retried on the backoff schedule,
// failed for good on a 4xx, resumed at start, and a stale firing collapsed into its resolution;
// grouped channels: group_wait, group_interval, repeat_interval and acknowledgements, groups by
// labels across a restart, and a superseded group collapsed after an outage.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <set>

#include "../db/fixture.h"
#include "notify/dispatcher.h"
#include "notify/escalation.h"
#include "notify/grouping.h"
#include "notify/service.h"

using namespace tt;
using namespace tt::notify;

namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

// Answers every request at once with the outcome the test sets; keeps what it was sent.
struct RecordingTransport final : Transport {
  std::vector<Request> sent;
  Outcome next{true, false, ""};
  void send(Request r, Done done) override {
    sent.push_back(std::move(r));
    done(next);
  }
};

// The shared database fixture and a dispatcher over a recording transport.
struct Fixture : test::DbFixture {
  RecordingTransport transport;
  OutboxOptions options;
  std::unique_ptr<Dispatcher> dispatcher;
  std::int64_t transition = 0;

  Fixture() : DbFixture(kStart) {
    options.backoff_min_ms = 1000;
    options.backoff_max_ms = 8000;
    options.collapse_after_ms = 3'600'000;
    dispatcher = std::make_unique<Dispatcher>(*writer, *readers, transport, clock, options);
  }
  std::int64_t channel(const std::string& name,
                       std::optional<nlohmann::json> grouping = std::nullopt) {
    ChannelService svc(*writer, *readers, transport, clock);
    auto c = svc.create(
        {name, "webhook", nlohmann::json{{"url", "http://127.0.0.1:9/" + name}}, grouping},
        {"t", ""});
    REQUIRE(c.ok());
    return c->id;
  }
  std::map<std::int64_t, std::string> zones;  // an alert's `zone` label, if any
  void rule(std::int64_t id, const std::string& channels) {
    exec(
        fmt::format("INSERT INTO alert_rules(id, name, kind, expr, severity, channels, "
                    "interval_ms, created_at, updated_at) "
                    "VALUES ({0}, 'R{0}', 'expr', 'up == 0', 'critical', '{1}', 1000, 0, 0)",
                    id, channels));
  }
  // A transition of alert `alert` of rule `rule`, with its outbox rows, as the evaluator writes it.
  int transition_of(std::int64_t rule, std::int64_t alert, Notice::Event event, TimeMs at,
                    TimeMs fired_at = 0) {
    return writer
        ->run<int>([&](SQLite::Database& db) -> Result<int> {
          db.exec(fmt::format(
              "INSERT OR IGNORE INTO alerts(id, rule_id, rule_name, severity, labels, state, "
              "active_at, "
              "last_eval_at) VALUES ({0}, {1}, 'R{1}', 'critical', '{{}}', 'firing', 0, 0)",
              alert, rule));
          db.exec(fmt::format(
              "INSERT INTO alert_transitions(alert_id, at, to_state) VALUES ({}, {}, '{}')", alert,
              at, to_string(event)));
          transition = db.getLastInsertRowid();
          nlohmann::json payload{{"id", alert},
                                 {"rule_name", fmt::format("R{}", rule)},
                                 {"severity", "critical"},
                                 {"labels", {{"alertname", fmt::format("R{}", rule)}}},
                                 {"value", 1},
                                 {"active_at_ms", at},
                                 {"fired_at_ms", fired_at ? fired_at : at}};
          if (event == Notice::Event::resolved) payload["resolved_at_ms"] = at;
          if (zones.count(alert)) payload["labels"]["zone"] = zones[alert];
          return enqueue(db, transition, rule, alert, event, payload.dump(), at);
        })
        .value();
  }
  std::vector<std::string> states() {
    return readers
        ->with([](SQLite::Database& db) -> Result<std::vector<std::string>> {
          std::vector<std::string> out;
          SQLite::Statement st(db,
                               "SELECT channel_id || ':' || event || ':' || state || ':' || "
                               "attempts FROM notifications ORDER BY id");
          while (st.executeStep()) out.push_back(st.getColumn(0).getString());
          return out;
        })
        .value();
  }
  std::string body_event(std::size_t i) {
    return nlohmann::json::parse(transport.sent.at(i).body)["event"];
  }
};

}  // namespace

TEST_CASE("backoff doubles from the minimum and stops at the cap") {
  OutboxOptions o;
  o.backoff_min_ms = 5'000;
  o.backoff_max_ms = 600'000;
  std::vector<std::int64_t> got;
  for (int f = 1; f <= 10; ++f) got.push_back(backoff_ms(f, o));
  CHECK(got == std::vector<std::int64_t>{5'000, 10'000, 20'000, 40'000, 80'000, 160'000, 320'000,
                                         600'000, 600'000, 600'000});
  CHECK(backoff_ms(1000, o) == 600'000);
}

TEST_CASE(
    "a transition is queued once per channel of its rule, and channels that are gone are skipped") {
  Fixture f;
  auto a = f.channel("a"), b = f.channel("b");
  f.rule(1, fmt::format("[{}, 999, {}]", b, a));
  CHECK(f.transition_of(1, 10, Notice::Event::firing, kStart) == 2);
  // The same transition again (a retried job) adds nothing.
  auto again = f.writer->run<int>([&](SQLite::Database& db) -> Result<int> {
    return enqueue(db, f.transition, 1, 10, Notice::Event::firing, "{}", kStart);
  });
  CHECK(again.value() == 0);
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:pending:0", a),
                                               fmt::format("{}:firing:pending:0", b)});
  f.rule(2, "[]");
  CHECK(f.transition_of(2, 11, Notice::Event::firing, kStart) == 0);
}

TEST_CASE(
    "rows are delivered in order per channel, each once the one before was answered, and retried "
    "on the backoff "
    "schedule") {
  Fixture f;
  auto a = f.channel("a");
  f.rule(1, fmt::format("[{}]", a));
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.transition_of(1, 11, Notice::Event::firing, kStart + 1);
  f.transport.next = {false, false, "connection refused"};
  CHECK(f.dispatcher->run_due() == 1);  // the head: the row behind it is not due until kStart + 1
  CHECK(f.transport.sent.size() == 1);
  CHECK(f.dispatcher->run_due() == 0);  // records the failure; the head waits out its backoff
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:pending:1", a),
                                               fmt::format("{}:firing:pending:0", a)});
  CHECK(f.dispatcher->next_due() == kStart + 1000);
  f.clock.advance_ms(999);
  CHECK(f.dispatcher->run_due() == 0);
  f.clock.advance_ms(1);
  CHECK(f.dispatcher->run_due() == 2);  // the head and the row behind it, as one chain
  CHECK(f.transport.sent.size() == 2);  // the head failed again: the chain ends there
  f.dispatcher->run_due();
  CHECK(f.dispatcher->next_due() == kStart + 1000 + 2000);
  f.clock.advance_ms(2000);
  f.transport.next = {true, false, ""};
  CHECK(f.dispatcher->run_due() == 2);  // the head went out, and the next row after it
  CHECK(f.dispatcher->run_due() == 0);  // both recorded at once, when the chain ended
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:delivered:3", a),
                                               fmt::format("{}:firing:delivered:1", a)});
  REQUIRE(f.transport.sent.size() == 4);
  CHECK(nlohmann::json::parse(f.transport.sent[2].body)["alert"]["id"] == 10);
  CHECK(nlohmann::json::parse(f.transport.sent[3].body)["alert"]["id"] == 11);
  CHECK(f.transport.sent[3].headers.at(1) == fmt::format("Idempotency-Key: telltale-2"));
}

TEST_CASE("a 4xx answer fails the row for good and the channel moves on") {
  Fixture f;
  auto a = f.channel("a");
  f.rule(1, fmt::format("[{}]", a));
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.transition_of(1, 11, Notice::Event::firing, kStart);
  f.transport.next = {false, true, "HTTP 400: no such hook"};
  f.dispatcher->run_due();
  f.transport.next = {true, false, ""};
  f.dispatcher->run_due();
  f.dispatcher->run_due();
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:failed:1", a),
                                               fmt::format("{}:firing:delivered:1", a)});
  auto last = f.readers->with([](SQLite::Database& db) -> Result<std::string> {
    return db.execAndGet("SELECT last_error FROM notifications WHERE id = 1").getString();
  });
  CHECK(last.value() == "HTTP 400: no such hook");
}

TEST_CASE(
    "after an outage a firing whose resolution is queued and old is collapsed into the "
    "resolution") {
  Fixture f;
  auto a = f.channel("a");
  f.rule(1, fmt::format("[{}]", a));
  // Alert 10 fired and resolved during a long outage; alert 11 resolved only a minute ago.
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.transition_of(1, 10, Notice::Event::resolved, kStart + 60'000, kStart);
  f.transition_of(1, 11, Notice::Event::firing, kStart + 1000);
  f.clock.set_ms(kStart + 3 * 86'400'000LL);
  f.transition_of(1, 11, Notice::Event::resolved, kStart + 3 * 86'400'000LL - 60'000,
                  kStart + 1000);
  for (int i = 0; i < 8; ++i) f.dispatcher->run_due();
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:collapsed:0", a),
                                               fmt::format("{}:resolved:delivered:1", a),
                                               fmt::format("{}:firing:delivered:1", a),
                                               fmt::format("{}:resolved:delivered:1", a)});
  REQUIRE(f.transport.sent.size() == 3);
  auto first = nlohmann::json::parse(f.transport.sent[0].body);
  CHECK(first["event"] == "resolved");
  CHECK(first["collapsed"] == true);
  CHECK(first["text"].get<std::string>().find("(fired 3 d ago)") != std::string::npos);
  CHECK(first["text"].get<std::string>().find("not sent") != std::string::npos);
  auto second = nlohmann::json::parse(f.transport.sent[1].body);
  CHECK(second["event"] == "firing");
  CHECK(second["collapsed"] == false);
  CHECK(second["text"].get<std::string>().find("(fired 2 d ago)") != std::string::npos);
}

TEST_CASE("resume (at start) makes every pending row due at once: the outage may be over") {
  Fixture f;
  auto a = f.channel("a");
  f.rule(1, fmt::format("[{}]", a));
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.transport.next = {false, false, "refused"};
  f.dispatcher->run_due();  // the attempt fails
  f.dispatcher->run_due();  // and is recorded: the row waits out its backoff
  CHECK(f.dispatcher->next_due() == f.clock.now_ms() + 1000);
  f.dispatcher->resume();
  CHECK(f.dispatcher->next_due() == f.clock.now_ms());
}

TEST_CASE("an alert nobody acknowledged goes to the escalation channels once their time has come") {
  Fixture f;
  auto first = f.channel("first"), later = f.channel("later"), last = f.channel("last");
  f.rule(1, fmt::format("[{}]", first));
  f.exec(fmt::format(
      "UPDATE alert_rules SET escalations = '[{{\"after_ms\": 900000, \"channels\": [{}]}}, "
      "{{\"after_ms\": 3600000, \"channels\": [{}, {}]}}]' WHERE id = 1",
      later, first, last));
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.exec(fmt::format("UPDATE alerts SET fired_at = {} WHERE id = 10", kStart));
  f.transition_of(1, 11, Notice::Event::firing, kStart);
  f.exec(fmt::format(
      "UPDATE alerts SET fired_at = {0}, acked_by = 'bob', acked_at = {0} WHERE id = 11", kStart));
  auto escalate_at = [&](TimeMs t) {
    f.clock.set_ms(t);
    return f.writer->run<int>([t](SQLite::Database& db) -> Result<int> { return escalate(db, t); })
        .value();
  };
  CHECK(escalate_at(kStart + 900'000 - 1) == 0);
  CHECK(escalate_at(kStart + 900'000) == 1);    // alert 10 to `later`; 11 was acknowledged
  CHECK(escalate_at(kStart + 900'001) == 0);    // once
  CHECK(escalate_at(kStart + 3'600'000) == 1);  // `last`; `first` had it already
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:pending:0", first),
                                               fmt::format("{}:firing:pending:0", first),
                                               fmt::format("{}:firing:pending:0", later),
                                               fmt::format("{}:firing:pending:0", last)});
  for (int i = 0; i < 6; ++i) f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 4);
  std::vector<std::string> escalated;
  for (const auto& r : f.transport.sent) {
    auto text = nlohmann::json::parse(r.body)["text"].get<std::string>();
    if (auto at = text.find("(Escalated"); at != std::string::npos)
      escalated.push_back(r.url + " " + text.substr(at));
  }
  CHECK(escalated ==
        std::vector<std::string>{
            "http://127.0.0.1:9/later (Escalated: not acknowledged 15 min after it fired.)",
            "http://127.0.0.1:9/last (Escalated: not acknowledged 1 h after it fired.)"});
  // The resolution reaches every channel that had the firing.
  f.exec("UPDATE alerts SET state = 'resolved' WHERE id = 10");
  CHECK(f.transition_of(1, 10, Notice::Event::resolved, kStart + 4'000'000) == 3);
}

namespace {

nlohmann::json grouping(const char* wait, const char* interval, const char* repeat,
                        nlohmann::json by = {"alertname"}) {
  return {{"group_by", by},
          {"group_wait", wait},
          {"group_interval", interval},
          {"repeat_interval", repeat}};
}

// The sent group's alerts as "id:event".
std::vector<std::string> group_alerts(const Request& r) {
  std::vector<std::string> out;
  auto body = nlohmann::json::parse(r.body);
  for (const auto& a : body["group"]["alerts"])
    out.push_back(fmt::format("{}:{}", a["id"].get<int>(), a["event"].get<std::string>()));
  return out;
}

}  // namespace

TEST_CASE(
    "a grouped channel waits group_wait, sends news after group_interval, repeats until "
    "acknowledged") {
  Fixture f;
  auto g = f.channel("g", grouping("30s", "5m", "1h"));
  f.rule(1, fmt::format("[{}]", g));
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  CHECK(f.dispatcher->run_due() == 0);
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:waiting:0", g)});
  CHECK(f.dispatcher->next_due() == kStart + 30'000);
  f.clock.set_ms(kStart + 10'000);
  f.transition_of(1, 11, Notice::Event::firing, kStart + 10'000);
  CHECK(f.dispatcher->run_due() == 0);
  f.clock.set_ms(kStart + 30'000);
  CHECK(f.dispatcher->run_due() == 1);  // one message for both
  f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 1);
  auto first = nlohmann::json::parse(f.transport.sent[0].body);
  CHECK(first["title"] == "[FIRING:2] R1 (critical)");
  CHECK(first["group"]["labels"] == nlohmann::json{{"alertname", "R1"}});
  CHECK(group_alerts(f.transport.sent[0]) == std::vector<std::string>{"10:firing", "11:firing"});
  // The group row is the idempotency key.
  CHECK(f.transport.sent[0].headers.at(1) ==
        fmt::format("Idempotency-Key: telltale-{}", first["notification_id"].get<int>()));
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:grouped:0", g),
                                               fmt::format("{}:firing:grouped:0", g),
                                               fmt::format("{}:group:delivered:1", g)});

  // News within group_interval waits for it: a new alert and a resolution go out together,
  // with what still fires.
  f.clock.set_ms(kStart + 60'000);
  f.transition_of(1, 12, Notice::Event::firing, kStart + 60'000);
  f.exec("UPDATE alerts SET state = 'resolved' WHERE id = 10");
  f.transition_of(1, 10, Notice::Event::resolved, kStart + 120'000, kStart);
  CHECK(f.dispatcher->run_due() == 0);
  CHECK(f.dispatcher->next_due() == kStart + 30'000 + 300'000);
  f.clock.set_ms(kStart + 30'000 + 300'000 - 1);
  CHECK(f.dispatcher->run_due() == 0);
  f.clock.advance_ms(1);
  CHECK(f.dispatcher->run_due() == 1);
  f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 2);
  CHECK(group_alerts(f.transport.sent[1]) ==
        std::vector<std::string>{"10:resolved", "11:firing", "12:firing"});
  CHECK(nlohmann::json::parse(f.transport.sent[1].body)["group"]["repeat"] == false);

  // Still firing, nobody acknowledged: again after repeat_interval, with the firing alerts only.
  TimeMs sent = f.clock.now_ms();
  CHECK(f.dispatcher->next_due() == sent + 3'600'000);
  f.clock.set_ms(sent + 3'600'000);
  CHECK(f.dispatcher->run_due() == 1);
  f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 3);
  CHECK(group_alerts(f.transport.sent[2]) == std::vector<std::string>{"11:firing", "12:firing"});
  auto repeat = nlohmann::json::parse(f.transport.sent[2].body);
  CHECK(repeat["group"]["repeat"] == true);
  CHECK(repeat["text"].get<std::string>().find("Repeated") != std::string::npos);
  // An acknowledged alert is left out of repeats; when all are, repeats stop.
  f.exec(fmt::format("UPDATE alerts SET acked_by = 'bob', acked_at = {} WHERE id = 11",
                     f.clock.now_ms()));
  f.clock.advance_ms(3'600'000);
  CHECK(f.dispatcher->run_due() == 1);
  f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 4);
  CHECK(group_alerts(f.transport.sent[3]) == std::vector<std::string>{"12:firing"});
  f.exec(fmt::format("UPDATE alerts SET acked_by = 'bob', acked_at = {} WHERE id = 12",
                     f.clock.now_ms()));
  f.clock.advance_ms(10 * 3'600'000LL);
  CHECK(f.dispatcher->run_due() == 0);
  CHECK(f.dispatcher->next_due() == std::nullopt);
}

TEST_CASE(
    "group_by splits the groups, and a group row is sent again after a restart with the same key") {
  Fixture f;
  auto g = f.channel("g", grouping("10s", "5m", "4h", {"zone"}));
  f.rule(1, fmt::format("[{}]", g));
  f.zones = {{10, "west"}, {11, "east"}, {12, "west"}};
  for (std::int64_t a : {10, 11, 12}) f.transition_of(1, a, Notice::Event::firing, kStart);
  f.clock.set_ms(kStart + 10'000);
  f.transport.next = {false, false, "connection refused"};
  CHECK(f.dispatcher->run_due() == 2);  // both groups formed; the channel's head is tried
  // Killed before the answer was recorded: the next process sends the same row again.
  f.dispatcher =
      std::make_unique<Dispatcher>(*f.writer, *f.readers, f.transport, f.clock, f.options);
  f.dispatcher->resume();
  f.transport.next = {true, false, ""};
  for (int i = 0; i < 4; ++i) f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 3);
  CHECK(f.transport.sent[0].headers.at(1) == f.transport.sent[1].headers.at(1));
  CHECK(f.transport.sent[1].headers.at(1) != f.transport.sent[2].headers.at(1));
  auto west = nlohmann::json::parse(f.transport.sent[1].body);
  CHECK(west["group"]["labels"] == nlohmann::json{{"zone", "west"}});
  CHECK(group_alerts(f.transport.sent[1]) == std::vector<std::string>{"10:firing", "12:firing"});
  CHECK(nlohmann::json::parse(f.transport.sent[2].body)["group"]["labels"] ==
        nlohmann::json{{"zone", "east"}});
  CHECK(group_alerts(f.transport.sent[2]) == std::vector<std::string>{"11:firing"});
  auto groups = f.readers->with([](SQLite::Database& db) -> Result<std::string> {
    return db
        .execAndGet(
            "SELECT group_concat(state || ':' || attempts) FROM notifications WHERE event = "
            "'group'")
        .getString();
  });
  CHECK(groups.value() == "delivered:1,delivered:1");
}

TEST_CASE(
    "after an outage a superseded group row collapses into the newer one, and repeats wait for the "
    "queue") {
  Fixture f;
  auto g = f.channel("g", grouping("30s", "5m", "1h"));
  f.rule(1, fmt::format("[{}]", g));
  f.transport.next = {false, false, "connection refused"};
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.clock.set_ms(kStart + 30'000);
  f.dispatcher->run_due();  // the first group row: the receiver is down
  f.clock.set_ms(kStart + 60'000);
  f.exec("UPDATE alerts SET state = 'resolved' WHERE id = 10");
  f.transition_of(1, 10, Notice::Event::resolved, kStart + 60'000, kStart);
  f.transition_of(1, 11, Notice::Event::firing, kStart + 60'000);
  f.clock.set_ms(kStart + 30'000 + 300'000);
  f.dispatcher->run_due();  // the second group row, queued behind the first
  f.clock.set_ms(kStart + 3 * 86'400'000LL);
  f.transport.next = {true, false, ""};
  for (int i = 0; i < 6; ++i) f.dispatcher->run_due();
  auto rows = f.readers->with([](SQLite::Database& db) -> Result<std::string> {
    return db.execAndGet("SELECT group_concat(state, ',') FROM notifications WHERE event = 'group'")
        .getString();
  });
  CHECK(rows.value() == "collapsed,delivered");  // no repeat was queued behind them
  REQUIRE(f.transport.sent.size() >= 1);
  CHECK(group_alerts(f.transport.sent.back()) ==
        std::vector<std::string>{"10:resolved", "11:firing"});
  CHECK(f.dispatcher->next_due() == f.clock.now_ms() + 3'600'000);
}

TEST_CASE("a muted alert's firing is not sent; when the mute ends while it fires it is sent then") {
  Fixture f;
  auto a = f.channel("a");
  f.rule(1, fmt::format("[{}]", a));
  std::set<std::int64_t> muted{10};
  f.dispatcher->mute_with([&](const std::vector<std::int64_t>& ids) {
    std::set<std::int64_t> out;
    for (auto id : ids)
      if (muted.count(id)) out.insert(id);
    return out;
  });
  f.transition_of(1, 10, Notice::Event::firing, kStart);
  f.transition_of(1, 11, Notice::Event::firing, kStart);
  for (int i = 0; i < 4; ++i) f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 1);  // 11 only
  CHECK(nlohmann::json::parse(f.transport.sent[0].body)["alert"]["id"] == 11);
  CHECK(f.states() == std::vector<std::string>{fmt::format("{}:firing:muted:0", a),
                                               fmt::format("{}:firing:delivered:1", a)});
  muted.clear();  // the silence ends; alert 10 still fires
  for (int i = 0; i < 4; ++i) f.dispatcher->run_due();
  REQUIRE(f.transport.sent.size() == 2);
  CHECK(nlohmann::json::parse(f.transport.sent[1].body)["alert"]["id"] == 10);
  // A firing muted until it resolved: neither it nor its resolution is sent.
  muted = {12};
  f.transition_of(1, 12, Notice::Event::firing, kStart);
  for (int i = 0; i < 4; ++i) f.dispatcher->run_due();
  f.exec("UPDATE alerts SET state = 'resolved' WHERE id = 12");
  muted.clear();
  f.transition_of(1, 12, Notice::Event::resolved, kStart + 1000);
  for (int i = 0; i < 4; ++i) f.dispatcher->run_due();
  CHECK(f.transport.sent.size() == 2);
}
