#include "notify/service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <future>

#include "core/log.h"
#include "core/names.h"
#include "core/redact.h"
#include "core/series.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::notify {

namespace {

using nlohmann::json;

constexpr const char* kColumns = "id, name, kind, config, created_at, updated_at, grouping";

Channel read_channel(SQLite::Statement& st) {
  Channel c;
  db::read_row(st, c.id, c.name, c.kind, db::json_text(c.config), c.created_at, c.updated_at,
               db::json_text(c.grouping));
  return c;
}

constexpr db::Table<Channel> kTable{
    "channels",          kColumns,
    read_channel,        "channel",
    "CHANNEL_NOT_FOUND", "name, kind, config, updated_at, grouping"};

void bind_channel(SQLite::Statement& st, const Channel& c) {
  st.bind(":name", c.name);
  st.bind(":kind", c.kind);
  st.bind(":config", c.config.dump());
  st.bind(":updated_at", c.updated_at);
  if (c.grouping)
    st.bind(":grouping", c.grouping->dump());
  else
    st.bind(":grouping");
}

Error invalid(std::vector<FieldError> errs) {
  return Error{ErrorKind::validation, "VALIDATION_FAILED", "invalid channel", std::move(errs), {}};
}

Result<void> check_unique(SQLite::Database& db, const Channel& c) {
  if (kTable.taken(db, c.id, "name = ?", c.name))
    return Error::make(ErrorKind::conflict, "CHANNEL_EXISTS",
                       fmt::format("a channel named '{}' already exists", c.name));
  return ok();
}

// Applies the input to `c`: the kind must exist, the config validates against it, and secrets
// (and secret parts of URLs and headers) sent back masked keep their stored values (when the
// kind stays the same).
Result<void> apply(Channel& c, const ChannelInput& in) {
  bool same_kind = !in.kind || *in.kind == c.kind;
  if (in.name) c.name = *in.name;
  if (in.kind) c.kind = *in.kind;
  const auto* kind = find_channel_kind(c.kind);
  if (!kind) {
    std::string list;
    for (const auto* k : channel_kinds()) list += (list.empty() ? "" : ", ") + k->kind;
    return invalid({{"kind", "must be one of " + list}});
  }
  json config = in.config ? *in.config : c.config;
  if (in.config && same_kind) config = redact::restore_options(kind->options, config, c.config);
  auto normalized = normalize_config(*kind, config);
  if (!normalized.ok()) return std::move(normalized).error();
  c.config = std::move(normalized.value());
  if (in.grouping && in.grouping->is_null()) {
    c.grouping.reset();
  } else if (in.grouping) {
    auto grouping = normalize_options(
        grouping_options(), *in.grouping, {"grouping", "channel", "grouping"}, [](const json& g) {
          std::vector<FieldError> errs;
          for (const auto& l : g["group_by"])
            if (!valid_label_name(l.get<std::string>()) && l != "...")
              errs.push_back(
                  {"grouping.group_by", "must be label names, or [\"...\"] for all labels"});
          return errs;
        });
    if (!grouping.ok()) return std::move(grouping).error();
    c.grouping = std::move(grouping.value());
  }
  return ok();
}

constexpr const char* kNotificationColumns =
    "n.id, n.channel_id, c.name, n.transition_id, n.alert_id, n.event, n.state, n.attempts, "
    "n.last_error, n.created_at, n.next_at, n.sent_at, coalesce(json_extract(n.payload, "
    "'$.rule_name'), json_extract(n.payload, '$.alerts[0].alert.rule_name')), n.group_key, "
    "n.group_id";

// A row of the outbox as the API lists it.
json read_notification(SQLite::Statement& st) {
  auto or_null = [&](int i, json value) { return st.getColumn(i).isNull() ? json() : value; };
  auto time_or_null = [&](int i) {
    return st.getColumn(i).isNull() ? json() : json(format_rfc3339(st.getColumn(i).getInt64()));
  };
  const std::string state = st.getColumn(6).getString();
  return {{"id", st.getColumn(0).getInt64()},
          {"channel_id", st.getColumn(1).getInt64()},
          {"channel", st.getColumn(2).getString()},
          {"transition_id", or_null(3, st.getColumn(3).getInt64())},
          {"alert_id", or_null(4, st.getColumn(4).getInt64())},
          {"group", or_null(13, json::parse(st.getColumn(13).getString(), nullptr, false))},
          {"group_id", or_null(14, st.getColumn(14).getInt64())},
          {"rule", or_null(12, st.getColumn(12).getString())},
          {"event", st.getColumn(5).getString()},
          {"state", state},
          {"attempts", st.getColumn(7).getInt()},
          {"last_error", or_null(8, st.getColumn(8).getString())},
          {"created_at", time_or_null(9)},
          {"next_attempt_at", state == "pending" ? time_or_null(10) : json()},
          {"sent_at", time_or_null(11)}};
}

}  // namespace

json to_json(const Channel& c) {
  const auto* kind = find_channel_kind(c.kind);
  return {{"id", c.id},
          {"name", c.name},
          {"kind", c.kind},
          {"config", kind ? redact_options(kind->options, c.config) : json::object()},
          {"grouping", c.grouping ? *c.grouping : json()},
          {"created_at", format_rfc3339(c.created_at)},
          {"updated_at", format_rfc3339(c.updated_at)}};
}

