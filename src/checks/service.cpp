#include "checks/service.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "core/duration.h"
#include "core/json.h"
#include "core/random.h"
#include "db/table.h"
#include "probes/descriptor.h"

namespace tt::checks {

namespace {

constexpr const char* kColumns =
    "c.id, c.name, c.kind, c.target, c.interval_ms, c.timeout_ms, c.retries, c.node_id, c.labels, "
    "c.enabled, "
    "c.conditions, c.options, c.push_token, c.state, c.state_since, c.flapping, c.last_result, "
    "c.created_at, "
    "c.updated_at, coalesce(n.name, '')";
constexpr const char* kSource = "checks c LEFT JOIN nodes n ON n.id = c.node_id";

Check read_check(SQLite::Statement& st) {
  Check c;
  c.id = st.getColumn(0).getInt64();
  c.name = st.getColumn(1).getString();
  c.kind = st.getColumn(2).getString();
  c.target = st.getColumn(3).getString();
  c.interval_ms = st.getColumn(4).getInt64();
  c.timeout_ms = st.getColumn(5).getInt64();
  c.retries = st.getColumn(6).getInt();
  if (!st.getColumn(7).isNull()) c.node_id = st.getColumn(7).getInt64();
  c.labels = nlohmann::json::parse(st.getColumn(8).getString()).get<Labels>();
  c.enabled = st.getColumn(9).getInt() != 0;
  c.conditions =
      nlohmann::json::parse(st.getColumn(10).getString()).get<std::vector<std::string>>();
  c.options = nlohmann::json::parse(st.getColumn(11).getString());
  if (!st.getColumn(12).isNull()) c.push_token = st.getColumn(12).getString();
  c.state = parse_check_state(st.getColumn(13).getString()).value_or(CheckState::pending);
  if (!st.getColumn(14).isNull()) c.state_since = st.getColumn(14).getInt64();
  c.flapping = st.getColumn(15).getInt() != 0;
  if (!st.getColumn(16).isNull())
    c.last_result = nlohmann::json::parse(st.getColumn(16).getString());
  c.created_at = st.getColumn(17).getInt64();
  c.updated_at = st.getColumn(18).getInt64();
  c.node_name = st.getColumn(19).getString();
  return c;
}

std::optional<Check> find_check(SQLite::Database& db, const std::string& where,
                                const std::string& arg) {
  SQLite::Statement st(db, fmt::format("SELECT {} FROM {} WHERE {}", kColumns, kSource, where));
  st.bind(1, arg);
  if (!st.executeStep()) return std::nullopt;
  return read_check(st);
}

// Name uniqueness and the node reference, checked inside the writer job.
Result<void> check_references(SQLite::Database& db, Check& c) {
  SQLite::Statement st(db, "SELECT 1 FROM checks WHERE name = ? AND id != ?");
  st.bind(1, c.name);
  st.bind(2, c.id);
  if (st.executeStep())
    return Error::make(ErrorKind::conflict, "CHECK_EXISTS",
                       fmt::format("a check named '{}' already exists", c.name));
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
  return ok();
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
  st.bind(":updated_at", static_cast<std::int64_t>(c.updated_at));
}

constexpr events::Resource kChecks{"checks", "check", "check"};
constexpr db::Table<Check> kTable{.name = "checks",
                                  .columns = kColumns,
                                  .read = read_check,
                                  .noun = "check",
                                  .not_found_code = "CHECK_NOT_FOUND",
                                  .from = kSource,
                                  .id = "c.id"};

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
  std::string f = !sort.empty() && sort[0] == '-' ? sort.substr(1) : sort;
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
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Check>> {
    std::vector<Check> out;
    SQLite::Statement st(db, fmt::format("SELECT {} FROM {} ORDER BY c.id", kColumns, kSource));
    while (st.executeStep()) out.push_back(read_check(st));
    return out;
  });
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
    SQLite::Statement st(
        change.db(),
        "INSERT INTO checks(name, kind, target, interval_ms, timeout_ms, retries, node_id, labels, "
        "enabled, conditions, options, push_token, state, state_since, created_at, updated_at) "
        "VALUES (:name, :kind, :target, :interval_ms, :timeout_ms, :retries, :node_id, :labels, "
        ":enabled, :conditions, :options, :push_token, :state, :state_since, :created_at, "
        ":updated_at)");
    bind_check(st, c);
    st.bind(":created_at", static_cast<std::int64_t>(c.created_at));
    st.exec();
    c.id = change.db().getLastInsertRowid();
    change.created(kChecks, c.id, to_json(c), {{"name", c.name}, {"kind", c.kind}});
    change.after_commit([this, c] { m_runner.upsert(c); });
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
    SQLite::Statement st(
        change.db(),
        "UPDATE checks SET name=:name, kind=:kind, target=:target, interval_ms=:interval_ms, "
        "timeout_ms=:timeout_ms, retries=:retries, node_id=:node_id, labels=:labels, "
        "enabled=:enabled, "
        "conditions=:conditions, options=:options, push_token=:push_token, updated_at=:updated_at, "
        "state=:state, state_since=:state_since, flapping=:flapping WHERE id=:id");
    bind_check(st, c);
    st.bind(":flapping", c.flapping ? 1 : 0);
    st.bind(":id", id);
    st.exec();
    change.updated(kChecks, id, to_json(c), diff, {{"changed", diff.changed}});
    change.after_commit([this, c] { m_runner.upsert(c); });
    return c;
  });
  if (r.ok() && unchanged) return with_live(std::move(r.value()));
  return r;  // the runner takes the change on the loop; the row is what holds now
}

