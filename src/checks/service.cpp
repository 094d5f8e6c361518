#include "checks/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <span>

#include "core/duration.h"
#include "core/json.h"
#include "core/random.h"
#include "db/row.h"
#include "db/table.h"
#include "probes/descriptor.h"

namespace tt::checks {

namespace {

// The node's name is read from its row (a subquery) at each read, never stored with the check.
constexpr const char* kColumns =
    "id, name, kind, target, interval_ms, timeout_ms, retries, node_id, runs_on, labels, enabled, "
    "conditions, options, push_token, state, state_since, flapping, last_result, created_at, "
    "updated_at, coalesce((SELECT name FROM nodes WHERE nodes.id = node_id), '')";

Check read_check(SQLite::Statement& st) {
  Check c;
  std::string state;
  db::read_row(st, c.id, c.name, c.kind, c.target, c.interval_ms, c.timeout_ms, c.retries,
               c.node_id, c.runs_on, db::json_text(c.labels), c.enabled,
               db::json_text(c.conditions), db::json_text(c.options), c.push_token, state,
               c.state_since, c.flapping, db::json_text(c.last_result), c.created_at, c.updated_at,
               c.node_name);
  c.state = parse_check_state(state).value_or(CheckState::pending);
  return c;
}

constexpr db::Table<Check> kTable{
    "checks",
    kColumns,
    read_check,
    "check",
    "CHECK_NOT_FOUND",
    "name, kind, target, interval_ms, timeout_ms, retries, node_id, runs_on, labels, enabled, "
    "conditions, options, push_token, state, state_since, flapping, updated_at"};

// The node references: the node exists, runs_on is a host with an agent.
Result<void> check_nodes(SQLite::Database& db, Check& c) {
  c.node_name.clear();
  if (c.node_id) {
    SQLite::Statement n(db, "SELECT name FROM nodes WHERE id = ?");
    n.bind(1, *c.node_id);
    if (!n.executeStep())
      return Error{ErrorKind::validation,
                   "VALIDATION_FAILED",
                   "invalid check",
                   {{"node_id", "no node has this id"}},
                   {}};
    c.node_name = n.getColumn(0).getString();
  }
  if (c.runs_on) {
    SQLite::Statement n(db, "SELECT identity IS NOT NULL FROM nodes WHERE id = ?");
    n.bind(1, *c.runs_on);
    if (!n.executeStep() || n.getColumn(0).getInt() == 0)
      return Error{ErrorKind::validation,
                   "VALIDATION_FAILED",
                   "invalid check",
                   {{"runs_on", "no host with an agent has this node id"}},
                   {}};
  }
  return ok();
}

// Name uniqueness and the node references, checked inside the writer job.
Result<void> check_references(SQLite::Database& db, Check& c) {
  if (kTable.taken(db, c.id, "name = ?", c.name))
    return Error::make(ErrorKind::conflict, "CHECK_EXISTS",
                       fmt::format("a check named '{}' already exists", c.name));
  return check_nodes(db, c);
}

// Waits for a run the runner hands `done`: at most the check's timeout and a margin for a busy
// loop; a null result means the run was cancelled.
template <typename Start>
Result<nlohmann::json> wait_for_run(std::int64_t timeout_ms, Start start) {
  auto promise = std::make_shared<std::promise<nlohmann::json>>();
  auto future = promise->get_future();
  start([promise](nlohmann::json result) { promise->set_value(std::move(result)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms + 5000)) != std::future_status::ready)
    return Error::make(ErrorKind::unavailable, "CHECK_RUN_TIMEOUT",
                       "the run did not finish in time; try again");
  auto result = future.get();
  if (result.is_null())
    return Error::make(ErrorKind::unavailable, "CHECK_RUN_CANCELLED",
                       "the run was cancelled (the check changed or the server is stopping)");
  return result;
}

Error passive_error() {
  return Error::make(
      ErrorKind::conflict, "CHECK_IS_PASSIVE",
      "push checks run when their job calls the push URL; they cannot be run from here");
}

void bind_check(SQLite::Statement& st, const Check& c) {
  st.bind(":name", c.name);
  st.bind(":kind", c.kind);
  st.bind(":target", c.target);
  st.bind(":interval_ms", c.interval_ms);
  st.bind(":timeout_ms", c.timeout_ms);
  st.bind(":retries", c.retries);
  if (c.node_id)
    st.bind(":node_id", *c.node_id);
  else
    st.bind(":node_id");
  if (c.runs_on)
    st.bind(":runs_on", *c.runs_on);
  else
    st.bind(":runs_on");
  st.bind(":labels", nlohmann::json(c.labels).dump());
  st.bind(":enabled", c.enabled ? 1 : 0);
  st.bind(":conditions", nlohmann::json(c.conditions).dump());
  st.bind(":options", c.options.dump());
  if (c.push_token)
    st.bind(":push_token", *c.push_token);
  else
    st.bind(":push_token");
  st.bind(":state", std::string(to_string(c.state)));
  if (c.state_since)
    st.bind(":state_since", static_cast<std::int64_t>(*c.state_since));
  else
    st.bind(":state_since");
  st.bind(":flapping", c.flapping ? 1 : 0);
  st.bind(":updated_at", c.updated_at);
}

constexpr events::Resource kChecks{"checks", "check", "check"};

// What a PATCH changed, as the event and audit row tell it (secrets masked). A new secret alone
// does not show in the masked JSON but is a change all the same.
FieldChanges check_changes(const Check& before, const Check& after) {
  auto diff = changed_fields(to_json(before), to_json(after));
  auto shown = to_json(before);
  for (auto [field, differs] : {std::pair{"target", before.target != after.target},
                                std::pair{"options", before.options != after.options}})
    if (differs &&
        std::find(diff.changed.begin(), diff.changed.end(), field) == diff.changed.end()) {
      diff.changed.push_back(field);
      diff.before[field] = shown[field];
    }
  return diff;
}

}  // namespace

bool valid_check_sort(const std::string& sort) {
  const auto parsed = db::parse_sort(sort);
  const std::string_view f = parsed.field;
  return f == "name" || f == "kind" || f == "state" || f == "created_at" || f == "updated_at" ||
         f == "id";
}

nlohmann::json to_json(const ResultRow& r) {
  return {{"at", format_rfc3339(r.at)},
          {"up", r.up},
          {"duration_ms", r.duration_s * 1000.0},
          {"error", r.error.empty() ? nlohmann::json() : nlohmann::json(r.error)},
          {"message", r.message}};
}

Check CheckService::with_live(Check c) const {
  if (auto live = m_runner.live(c.id)) {
    c.state = live->state;
    c.state_since = live->since;
    c.flapping = live->flapping;
    if (live->last) c.last_result = result_json(*live->last);
  }
  return c;
}

Result<std::vector<Check>> CheckService::load_all() {
  return m_readers.with(
      [&](SQLite::Database& db) -> Result<std::vector<Check>> { return kTable.all(db, "id"); });
}

void CheckService::node_renamed(std::int64_t node_id) {
  m_writer.submit<void>(
      [this, node_id](SQLite::Database& db) -> Result<void> {
        db::Filter of_node;
        of_node.add("node_id = ?", node_id);
        for (auto& c : kTable.all(db, "id", of_node)) m_runner.upsert(std::move(c));
        return ok();
      },
      db::Urgency::lazy);
}

Result<Check> CheckService::create(const CheckInput& in, const Actor& actor) {
  Check c;
  TT_TRY(apply_input(c, in));
  if (!probes::find_kind(c.kind)->make) c.push_token = random_hex(16);
  return m_log.commit<Check>(actor, [&](events::Change& change) -> Result<Check> {
    c.created_at = c.updated_at = change.now();
    c.state_since = change.now();
    c.state = c.enabled ? CheckState::pending : CheckState::paused;
    TT_TRY(check_references(change.db(), c));
    c.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
      bind_check(st, c);
      st.bind(":created_at", c.created_at);
    });
    change.created(kChecks, c.id, to_json(c), {{"name", c.name}, {"kind", c.kind}});
    change.after_commit([this, c] { m_runner.upsert(c, Runner::FirstRun::now); });
    return c;
  });
}

