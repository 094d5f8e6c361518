// The evaluator on a frozen clock with a real database: transitions stored and published,
// restart keeps active alerts, acknowledgements, check_state rules, rule deletion. Rule
// validation and the template language.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "../db/fixture.h"
#include "alerts/builtin.h"
#include "alerts/inhibit_service.h"
#include "alerts/service.h"

using namespace tt;
using namespace tt::alerts;

namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

// The shared database fixture, an evaluator over a store in memory and the alert service.
struct Fixture : test::DbFixture {
  query::MemoryStorage store;
  std::vector<CheckStatus> checks;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<AlertService> service;

  Fixture() : DbFixture(kStart) { restart(); }
  // A new evaluator and service over the same database, as after a restart.
  void restart() {
    service.reset();
    evaluator = std::make_unique<Evaluator>(
        *writer, bus, clock, store, [this] { return Result<std::vector<CheckStatus>>(checks); });
    service = std::make_unique<AlertService>(*writer, *readers, bus, *evaluator, clock);
    evaluator->load(service->load_rules().value(), service->load_active().value());
  }
  Rule rule(const char* json) {
    auto in = decode_rule_input(nlohmann::json::parse(json), InputMode::create);
    REQUIRE_MESSAGE(in.ok(), (in.ok() ? "" : in.error().message));
    auto r = service->create(in.value(), actor);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r.value();
  }
  // Moves the frozen clock forward second by second, running the evaluator as its thread would.
  void advance_to(TimeMs t) {
    while (clock.now_ms() < t) {
      clock.advance_ms(1000);
      evaluator->run_due();
    }
  }
  std::vector<Alert> alerts(std::optional<AlertState> state = std::nullopt) {
    AlertQuery q;
    q.state = state;
    return service->alerts(q).value().items;
  }
  // The kinds of the alert events published so far, once `want` of them have crossed the bus.
  std::vector<std::string> alert_events(std::size_t want) {
    std::vector<std::string> kinds;
    for (int i = 0; i < 200 && kinds.size() < want; ++i) {
      if (i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      kinds.clear();
      for (const auto& e : published(0))
        if (e.topic == "alerts" && e.kind.rfind("alert.", 0) == 0) kinds.push_back(e.kind);
    }
    return kinds;
  }
};

std::vector<Sample> constant(TimeMs from, TimeMs to, double v) {
  std::vector<Sample> out;
  for (TimeMs t = from; t <= to; t += 1000) out.push_back({t, v});
  return out;
}

LabelSet up_labels() { return {{"__name__", "up"}, {"job", "api"}}; }

}  // namespace

