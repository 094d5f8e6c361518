#include "inventory/pins.h"

#include <fmt/format.h>

#include "db/row.h"
#include "db/table.h"
#include "inventory/service.h"
#include "query/ast.h"
#include "query/query.h"

namespace tt::inventory {

namespace {

Pin read_pin(SQLite::Statement& st) {
  Pin p;
  db::read_row(st, p.id, p.node_id, p.title, p.query, p.created_by, p.created_at);
  return p;
}

constexpr db::Table<Pin> kTable{"node_pins",
                                "id, node_id, title, query, created_by, created_at",
                                read_pin,
                                "pin",
                                "PIN_NOT_FOUND",
                                "node_id, title, query",
                                "created_by, created_at"};

constexpr std::string_view kTopic = "nodes";

std::int64_t pin_count(SQLite::Database& db, std::int64_t node_id) {
  SQLite::Statement st(db, "SELECT count(*) FROM node_pins WHERE node_id = ?");
  st.bind(1, node_id);
  st.executeStep();
  return st.getColumn(0).getInt64();
}

Error bad_query(const std::string& message) {
  return Error{ErrorKind::validation,
               "BAD_QUERY",
               fmt::format("the query cannot be drawn: {}", message),
               {{"query", message}},
               {}};
}

// A pin's event: about its node (the subject), so the node's page and its event list hear of it.
void record(events::Change& change, const Pin& p, std::string_view what) {
  change.event(kTopic, fmt::format("node_pin.{}d", what), std::to_string(p.node_id),
               {{"pin", to_json(p)}});
  change.audit(fmt::format("node_pin.{}", what), std::to_string(p.id),
               {{"node_id", p.node_id}, {"title", p.title}, {"query", p.query}});
}

}  // namespace

nlohmann::json to_json(const Pin& p) {
  return {{"id", p.id},
          {"node_id", p.node_id},
          {"title", p.title},
          {"query", p.query},
          {"created_by", p.created_by},
          {"created_at", format_rfc3339(p.created_at)}};
}

const OptionSpecs& pin_fields() {
  static const OptionSpecs specs = [] {
    OptionSpec title = name_field(kMaxPinTitleLen);
    title.name = "title";
    title.help = "what the chart is called on the node's page";
    return OptionSpecs{
        title,
        {.name = "query",
         .type = OptionType::string,
         .help = "PromQL: an instant vector or a scalar",
         .min = 1,
         .max = kMaxPinQueryLen,
         .required = true},
    };
  }();
  return specs;
}

Result<PinInput> decode_pin_input(const nlohmann::json& body) {
  auto v = TT_TRY(decode_fields(pin_fields(), body, InputMode::create, "pin"));
  PinInput in{v["title"].get<std::string>(), v["query"].get<std::string>()};
  auto expr = query::parse_expr(in.query);
  if (!expr) return bad_query(expr.error().message);
  if (auto t = expr.value()->type(); t != query::ValueType::vector && t != query::ValueType::scalar)
    return bad_query(
        fmt::format("must be an instant vector or a scalar, not a {}", query::value_type_name(t)));
  return in;
}

Result<std::vector<Pin>> PinService::list(std::int64_t node_id) {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Pin>> {
    TT_TRY(get_node(db, node_id));
    db::Filter filter;
    filter.add("node_id = ?", node_id);
    return kTable.all(db, "id", filter);
  });
}

Result<Pin> PinService::create(std::int64_t node_id, const PinInput& in, const Actor& actor) {
  return m_log.commit<Pin>(actor, [&](events::Change& change) -> Result<Pin> {
    TT_TRY(get_node(change.db(), node_id));
    if (pin_count(change.db(), node_id) >= static_cast<std::int64_t>(kMaxPinsPerNode))
      return Error::make(ErrorKind::conflict, "TOO_MANY_PINS",
                         fmt::format("node {} has {} pins, the most a node may have: unpin one "
                                     "first",
                                     node_id, kMaxPinsPerNode));
    Pin p{0, node_id, in.title, in.query, actor.name, change.now()};
    p.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
      st.bind(":node_id", p.node_id);
      st.bind(":title", p.title);
      st.bind(":query", p.query);
      st.bind(":created_by", p.created_by);
      st.bind(":created_at", p.created_at);
    });
    record(change, p, "create");
    return p;
  });
}

Result<void> PinService::remove(std::int64_t node_id, std::int64_t pin_id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    auto found = kTable.find(change.db(), pin_id);
    if (!found || found->node_id != node_id) return kTable.not_found(pin_id);
    kTable.erase(change.db(), pin_id);
    record(change, *found, "delete");
    return ok();
  });
}

}  // namespace tt::inventory