Result<Check> CheckService::get(std::int64_t id) {
  return with_live(
      TT_TRY(m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); })));
}

Result<Check> CheckService::update(std::int64_t id, const CheckInput& patch, const Actor& actor) {
  bool unchanged = false;
  auto r = m_log.commit<Check>(actor, [&](events::Change& change) -> Result<Check> {
    const Check found = TT_TRY(kTable.get(change.db(), id));
    Check c = found;
    TT_TRY(apply_input(c, patch));
    TT_TRY(check_references(change.db(), c));
    auto diff = check_changes(found, c);
    unchanged = diff.empty();
    if (unchanged) return c;
    c.updated_at = change.now();
    if (c.enabled != found.enabled) {
      c.state = c.enabled ? CheckState::pending : CheckState::paused;
      c.state_since = change.now();
      c.flapping = false;
    }
    if (!probes::find_kind(c.kind)->make && !c.push_token) c.push_token = random_hex(16);
    if (probes::find_kind(c.kind)->make) c.push_token.reset();
    kTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_check(st, c); });
    change.updated(kChecks, id, to_json(c), diff, {{"changed", diff.changed}});
    change.after_commit([this, c] { m_runner.upsert(c, Runner::FirstRun::now); });
    return c;
  });
  if (r.ok() && unchanged) return with_live(std::move(r.value()));
  return r;  // the runner takes the change on the loop; the row is what holds now
}