Result<void> CheckService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Check found = TT_TRY(kTable.get(change.db(), id));
    kTable.erase(change.db(), id);
    change.deleted(kChecks, id, to_json(found), {{"name", found.name}});
    change.after_commit([this, id] { m_runner.remove(id); });
    return ok();
  });
}

Result<Page<Check>> CheckService::list(const CheckQuery& q) {
  auto page = m_readers.with([&](SQLite::Database& db) -> Result<Page<Check>> {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (q.kind) {
      where += " AND c.kind = ?";
      args.push_back(*q.kind);
    }
    if (q.state) {
      where += " AND c.state = ?";
      args.emplace_back(to_string(*q.state));
    }
    if (q.node_id) {
      where += " AND c.node_id = ?";
      args.push_back(std::to_string(*q.node_id));
    }
    for (const auto& [k, v] : q.labels) {
      where += " AND json_extract(c.labels, ?) = ?";
      args.push_back("$.\"" + k + "\"");
      args.push_back(v);
    }
    if (!q.text.empty()) {
      where +=
          " AND (instr(lower(c.name), lower(?)) > 0 OR instr(lower(redact_url(c.target)), "
          "lower(?)) > 0)";
      args.insert(args.end(), 2, q.text);
    }
    auto bind_all = [&](SQLite::Statement& st) {
      for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
    };
    Page<Check> page;
    page.request = q.page;
    {
      SQLite::Statement st(db, fmt::format("SELECT count(*) FROM {}{}", kSource, where));
      bind_all(st);
      st.executeStep();
      page.total = st.getColumn(0).getInt64();
    }
    bool desc = !q.sort.empty() && q.sort[0] == '-';
    std::string field = desc ? q.sort.substr(1) : q.sort;
    if (!valid_check_sort(q.sort)) field = "name";
    const char* dir = desc ? "DESC" : "ASC";
    SQLite::Statement st(
        db,
        fmt::format("SELECT {} FROM {}{} ORDER BY c.{} {}, c.id {} LIMIT {} OFFSET {}", kColumns,
                    kSource, where, field, dir, dir, q.page.per_page, q.page.offset()));
    bind_all(st);
    while (st.executeStep()) page.items.push_back(read_check(st));
    return page;
  });
  if (page.ok())
    for (auto& c : page->items) c = with_live(std::move(c));
  return page;
}

Result<nlohmann::json> CheckService::run_now(std::int64_t id) {
  auto c = get(id);
  if (!c.ok()) return std::move(c).error();
  if (!probes::find_kind(c->kind)->make)
    return Error::make(
        ErrorKind::conflict, "CHECK_IS_PASSIVE",
        "push checks run when their job calls the push URL; they cannot be run from here");
  auto promise = std::make_shared<std::promise<nlohmann::json>>();
  auto future = promise->get_future();
  m_runner.run_now(id, [promise](nlohmann::json result) { promise->set_value(std::move(result)); });
  // The probe answers by its timeout; the margin covers a busy loop.
  if (future.wait_for(std::chrono::milliseconds(c->timeout_ms + 5000)) != std::future_status::ready)
    return Error::make(ErrorKind::unavailable, "CHECK_RUN_TIMEOUT",
                       "the run did not finish in time; try again");
  auto result = future.get();
  if (result.is_null())
    return Error::make(ErrorKind::unavailable, "CHECK_RUN_CANCELLED",
                       "the run was cancelled (the check changed or the server is stopping)");
  return result;
}

Result<void> CheckService::push(const std::string& token, const Heartbeat& hb) {
  auto c = m_readers.with([&](SQLite::Database& db) -> Result<Check> {
    auto found = find_check(db, "c.push_token = ?", token);
    if (!found)
      return Error::make(ErrorKind::not_found, "PUSH_TOKEN_UNKNOWN", "no push check has this URL");
    return *found;
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

}  // namespace tt::checks