TEST_CASE(
    "the evaluator on a frozen clock: pending, firing after `for`, resolved; stored and "
    "published") {
  Fixture f;
  f.store.add(up_labels(), constant(kStart - 60'000, kStart + 60'000, 0));
  f.store.add(up_labels(), constant(kStart + 61'000, kStart + 200'000, 1));
  auto r =
      f.rule(R"({"name":"Down","expr":"up == 0","for":"20s","interval":"10s","severity":"critical",
                      "annotations":{"summary":"{{ $labels.job }} is down"}})");
  TimeMs first = first_slot_after(r.id, 10'000, kStart);

  f.advance_to(first);
  auto pending = f.alerts();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].state == AlertState::pending);
  CHECK(pending[0].active_at == first);
  CHECK(pending[0].annotations.at("summary") == "api is down");
  CHECK(query::format_labels(pending[0].labels) ==
        R"({alertname="Down", job="api", severity="critical"})");

  f.advance_to(first + 10'000);
  CHECK(f.alerts(AlertState::pending).size() == 1);
  f.advance_to(first + 20'000);  // `for` counts from the first evaluation that found it
  auto firing = f.alerts(AlertState::firing);
  REQUIRE(firing.size() == 1);
  CHECK(firing[0].id == pending[0].id);
  CHECK(firing[0].fired_at == first + 20'000);

  f.advance_to(kStart + 75'000);
  auto resolved = f.alerts(AlertState::resolved);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].id == pending[0].id);
  CHECK(*resolved[0].resolved_at > kStart + 60'000);
  CHECK(*resolved[0].resolved_at <= kStart + 71'000);
  CHECK(f.alert_events(3) ==
        std::vector<std::string>{"alert.pending", "alert.firing", "alert.resolved"});
  auto transitions = f.readers->with([&](SQLite::Database& db) -> Result<int> {
    return db
        .execAndGet("SELECT count(*) FROM alert_transitions WHERE alert_id = " +
                    std::to_string(pending[0].id))
        .getInt();
  });
  CHECK(transitions.value() == 3);
}

TEST_CASE(
    "after a restart an active alert carries on with its active_at; a deleted rule's alerts "
    "resolve") {
  Fixture f;
  f.store.add(up_labels(), constant(kStart - 60'000, kStart + 300'000, 0));
  auto r = f.rule(
      R"({"name":"Down","expr":"up == 0","for":"1m","interval":"10s","severity":"warning"})");
  TimeMs first = first_slot_after(r.id, 10'000, kStart);
  f.advance_to(first + 30'000);
  auto before = f.alerts();
  REQUIRE(before.size() == 1);
  CHECK(before[0].state == AlertState::pending);

  f.restart();
  f.advance_to(first + 60'000);
  auto after = f.alerts();
  REQUIRE(after.size() == 1);  // the same alert, not a new one
  CHECK(after[0].id == before[0].id);
  CHECK(after[0].active_at == first);
  CHECK(after[0].state == AlertState::firing);
  CHECK(after[0].fired_at == first + 60'000);

  REQUIRE(f.service->remove(r.id, f.actor).ok());
  f.advance_to(first + 61'000);
  auto gone = f.alerts();
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].state == AlertState::resolved);
  CHECK(gone[0].rule_id == 0);
  CHECK(gone[0].rule_name == "Down");
}

TEST_CASE(
    "acknowledging an alert records who, when and why; resolved alerts cannot be acknowledged") {
  Fixture f;
  f.store.add(up_labels(), constant(kStart - 60'000, kStart + 30'000, 0));
  auto r = f.rule(R"({"name":"Down","expr":"up == 0","interval":"10s","severity":"info"})");
  f.advance_to(first_slot_after(r.id, 10'000, kStart));
  auto firing = f.alerts(AlertState::firing);
  REQUIRE(firing.size() == 1);
  f.clock.advance_ms(500);
  auto acked = f.service->ack(firing[0].id, "on it", f.actor);
  REQUIRE(acked.ok());
  auto again = f.service->alert(firing[0].id).value();
  REQUIRE(again.ack);
  CHECK(again.ack->by == "alice");
  CHECK(again.ack->comment == "on it");
  CHECK(again.ack->at == f.clock.now_ms());
  auto audit = f.readers->with([&](SQLite::Database& db) -> Result<std::string> {
    return db.execAndGet("SELECT action || ' ' || target FROM audit_log ORDER BY id DESC LIMIT 1")
        .getString();
  });
  CHECK(audit.value() == "alert.ack " + std::to_string(firing[0].id));

  f.store.clear();  // the series is gone
  f.advance_to(kStart + 120'000);
  auto resolved = f.service->alert(firing[0].id).value();
  CHECK(resolved.state == AlertState::resolved);
  CHECK(resolved.ack);  // the acknowledgement stays with the alert
  auto late = f.service->ack(firing[0].id, "", f.actor);
  REQUIRE(!late.ok());
  CHECK(late.error().code == "ALERT_RESOLVED");
  CHECK(f.service->ack(999, "", f.actor).error().code == "ALERT_NOT_FOUND");
}

TEST_CASE("check_state rules fire while a matching check is down, with the check's labels") {
  Fixture f;
  f.checks = {{1, {{"check", "web"}, {"kind", "http"}, {"node", "n1"}}, true},
              {2, {{"check", "dns"}, {"kind", "dns"}, {"node", "n1"}}, true},
              {3, {{"check", "ping"}, {"kind", "icmp"}, {"node", "n2"}}, false}};
  auto by_id = f.rule(
      R"({"name":"WebDown","kind":"check_state","check_id":1,"interval":"5s","severity":"critical"})");
  auto by_labels = f.rule(
      R"({"name":"N1Down","check_selector":"{node=\"n1\"}","interval":"5s","severity":"warning"})");
  CHECK(by_labels.kind == RuleKind::check_state);
  f.advance_to(std::max(first_slot_after(by_id.id, 5'000, kStart),
                        first_slot_after(by_labels.id, 5'000, kStart)));
  CHECK(f.alerts(AlertState::pending).empty());  // `for` is 0s: firing at the first evaluation
  auto firing = f.alerts(AlertState::firing);
  std::vector<std::string> got;
  for (const auto& a : firing) got.push_back(query::format_labels(a.labels));
  std::sort(got.begin(), got.end());
  CHECK(got ==
        std::vector<std::string>{
            R"({alertname="N1Down", check="dns", kind="dns", node="n1", severity="warning"})",
            R"({alertname="N1Down", check="web", kind="http", node="n1", severity="warning"})",
            R"({alertname="WebDown", check="web", kind="http", node="n1", severity="critical"})"});
  f.checks[0].down = false;
  f.advance_to(f.clock.now_ms() + 5'000);
  CHECK(f.alerts(AlertState::firing).size() == 1);
  CHECK(f.alerts(AlertState::resolved).size() == 2);

  // Disabling a rule resolves its alerts at the next round, and after a restart it stays quiet.
  RuleInput off;
  off.enabled = false;
  REQUIRE(f.service->update(by_labels.id, off, f.actor).ok());
  f.advance_to(f.clock.now_ms() + 1'000);
  CHECK(f.alerts(AlertState::firing).empty());
  f.restart();
  f.advance_to(f.clock.now_ms() + 10'000);
  CHECK(f.alerts(AlertState::firing).empty());
  CHECK(f.alerts(AlertState::resolved).size() == 3);
}

TEST_CASE("rules are validated: expressions and templates name the position of the error") {
  auto decode_apply = [](const char* json) -> Result<Rule> {
    auto in = decode_rule_input(nlohmann::json::parse(json), InputMode::create);
    if (!in.ok()) return std::move(in).error();
    Rule r;
    TT_TRY(apply_input(r, in.value()));
    return r;
  };
  auto bad = decode_apply(R"({"name":"x","severity":"info","expr":"rate(up[5m] > 1"})");
  REQUIRE(!bad.ok());
  CHECK(bad.error().code == "EXPR_INVALID");
  CHECK(bad.error().kind == ErrorKind::validation);
  REQUIRE(bad.error().fields.size() == 1);
  CHECK(bad.error().fields[0].field == "expr");
  CHECK(bad.error().fields[0].message.rfind("at position 12:", 0) == 0);

  auto matrix = decode_apply(R"({"name":"x","severity":"info","expr":"up[5m]"})");
  CHECK(matrix.error().fields.at(0).message ==
        "must be an instant vector or a scalar, not a range vector");

  auto tmpl = decode_apply(
      R"({"name":"x","severity":"info","expr":"up","annotations":{"s":"ok {{ $labels.job }} {{ .Foo }}"}})");
  REQUIRE(!tmpl.ok());
  CHECK(tmpl.error().fields.at(0).field == "annotations.s");
  CHECK(tmpl.error().fields.at(0).message.rfind("at position 21:", 0) == 0);

  auto fields = decode_rule_input(
      nlohmann::json::parse(
          R"({"severity":"loud","for":"soon","labels":{"alertname":"x"},"colour":1})"),
      InputMode::create);
  REQUIRE(!fields.ok());
  std::vector<std::string> named;
  for (const auto& e : fields.error().fields) named.push_back(e.field);
  std::sort(named.begin(), named.end());
  CHECK(named == std::vector<std::string>{"colour", "for", "labels.alertname", "name", "severity"});

  auto no_check = decode_apply(R"({"name":"x","severity":"info","kind":"check_state"})");
  CHECK(no_check.error().fields.at(0).field == "check_id");
  auto ok = decode_apply(R"({"name":"x","severity":"info","expr":"up == 0"})");
  REQUIRE(ok.ok());
  CHECK(ok->interval_ms == 15'000);
}

TEST_CASE("templates print values as Go and Prometheus do") {
  CHECK(go_float(1) == "1");
  CHECK(go_float(-0.25) == "-0.25");
  CHECK(go_float(100000) == "100000");
  CHECK(go_float(1e6) == "1e+06");
  CHECK(go_float(1e-5) == "1e-05");
  CHECK(go_float(0.0001) == "0.0001");
  CHECK(go_float(1e21) == "1e+21");
  CHECK(go_float(std::nan("")) == "NaN");
  CHECK(go_float(-HUGE_VAL) == "-Inf");
  CHECK(humanize(0) == "0");
  CHECK(humanize(999) == "999");
  CHECK(humanize(1234) == "1.234k");
  CHECK(humanize(-2500000) == "-2.5M");
  CHECK(humanize(0.0012) == "1.2m");
  auto t = Template::parse("{{ $labels.a }}-{{- \" x \" -}}");
  CHECK(!t.ok());
  auto trimmed = Template::parse(
      "a  {{- $value -}}  b {{$labels.missing}}|{{ .Labels.a }}|{{ $value | humanize }}");
  REQUIRE(trimmed.ok());
  CHECK(trimmed->expand({{"a", "A"}}, 2048) == "a2048b |A|2.048k");
  CHECK(Template::parse("{{ $value").error().message ==
        "at position 0: unclosed action: '{{' without '}}'");
}

TEST_CASE(
    "silences: decoded with their matchers and times, they mute the alerts they select while "
    "active") {
  CHECK(parse_rfc3339("2023-11-14T22:13:20Z") == kStart);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.5+00:00") == kStart + 500);
  CHECK(!parse_rfc3339("2023-11-14 22:13:20Z"));
  CHECK(!parse_rfc3339("2023-11-14T22:13:20+02:00"));
  auto s = decode_silence(nlohmann::json::parse(R"({"matchers":"{alertname=\"Down\", job!~\"b.*\"}",
                                                     "starts_at":"2023-11-14T22:13:30Z","ends_at":"2023-11-14T23:13:20Z"})"),
                          kStart);
  REQUIRE(s.ok());
  LabelSet a{{"alertname", "Down"}, {"job", "api"}};
  LabelSet b{{"alertname", "Down"}, {"job", "batch"}};
  CHECK(!s->mutes(a, kStart));  // not started yet
  CHECK(s->mutes(a, kStart + 10'000));
  CHECK(!s->mutes(b, kStart + 10'000));
  CHECK(!s->mutes(a, kStart + 3'600'000));  // ended
  auto bad = decode_silence(
      nlohmann::json::parse(R"({"matchers":"{job=~\"(\"}","ends_at":"2023-11-14T22:00:00Z"})"),
      kStart);
  REQUIRE(!bad.ok());
  std::vector<std::string> fields;
  for (const auto& e : bad.error().fields) fields.push_back(e.field);
  CHECK(fields == std::vector<std::string>{"matchers", "ends_at"});

  Fixture f;
  f.store.add(up_labels(), constant(kStart - 60'000, kStart + 60'000, 0));
  auto r = f.rule(R"({"name":"Down","expr":"up == 0","interval":"10s","severity":"info"})");
  f.advance_to(first_slot_after(r.id, 10'000, kStart));
  auto made = f.service->create_silence(s.value(), f.actor);
  REQUIRE(made.ok());
  CHECK(!f.alerts().at(0).silenced);
  f.clock.advance_ms(10'000);
  CHECK(f.alerts().at(0).silenced);
  REQUIRE(f.service->expire_silence(made->id, f.actor).ok());
  CHECK(!f.alerts().at(0).silenced);
}

TEST_CASE("inhibit rules: decoded with each bad field named, a PATCH merges") {
  auto r = decode_inhibit_rule(nlohmann::json::parse(
      R"({"name":"site down mutes warnings","source":"{alertname=\"SiteDown\"}","target":"{severity=\"warning\"}","equal":["site","site"]})"));
  REQUIRE(r.ok());
  CHECK(r->equal == std::vector<std::string>{"site"});
  auto bad =
      decode_inhibit_rule(nlohmann::json::parse(R"({"source":"{a=~\"(\"}","equal":["1x"],"x":1})"));
  REQUIRE(!bad.ok());
  std::vector<std::string> fields;
  for (const auto& e : bad.error().fields) fields.push_back(e.field);
  std::sort(fields.begin(), fields.end());
  CHECK(fields == std::vector<std::string>{"equal", "name", "source", "target", "x"});
  auto patched = apply_patch(r.value(), nlohmann::json::parse(R"({"equal":[],"comment":"why"})"));
  REQUIRE(patched.ok());
  CHECK(patched->equal.empty());
  CHECK(patched->source_text == r->source_text);
  CHECK(!apply_patch(r.value(), nlohmann::json::parse(R"({"target":""})")).ok());
}

TEST_CASE(
    "inhibition: a firing source mutes the targets with its equal labels, never itself nor its own "
    "kind") {
  auto rule = [](const char* json) {
    return decode_inhibit_rule(nlohmann::json::parse(json)).value();
  };
  auto alert = [](std::int64_t id, LabelSet labels, AlertState state = AlertState::firing) {
    Alert a;
    a.id = id;
    a.labels = std::move(labels);
    a.state = state;
    return a;
  };
  std::vector<InhibitRule> rules{
      rule(
          R"({"name":"r","source":"{alertname=\"SiteDown\"}","target":"{severity=\"warning\"}","equal":["site"]})"),
      rule(
          R"({"name":"same kind","source":"{alertname=\"Slow\"}","target":"{alertname=\"Slow\"}"})")};
  std::vector<Alert> firing{
      alert(1, {{"alertname", "SiteDown"}, {"severity", "critical"}, {"site", "a"}}),
      alert(2, {{"alertname", "Slow"}, {"severity", "warning"}, {"site", "a"}}),
      alert(3, {{"alertname", "Slow"}, {"severity", "warning"}, {"site", "b"}}),
      alert(4, {{"alertname", "SiteDown"}, {"severity", "critical"}}, AlertState::pending)};
  Inhibition in(rules, firing, {});
  CHECK(in.source_of(firing[1].labels) == 1);
  CHECK(in.source_of(firing[2].labels) == 0);  // site b: no source with its site
  CHECK(in.source_of(firing[0].labels) == 0);  // the source itself
  // A missing equal label equals a missing one, but the only such source is pending.
  CHECK(in.source_of({{"alertname", "Disk"}, {"severity", "warning"}}) == 0);

  // Built in: a node that is down, with a node-level alert firing, mutes its checks' alerts.
  std::vector<Alert> nodes{
      alert(10, {{"alertname", "NodeDown"}, {"node", "gw1"}}),
      alert(11, {{"alertname", "CheckDown"}, {"check", "web"}, {"node", "gw1"}}),
      alert(12, {{"alertname", "CheckDown"}, {"check", "web"}, {"node", "gw2"}})};
  CHECK(Inhibition({}, nodes, {"gw1", "gw2"}).source_of(nodes[1].labels) == 10);
  CHECK(Inhibition({}, nodes, {"gw1", "gw2"}).source_of(nodes[2].labels) ==
        0);  // gw2 has no node-level alert
  CHECK(Inhibition({}, nodes, {"gw1", "gw2"}).source_of(nodes[0].labels) ==
        0);                                                          // the node's own alert stays
  CHECK(Inhibition({}, nodes, {}).source_of(nodes[1].labels) == 0);  // gw1 is not down
}

TEST_CASE(
    "inhibition on a frozen clock: alerts read through the service carry inhibited_by, and muted() "
    "says so") {
  Fixture f;
  f.checks = {{1, {{"check", "web"}, {"kind", "http"}, {"node", "gw1"}}, true},
              {2, {{"check", "dns"}, {"kind", "dns"}, {"node", "gw1"}}, true}};
  f.store.add({{"__name__", "probe_up"}, {"check", "web"}, {"node", "gw1"}},
              constant(kStart - 60'000, kStart + 120'000, 0));
  f.store.add({{"__name__", "probe_up"}, {"check", "dns"}, {"node", "gw1"}},
              constant(kStart - 60'000, kStart + 120'000, 0));
  auto checks = f.rule(
      R"({"name":"CheckDown","check_selector":"{node=\"gw1\"}","interval":"5s","severity":"warning"})");
  auto node = f.rule(
      R"({"name":"NodeDown","expr":"max by (node) (probe_up) == 0","interval":"5s","severity":"critical"})");
  f.advance_to(std::max(first_slot_after(checks.id, 5'000, kStart),
                        first_slot_after(node.id, 5'000, kStart)));
  auto node_alert = [&] {
    for (auto& a : f.alerts(AlertState::firing))
      if (a.rule_id == node.id) return a;
    FAIL("no NodeDown alert");
    return Alert{};
  };
  auto check_alerts = [&] {
    std::vector<Alert> out;
    for (auto& a : f.alerts(AlertState::firing))
      if (a.rule_id == checks.id) out.push_back(a);
    REQUIRE(out.size() == 2);
    return out;
  };
  for (const auto& a : check_alerts())
    CHECK(a.inhibited_by == 0);  // the node's status is not down (yet)
  REQUIRE(f.writer
              ->run<bool>([](SQLite::Database& db) -> Result<bool> {
                db.exec(
                    "INSERT INTO nodes(name, type, status, created_at, updated_at) VALUES ('gw1', "
                    "'network', 'down', 0, 0)");
                return true;
              })
              .ok());
  auto source = node_alert();
  CHECK(source.inhibited_by == 0);
  std::vector<std::int64_t> ids{source.id};
  for (const auto& a : check_alerts()) {
    CHECK(a.inhibited_by == source.id);
    CHECK(a.muted());
    CHECK(to_json(a)["inhibited_by"] == source.id);
    ids.push_back(a.id);
  }
  CHECK(f.service->muted(ids).value() == std::set<std::int64_t>(ids.begin() + 1, ids.end()));

  // A configured rule: the critical node alert mutes every warning of the same node.
  InhibitService inhibit(*f.writer, *f.readers, f.bus, f.clock);
  REQUIRE(f.writer
              ->run<bool>([](SQLite::Database& db) -> Result<bool> {
                db.exec("UPDATE nodes SET status = 'degraded'");
                return true;
              })
              .ok());
  for (const auto& a : check_alerts()) CHECK(a.inhibited_by == 0);
  auto made =
      inhibit.create(decode_inhibit_rule(
                         nlohmann::json::parse(
                             R"({"name":"critical mutes warning","source":"{severity=\"critical\"}",
                                     "target":"{severity=\"warning\"}","equal":["node"]})"))
                         .value(),
                     f.actor);
  REQUIRE(made.ok());
  for (const auto& a : check_alerts()) CHECK(a.inhibited_by == source.id);
  auto renamed =
      inhibit.update(made->id, nlohmann::json::parse(R"({"equal":["node","check"]})"), f.actor);
  REQUIRE(renamed.ok());
  for (const auto& a : check_alerts())
    CHECK(a.inhibited_by == 0);  // the node alert has no check label
  REQUIRE(inhibit.remove(made->id, f.actor).ok());
  CHECK(inhibit.list({}).value().total == 0);

  // The source resolves: nothing is inhibited any more.
  REQUIRE(inhibit.create(made.value(), f.actor).ok());
  for (const auto& a : check_alerts()) CHECK(a.inhibited_by == source.id);
  f.store.add({{"__name__", "probe_up"}, {"check", "web"}, {"node", "gw1"}},
              constant(kStart + 121'000, kStart + 200'000, 1));
  f.advance_to(kStart + 140'000);
  CHECK(f.alerts(AlertState::firing).size() ==
        2);  // CheckDown still firing: the checks list says so
  for (const auto& a : f.alerts(AlertState::firing)) CHECK(a.inhibited_by == 0);
}

TEST_CASE(
    "flap damping: the fires-th firing within the window holds the alert until it has been gone a "
    "window") {
  auto in = decode_rule_input(
      nlohmann::json::parse(R"({"name":"LinkDown","expr":"link_up == 0","severity":"warning",
                                                       "interval":"10s","flap_damping":{"fires":3,"window":"2m"}})"),
      InputMode::create);
  REQUIRE(in.ok());
  Rule rule;
  REQUIRE(apply_input(rule, in.value()).ok());
  REQUIRE(rule.flap_damping == FlapDamping{3, 120'000});
  CHECK(to_json(rule)["flap_damping"] == nlohmann::json{{"fires", 3}, {"window", "2m"}});
  RuleAlerts alerts;
  const query::Vector down{{{{"ifname", "eth0"}}, 0.0}}, up{};
  std::vector<std::string> seen;
  auto eval = [&](TimeMs t, const query::Vector& v) {
    auto transitions =
        alerts.evaluate(rule, v, t);  // kept: a range-for over .value() of a temporary dangles
    REQUIRE(transitions.ok());
    for (const auto& tr : transitions.value())
      seen.push_back(fmt::format("{}:{}{}", t / 1000, to_string(tr.alert.state),
                                 tr.alert.flapping ? "(flapping)" : ""));
  };
  // Bounces every 10 s until 60 s, then stays up.
  for (TimeMs t = 0; t <= 300'000; t += 10'000)
    eval(t, t <= 60'000 && (t / 10'000) % 2 == 0 ? down : up);
  CHECK(seen == std::vector<std::string>{"0:firing", "10:resolved", "20:firing", "30:resolved",
                                         "40:firing(flapping)", "190:resolved(flapping)"});
  // Once the window has passed, the count starts over.
  seen.clear();
  eval(310'000, down);
  eval(320'000, up);
  CHECK(seen == std::vector<std::string>{"310:firing", "320:resolved"});

  auto bad = decode_rule_input(
      nlohmann::json::parse(R"({"flap_damping":{"fires":1,"window":"5s"}})"), InputMode::patch);
  REQUIRE(!bad.ok());
  std::vector<std::string> fields;
  for (const auto& e : bad.error().fields) fields.push_back(e.field);
  CHECK(fields == std::vector<std::string>{"flap_damping.fires", "flap_damping.window"});
  CHECK(
      !decode_rule_input(nlohmann::json::parse(R"({"flap_damping":{"fires":3}})"), InputMode::patch)
           .ok());
  auto off = decode_rule_input(nlohmann::json::parse(R"({"flap_damping":null})"), InputMode::patch);
  REQUIRE(off.ok());
  REQUIRE(apply_input(rule, off.value()).ok());
  CHECK(!rule.flap_damping);
}

TEST_CASE("built-in rules: every one is a valid rule body, created once per database") {
  for (const auto& b : builtin_rules()) {
    CAPTURE(b.key);
    auto in = decode_rule_input(nlohmann::json::parse(b.body), InputMode::create);
    REQUIRE_MESSAGE(in.ok(), (in.ok() ? "" : in.error().message));
    Rule r;
    auto applied = apply_input(r, in.value());
    CHECK_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().message));
  }
  Fixture f;
  auto created = f.service->seed_builtin();
  REQUIRE(created.ok());
  CHECK(created.value() == std::vector<std::string>{"CheckDown", "NodeDown",
                                                    "CertificateExpiringSoon", "PacketLossHigh"});
  auto rules = f.service->list({}).value().items;
  REQUIRE(rules.size() == 4);
  for (const auto& r : rules) {
    CHECK(r.enabled);
    CHECK(r.channels.empty());
    CHECK_FALSE(r.builtin.empty());
    CHECK(to_json(r)["builtin"] == r.builtin);
  }
  // An ordinary rule: deleted by a person, it is not made again at the next start.
  auto check_down = std::find_if(rules.begin(), rules.end(),
                                 [](const Rule& r) { return r.builtin == "check_down"; });
  REQUIRE(f.service->remove(check_down->id, f.actor).ok());
  f.restart();
  CHECK(f.service->seed_builtin().value().empty());
  CHECK(f.service->list({}).value().items.size() == 3);
}

TEST_CASE("built-in rules: a rule of the user's with the same name stands for the built-in one") {
  Fixture f;
  auto mine = f.rule(R"({"name":"NodeDown","expr":"up == 0","severity":"info"})");
  CHECK(f.service->seed_builtin().value().size() == 3);
  auto kept = f.service->get(mine.id).value();
  CHECK(kept.builtin.empty());
  CHECK(kept.expr == "up == 0");
}

TEST_CASE("built-in rules fire: a check down, and a node whose every check is down") {
  Fixture f;
  REQUIRE(f.service->seed_builtin().ok());
  f.restart();  // the evaluator loads them as at a start
  f.checks = {{1, {{"check", "web"}, {"kind", "http"}, {"node", "n1"}}, true}};
  f.store.add({{"__name__", "probe_up"}, {"check", "web"}, {"kind", "http"}, {"node", "n1"}},
              constant(kStart - 60'000, kStart + 300'000, 0));
  f.store.add({{"__name__", "probe_up"}, {"check", "dns"}, {"kind", "dns"}, {"node", "n2"}},
              constant(kStart - 60'000, kStart + 300'000, 1));
  f.advance_to(kStart + 120'000);
  std::vector<std::string> got;
  for (const auto& a : f.alerts(AlertState::firing))
    got.push_back(query::format_labels(a.labels) + " " + a.annotations.at("summary"));
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{
                   R"({alertname="CheckDown", check="web", kind="http", node="n1", )"
                   R"(severity="critical"} Check web is down)",
                   R"({alertname="NodeDown", node="n1", severity="critical"} Node n1 is down: )"
                   R"(every check of it fails)"});
}