Result<void> CheckService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Check found = TT_TRY(kTable.remove(change.db(), id));
    change.deleted(kChecks, id, to_json(found), {{"name", found.name}});
    change.after_commit([this, id] { m_runner.remove(id); });
    return ok();
  });
}

Result<Page<Check>> CheckService::list(const CheckQuery& q) {
  auto page = m_readers.with([&](SQLite::Database& db) -> Result<Page<Check>> {
    db::Filter filter;
    if (q.kind) filter.add("kind = ?", *q.kind);
    if (q.state) filter.add("state = ?", to_string(*q.state));
    if (q.node_id) filter.add("node_id = ?", *q.node_id);
    filter.labels("labels", q.labels);
    if (!q.text.empty())
      filter.add(
          "(instr(lower(name), lower(?)) > 0 OR instr(lower(redact_url(target)), lower(?)) > "
          "0)",
          q.text, q.text);
    const db::Sort sort = db::parse_sort(valid_check_sort(q.sort) ? q.sort : "name");
    return kTable.page(db, q.page, fmt::format("{} {}, id {}", sort.field, sort.dir(), sort.dir()),
                       filter);
  });
  if (page.ok())
    for (auto& c : page->items) c = with_live(std::move(c));
  return page;
}

Result<nlohmann::json> CheckService::run_now(std::int64_t id) {
  auto c = get(id);
  if (!c.ok()) return std::move(c).error();
  if (!probes::find_kind(c->kind)->make) return passive_error();
  return wait_for_run(c->timeout_ms, [&](auto done) { m_runner.run_now(id, std::move(done)); });
}

Result<nlohmann::json> CheckService::test(const CheckInput& in) {
  Check c;
  TT_TRY(apply_input(c, in));
  if (!probes::find_kind(c.kind)->make) return passive_error();
  c.timeout_ms = std::min(c.timeout_ms, kMaxTestTimeoutMs);
  TT_TRY(m_readers.with([&](SQLite::Database& db) { return check_nodes(db, c); }));
  // Each test holds an HTTP thread until its probe answers: a few at a time leave the others
  // to serve everyone else.
  if (m_tests.fetch_add(1) >= kMaxTests) {
    m_tests.fetch_sub(1);
    return Error::make(
        ErrorKind::rate_limited, "CHECK_TESTS_BUSY",
        fmt::format("{} tests are running; try again when one has ended", kMaxTests));
  }
  auto result = wait_for_run(c.timeout_ms, [&](auto done) { m_runner.test(c, std::move(done)); });
  m_tests.fetch_sub(1);
  return result;
}