const OptionSpecs& channel_fields() {
  using T = OptionType;
  static const OptionSpecs specs{
      name_field(),
      // Checked against the kinds when applied, where an unknown kind lists the known ones.
      {.name = "kind", .type = T::string, .required = true},
      {.name = "config", .type = T::object, .help = "the kind's options", .required = true},
      {.name = "grouping",
       .type = T::object,
       .help = "group_by, group_wait, group_interval, repeat_interval; null: no grouping",
       .nullable = true},
  };
  return specs;
}

Result<ChannelInput> decode_channel_input(const json& body, bool create) {
  auto v = TT_TRY(decode_fields(channel_fields(), body,
                                create ? InputMode::create : InputMode::patch, "channel"));
  ChannelInput in;
  take(v, "name", in.name);
  take(v, "kind", in.kind);
  take(v, "config", in.config);
  take(v, "grouping", in.grouping);
  return in;
}

Result<Channel> ChannelService::create(const ChannelInput& in, const Actor& actor) {
  Channel c;
  TT_TRY(apply(c, in));
  return m_log.commit<Channel>(actor, [&](events::Change& change) -> Result<Channel> {
    c.created_at = c.updated_at = change.now();
    TT_TRY(check_unique(change.db(), c));
    c.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
      bind_channel(st, c);
      st.bind(":created_at", c.created_at);
    });
    change.audit("channel.create", std::to_string(c.id), {{"name", c.name}, {"kind", c.kind}});
    return c;
  });
}

Result<Channel> ChannelService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); });
}

Result<Channel> ChannelService::update(std::int64_t id, const ChannelInput& patch,
                                       const Actor& actor) {
  return m_log.commit<Channel>(actor, [&](events::Change& change) -> Result<Channel> {
    const Channel found = TT_TRY(kTable.get(change.db(), id));
    Channel c = found;
    TT_TRY(apply(c, patch));
    TT_TRY(check_unique(change.db(), c));
    c.updated_at = change.now();
    kTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_channel(st, c); });
    std::vector<std::string> changed;
    if (c.name != found.name) changed.push_back("name");
    if (c.kind != found.kind) changed.push_back("kind");
    if (c.config != found.config) changed.push_back("config");
    if (c.grouping != found.grouping) changed.push_back("grouping");
    change.audit("channel.update", std::to_string(id), {{"changed", changed}});
    return c;
  });
}

Result<void> ChannelService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Channel found = TT_TRY(kTable.get(change.db(), id));
    SQLite::Statement users(
        change.db(),
        "SELECT r.name FROM alert_rules r WHERE EXISTS(SELECT 1 FROM json_each(r.channels) j WHERE "
        "j.value = ?1) OR EXISTS(SELECT 1 FROM json_each(r.escalations) e, json_each(e.value, "
        "'$.channels') c WHERE c.value = ?1) ORDER BY r.name");
    users.bind(1, id);
    std::vector<std::string> rules;
    while (users.executeStep()) rules.push_back(users.getColumn(0).getString());
    if (!rules.empty())
      return Error::make(
          ErrorKind::conflict, "CHANNEL_IN_USE",
          fmt::format("alert rules still send to this channel: {}", fmt::join(rules, ", ")));
    kTable.erase(change.db(), id);
    change.audit("channel.delete", std::to_string(id), {{"name", found.name}});
    return ok();
  });
}

Result<Page<Channel>> ChannelService::list(const PageRequest& page) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Channel>> {
    return kTable.page(db, page, "name, id");
  });
}

Result<void> ChannelService::test(std::int64_t id, const Actor& actor) {
  auto c = get(id);
  if (!c.ok()) return std::move(c).error();
  const auto* kind = find_channel_kind(c->kind);
  if (!kind) return kTable.not_found(id);
  Notice n;
  n.event = Notice::Event::test;
  n.rule_name = "Telltale test";
  n.severity = "info";
  n.at = n.sent_at = n.active_at = m_clock.now_ms();
  auto request = kind->render(c->config, n);
  if (!request.ok()) return std::move(request).error();
  auto promise = std::make_shared<std::promise<Outcome>>();
  auto future = promise->get_future();
  m_transport.send(std::move(request.value()),
                   [promise](Outcome o) { promise->set_value(std::move(o)); });
  if (future.wait_for(std::chrono::milliseconds(kRequestTimeoutMs + 5000)) !=
      std::future_status::ready)
    return Error::make(ErrorKind::gateway_timeout, "CHANNEL_TEST_TIMEOUT",
                       "the receiver did not answer in time");
  auto outcome = future.get();
  log::info("channel {} ('{}') tested by {}: {}", id, c->name, actor.name,
            outcome.ok ? "delivered" : outcome.error);
  if (!outcome.ok)
    return Error::make(ErrorKind::bad_gateway, "CHANNEL_TEST_FAILED",
                       fmt::format("the receiver refused the test: {}", outcome.error));
  return ok();
}

Result<Page<json>> ChannelService::notifications(const NotificationQuery& q) {
  db::Filter filter;
  if (q.state) filter.add("n.state = ?", *q.state);
  if (q.channel_id) filter.add("n.channel_id = ?", *q.channel_id);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<json>> {
    return db::select_page<json>(db, kNotificationColumns,
                                 "notifications n JOIN channels c ON c.id = n.channel_id", q.page,
                                 "n.id DESC", filter, read_notification);
  });
}

}  // namespace tt::notify