Result<void> CheckService::push(const std::string& token, const Heartbeat& hb) {
  auto c = m_readers.with([&](SQLite::Database& db) -> Result<Check> {
    auto found = kTable.all(db, "id", db::Filter().add("push_token = ?", token));
    if (found.empty())
      return Error::make(ErrorKind::not_found, "PUSH_TOKEN_UNKNOWN", "no push check has this URL");
    return std::move(found.front());
  });
  if (!c.ok()) return std::move(c).error();
  if (!c->enabled)
    return Error::make(ErrorKind::conflict, "CHECK_PAUSED",
                       fmt::format("check '{}' is paused", c->name));
  m_runner.heartbeat(c->id, hb);
  return ok();
}

Result<std::vector<ResultRow>> CheckService::results(std::int64_t id, TimeMs from, TimeMs to,
                                                     int limit) {
  auto c = get(id);
  if (!c.ok()) return std::move(c).error();
  auto select = [&](const char* metric) -> Result<std::map<TimeMs, double>> {
    std::vector<query::Matcher> m{
        {std::string(kMetricNameLabel), query::MatchOp::equal, metric, nullptr},
        {"check", query::MatchOp::equal, c->name, nullptr}};
    auto series = m_store.select(m, from, to);
    if (!series.ok()) return std::move(series).error();
    std::map<TimeMs, double> out;
    for (const auto& s : series.value())
      for (const auto& sample : s.samples) out[sample.t] = sample.v;
    return out;
  };
  auto ups = select("probe_up");
  if (!ups.ok()) return std::move(ups).error();
  auto durations = select("probe_duration_seconds");
  if (!durations.ok()) return std::move(durations).error();

  std::vector<ResultRow> rows;
  for (auto it = ups->rbegin(); it != ups->rend() && static_cast<int>(rows.size()) < limit; ++it) {
    ResultRow r{it->first, it->second > 0.5, 0, "", ""};
    if (auto d = durations->find(it->first); d != durations->end()) r.duration_s = d->second;
    rows.push_back(std::move(r));
  }
  if (rows.empty()) return rows;
  // The words for each run come from the stretch of identical outcomes that covers it.
  auto words = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement st(
        db,
        "SELECT first_at, last_at, error, message FROM check_outcomes WHERE check_id = ? "
        "AND first_at <= ? AND last_at >= ? ORDER BY first_at DESC");
    st.bind(1, id);
    st.bind(2, static_cast<std::int64_t>(rows.front().at));
    st.bind(3, static_cast<std::int64_t>(rows.back().at));
    std::size_t i = 0;
    while (st.executeStep() && i < rows.size()) {
      TimeMs first = st.getColumn(0).getInt64(), last = st.getColumn(1).getInt64();
      while (i < rows.size() && rows[i].at > last) ++i;  // not covered (yet): no words
      for (; i < rows.size() && rows[i].at >= first; ++i) {
        rows[i].error = st.getColumn(2).getString();
        rows[i].message = st.getColumn(3).getString();
      }
    }
    return true;
  });
  if (!words.ok()) return std::move(words).error();
  return rows;
}

nlohmann::json to_json(const Summary& s) {
  auto ratio = [](std::optional<double> v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  auto ms = [](std::optional<double> v) {
    return v ? nlohmann::json(std::round(*v * 1e6) / 1e3) : nlohmann::json();
  };
  return {{"heartbeat", s.heartbeat},
          {"slot_ms", s.slot_ms},
          {"uptime",
           {{"24h", ratio(s.day.uptime())},
            {"7d", ratio(s.week.uptime())},
            {"30d", ratio(s.month.uptime())}}},
          {"latency_ms", {{"24h", ms(s.day.latency_avg_s())}}},
          {"last_up", s.last_up ? nlohmann::json(format_rfc3339(*s.last_up)) : nlohmann::json()}};
}

Result<std::vector<Stretch>> CheckService::stretches(std::optional<std::int64_t> check, TimeMs from,
                                                     TimeMs to, std::vector<std::int64_t>* nodes) {
  std::unordered_map<std::int64_t, Stretch> open;
  for (auto& s : m_recorder.open_stretches())
    if (s.row != 0 && (!check || s.check_id == *check)) open.emplace(s.row, std::move(s));
  std::vector<Stretch> out;
  auto read = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    // The open stretch's row may be minutes behind: last_at is compared after the merge.
    SQLite::Statement st(
        db, fmt::format("SELECT o.id, o.check_id, o.first_at, o.last_at, o.runs, o.up, "
                        "o.latency_sum, o.error, o.message, c.interval_ms, coalesce(c.node_id, 0) "
                        "FROM check_outcomes o JOIN checks c ON c.id = o.check_id "
                        "WHERE o.first_at <= ? AND o.last_at >= ? {} "
                        "ORDER BY {}o.check_id, o.first_at",
                        check ? "AND o.check_id = ?" : "", nodes ? "c.node_id, " : ""));
    st.bind(1, static_cast<std::int64_t>(to));
    st.bind(2, static_cast<std::int64_t>(from - Recorder::kStretchCheckpointMs));
    if (check) st.bind(3, *check);
    while (st.executeStep()) {
      Stretch s;
      s.row = st.getColumn(0).getInt64();
      if (auto o = open.find(s.row); o != open.end()) {
        s = std::move(o->second);
      } else {
        s.check_id = st.getColumn(1).getInt64();
        s.first_at = st.getColumn(2).getInt64();
        s.last_at = st.getColumn(3).getInt64();
        s.runs = st.getColumn(4).getInt64();
        s.up = st.getColumn(5).getInt() != 0;
        s.timed = !st.getColumn(6).isNull();
        s.latency_sum = st.getColumn(6).getDouble();
        s.error = st.getColumn(7).getString();
        s.message = st.getColumn(8).getString();
      }
      s.interval_ms = st.getColumn(9).getInt64();
      if (s.last_at < from) continue;
      if (nodes) nodes->push_back(st.getColumn(10).getInt64());
      out.push_back(std::move(s));
    }
    return true;
  });
  if (!read.ok()) return std::move(read).error();
  return out;
}

Result<std::map<std::int64_t, Summary>> CheckService::summaries(SummaryOf of, int slots,
                                                                std::optional<std::int64_t> check) {
  constexpr std::int64_t kDay = 86'400'000;
  const TimeMs now = m_clock.now_ms();
  const bool by_node = of == SummaryOf::node;
  std::vector<std::int64_t> nodes;
  const auto all = TT_TRY(stretches(check, now - 30 * kDay, now, by_node ? &nodes : nullptr));
  auto key = [&](std::size_t i) { return by_node ? nodes[i] : all[i].check_id; };
  std::map<std::int64_t, Summary> out;
  // A group's stretches come in a row (stretches() sorts by node when asked for them).
  for (std::size_t first = 0, last = 0; first < all.size(); first = last) {
    while (last < all.size() && key(last) == key(first)) ++last;
    if (key(first) == 0) continue;  // checks without a node
    Summary& sum = out[key(first)];
    const std::span<const Stretch> group(all.data() + first, last - first);
    for (const auto& s : group) {
      sum.day.add(s, now - kDay, now + 1);
      sum.week.add(s, now - 7 * kDay, now + 1);
      sum.month.add(s, now - 30 * kDay, now + 1);
      if (s.up && (!sum.last_up || s.last_at > *sum.last_up)) sum.last_up = s.last_at;
      if (sum.slot_ms == 0 || s.interval_ms < sum.slot_ms) sum.slot_ms = s.interval_ms;
    }
    sum.heartbeat = heartbeat(group, now, sum.slot_ms, slots);
  }
  return out;
}

Result<std::vector<Outage>> CheckService::outages(std::int64_t id, TimeMs from, TimeMs to) {
  TT_TRY(get(id));
  auto list = TT_TRY(stretches(id, from, to));
  return checks::outages(list);
}

}  // namespace tt::checks
