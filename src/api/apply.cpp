// api/apply.cpp — configuration as code: `POST /api/v1/apply` makes the server hold what a
// document declares (nodes, channels, checks, alert rules, silences, maintenance windows, inhibit
// rules, SNMP trap users), in one writer job, so a document with an error changes nothing;
// `GET /api/v1/export` writes the configuration as such a document. Items are matched by their
// names, not ids, and refer to each other by name (a check's `node`, a rule's `channels`), so an
// export applied to an empty server makes the same configuration. The resources' own create,
// update and delete do the work (the catalog of their routes): the same validation, events and
// audit rows as the API, gathered into one transaction by events::Ambient.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "api/api.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/yaml.h"

namespace tt::api {

namespace {

using json = nlohmann::json;

// A field of the document that names other items, and the API field that takes their ids.
struct Ref {
  std::string_view field;       // in the document: a name, or a list of names
  std::string_view body_field;  // in the API's body: the id, or the ids
  std::string_view kind;        // the key of the items named
  std::string_view under = {};  // the field is inside each object of this list (escalations)
};

struct Kind {
  std::string_view key;    // the document's key, e.g. "checks"
  std::string_view path;   // the routes', e.g. "/api/v1/checks"
  std::string_view table;  // its SQL table, and which rows exist
  std::string_view live;   // SQL condition of the rows that exist for apply; empty: all
  std::vector<std::string_view> identity;  // the fields that name an item
  std::vector<Ref> refs;
  std::vector<std::string_view> output_only;  // what export leaves out: ids, state, times
  // Values a record shows for "not set" that its create does not take: export leaves them out.
  std::vector<std::pair<std::string_view, std::string_view>> unset = {};
};

// In the order they are made: what refers to others after what it refers to.
const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table = {
      {"nodes",
       "/api/v1/nodes",
       "nodes",
       "",
       {"name"},
       {},
       {"id", "status", "created_at", "updated_at", "last_seen"}},
      {"channels",
       "/api/v1/channels",
       "channels",
       "",
       {"name"},
       {},
       {"id", "created_at", "updated_at"}},
      {"checks",
       "/api/v1/checks",
       "checks",
       "",
       {"name"},
       {{"node", "node_id", "nodes"}, {"runs_on", "runs_on", "nodes"}},
       {"id", "state", "since", "flapping", "last_result", "created_at", "updated_at", "push_url"}},
      {"alert-rules",
       "/api/v1/alert-rules",
       "alert_rules",
       "",
       {"name"},
       {{"channels", "channels", "channels"},
        {"check", "check_id", "checks"},
        {"channels", "channels", "channels", "escalations"}},
       {"id", "builtin", "created_at", "updated_at"}},
      {"silences",
       "/api/v1/silences",
       "silences",
       "ends_at > :now",
       {"matchers"},
       {},
       {"id", "state", "active", "pending", "expired", "created_by", "created_at"}},
      {"maintenance",
       "/api/v1/maintenance",
       "maintenance_windows",
       "",
       {"name"},
       {{"nodes", "node_ids", "nodes"}},
       {"id", "active", "created_by", "created_at", "updated_at", "node_names"}},
      {"inhibit-rules",
       "/api/v1/inhibit-rules",
       "inhibit_rules",
       "",
       {"name"},
       {},
       {"id", "created_by", "created_at", "updated_at"}},
      {"trap-users",
       "/api/v1/snmp/trap-users",
       "snmp_trap_users",
       "",
       {"user", "engine_id"},
       {},
       {"id", "created_at", "updated_at"},
       {{"auth_protocol", "none"}, {"priv_protocol", "none"}}},
  };
  return table;
}

const Kind* find_kind(std::string_view key) {
  for (const Kind& k : kinds())
    if (k.key == key) return &k;
  return nullptr;
}

std::string identity_of(const Kind& kind, const json& item) {
  json key = json::array();
  for (std::string_view f : kind.identity) {
    auto it = item.find(std::string(f));
    key.push_back(it == item.end() ? json() : *it);
  }
  return key.dump();
}

// How a plan names an item: "gw1", "admin@80001f88…".
std::string display(const Kind& kind, const json& item) {
  std::string out;
  for (std::size_t i = 0; i < kind.identity.size(); ++i) {
    const json& v =
        item.contains(std::string(kind.identity[i])) ? item[std::string(kind.identity[i])] : json();
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    out += i == 0 ? text : (i == 1 ? " (" : ", ") + text;
  }
  return kind.identity.size() > 1 ? out + ")" : out;
}

Error invalid(std::vector<FieldError> fields) {
  return Error{ErrorKind::validation,
               "VALIDATION_FAILED",
               "the document is not valid",
               std::move(fields),
               {}};
}

// The document's shape, before anything is read or written: known keys, lists of objects, each
// with its identity, none twice.
Result<void> check_document(const json& doc) {
  std::vector<FieldError> errs;
  if (!doc.is_object()) return invalid({{"", "must be an object of resources"}});
  for (const auto& [key, items] : doc.items()) {
    const Kind* kind = find_kind(key);
    if (!kind) {
      std::string known;
      for (const Kind& k : kinds()) known += (known.empty() ? "" : ", ") + std::string(k.key);
      errs.push_back({key, "not a resource apply knows (" + known + ")"});
      continue;
    }
    if (items.is_null()) continue;
    if (!items.is_array()) {
      errs.push_back({key, "must be a list"});
      continue;
    }
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string at = fmt::format("{}[{}]", key, i);
      if (!items[i].is_object()) {
        errs.push_back({at, "must be an object"});
        continue;
      }
      bool named = true;
      for (std::string_view f : kind->identity)
        if (!items[i].contains(std::string(f)) || !items[i][std::string(f)].is_string()) {
          errs.push_back({at + "." + std::string(f), "required: items are matched by it"});
          named = false;
        }
      if (!named) continue;
      auto [it, fresh] = seen.emplace(identity_of(*kind, items[i]), i);
      if (!fresh)
        errs.push_back(
            {at, fmt::format("\"{}\" is also {}[{}]", display(*kind, items[i]), key, it->second)});
    }
  }
  if (!errs.empty()) return invalid(std::move(errs));
  return {};
}

// The ids of `kind`'s rows that exist for apply, in the job's transaction.
std::vector<std::int64_t> ids_of(SQLite::Database& db, const Kind& kind, TimeMs now) {
  std::string sql = fmt::format("SELECT id FROM {}", kind.table);
  if (!kind.live.empty()) sql += fmt::format(" WHERE {}", kind.live);
  SQLite::Statement st(db, sql + " ORDER BY id");
  if (!kind.live.empty()) st.bind(":now", now);
  std::vector<std::int64_t> ids;
  while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
  return ids;
}

// The id of the item of `kind` named `name`, in the job's transaction (items made earlier in
// the same document count).
Result<std::int64_t> id_named(SQLite::Database& db, const Kind& kind, const std::string& name,
                              const std::string& at) {
  SQLite::Statement st(db, fmt::format("SELECT id FROM {} WHERE name = ?", kind.table));
  st.bind(1, name);
  std::vector<std::int64_t> ids;
  while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
  if (ids.size() == 1) return ids[0];
  return invalid(
      {{at, ids.empty() ? fmt::format("no {} named \"{}\"", kind.key, name)
                        : fmt::format("{} {} are named \"{}\"", ids.size(), kind.key, name)}});
}

// The document's item as the API's body: names that refer to other items become their ids.
Result<json> to_body(SQLite::Database& db, const Kind& kind, const json& item,
                     const std::string& at) {
  json body = item;
  auto translate = [&](json& holder, const Ref& ref, const std::string& where) -> Result<void> {
    auto it = holder.find(std::string(ref.field));
    if (it == holder.end()) return {};
    const Kind& target = *find_kind(ref.kind);
    json value = *it;
    auto one = [&](const json& v, const std::string& path) -> Result<json> {
      if (!v.is_string()) return v;  // an id, or null: as it is
      return json(TT_TRY(id_named(db, target, v.get<std::string>(), path)));
    };
    json ids;
    if (value.is_array()) {
      ids = json::array();
      for (std::size_t i = 0; i < value.size(); ++i)
        ids.push_back(TT_TRY(one(value[i], fmt::format("{}.{}[{}]", where, ref.field, i))));
    } else {
      ids = TT_TRY(one(value, where + "." + std::string(ref.field)));
    }
    holder.erase(std::string(ref.field));
    holder[std::string(ref.body_field)] = std::move(ids);
    return {};
  };
  for (const Ref& ref : kind.refs) {
    if (ref.under.empty()) {
      TT_TRY(translate(body, ref, at));
      continue;
    }
    auto list = body.find(std::string(ref.under));
    if (list == body.end() || !list->is_array()) continue;
    for (std::size_t i = 0; i < list->size(); ++i)
      if ((*list)[i].is_object())
        TT_TRY(translate((*list)[i], ref, fmt::format("{}.{}[{}]", at, ref.under, i)));
  }
  return body;
}

// A service's error about one item, with the item's path in the document before its fields.
Error at_path(Error e, const std::string& at) {
  if (e.fields.empty()) {
    e.fields.push_back({at, e.message});
  } else {
    for (FieldError& f : e.fields) f.field = f.field.empty() ? at : at + "." + f.field;
  }
  e.message = at + ": " + e.message;
  return e;
}

// Equal values, times compared as times ("…:00Z" and "…:00.000Z" are the same moment).
bool same(const json& a, const json& b) {
  if (a == b) return true;
  if (a.is_string() && b.is_string()) {
    auto ta = parse_rfc3339(a.get<std::string>()), tb = parse_rfc3339(b.get<std::string>());
    return ta && tb && *ta == *tb;
  }
  return false;
}

std::vector<std::string> differing(const json& body, const json& record) {
  std::vector<std::string> fields;
  for (const auto& [k, v] : body.items())
    if (!record.contains(k) || !same(v, record[k])) fields.push_back(k);
  return fields;
}

json planned_change(std::string_view action, const Kind& kind, const std::string& name,
                    const std::vector<std::string>& fields = {}) {
  return {{"action", action}, {"kind", kind.key}, {"name", name}, {"fields", fields}};
}

// telltale_apply_requests_total{outcome}: applied, dry_run, refused (the document or a change
// of it was invalid: nothing changed); telltale_apply_changes_total{action}: what applies made.
void count_request(const char* outcome) {
  metrics::registry()
      .family("telltale_apply_requests_total", "Applied configuration documents, by outcome.",
              metrics::Type::counter)
      .counter({{"outcome", outcome}})
      .inc();
}

void count_changes(const json& changes) {
  auto& family = metrics::registry().family("telltale_apply_changes_total",
                                            "Changes made by applied documents, by action.",
                                            metrics::Type::counter);
  for (const json& c : changes)
    if (c["action"] != "unchanged")
      family.counter({{"action", c["action"].get<std::string>()}}).inc();
}

struct Options {
  bool dry_run = false;
  bool prune = false;
};

// Inside the one writer job: every item of the document created, updated or left, and with
// prune the others of its kinds deleted. Returns the changes, in the order they were made.
Result<json> apply_in_job(Catalog& catalog, events::Change& change, const json& doc,
                          const Options& options) {
  json changes = json::array();
  struct Seen {
    const Kind* kind;
    std::set<std::int64_t> kept;
    std::vector<std::pair<std::int64_t, json>> existing;
  };
  std::vector<Seen> seen;
  for (const Kind& kind : kinds()) {
    auto items = doc.find(std::string(kind.key));
    if (items == doc.end()) continue;
    Stored& stored = catalog.at(std::string(kind.path));
    Seen& s = seen.emplace_back(Seen{&kind, {}, {}});
    std::map<std::string, std::int64_t> by_identity;
    for (std::int64_t id : ids_of(change.db(), kind, change.now())) {
      auto record = stored.get(id);  // as committed before this job: what the document changes
      if (!record) continue;
      by_identity.emplace(identity_of(kind, record.value()), id);
      s.existing.emplace_back(id, std::move(record.value()));
    }
    if (items->is_null()) continue;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const json& item = (*items)[i];
      const std::string at = fmt::format("{}[{}]", kind.key, i);
      const std::string name = display(kind, item);
      json body = TT_TRY(to_body(change.db(), kind, item, at));
      auto found = by_identity.find(identity_of(kind, item));
      if (found == by_identity.end()) {
        auto made = stored.create(body, change.actor());
        if (!made) return at_path(std::move(made).error(), at);
        std::vector<std::string> fields;
        for (const auto& [k, v] : item.items()) fields.push_back(k);
        changes.push_back(planned_change("create", kind, name, fields));
        continue;
      }
      const std::int64_t id = found->second;
      s.kept.insert(id);
      const json& before = std::find_if(s.existing.begin(), s.existing.end(), [&](const auto& e) {
                             return e.first == id;
                           })->second;
      if (differing(body, before).empty()) {
        changes.push_back(planned_change("unchanged", kind, name));
        continue;
      }
      std::vector<std::string> fields;
      if (stored.update) {
        auto after = stored.update(id, body, change.actor());
        if (!after) return at_path(std::move(after).error(), at);
        for (const auto& [k, v] : body.items())
          if (!before.contains(k) ||
              !same(before[k], after.value().contains(k) ? after.value()[k] : json()))
            fields.push_back(k);
      } else {  // not editable (a silence): replaced, as the API does it
        fields = differing(body, before);
        if (auto gone = stored.remove(id, change.actor()); !gone) return at_path(gone.error(), at);
        if (auto made = stored.create(body, change.actor()); !made)
          return at_path(std::move(made).error(), at);
      }
      changes.push_back(
          planned_change(fields.empty() ? "unchanged" : "update", kind, name, fields));
    }
  }
  if (options.prune) {
    // What refers to others goes first: a rule before the channels it names.
    for (auto s = seen.rbegin(); s != seen.rend(); ++s)
      for (const auto& [id, record] : s->existing) {
        if (s->kept.count(id)) continue;
        if (auto gone = catalog.at(std::string(s->kind->path)).remove(id, change.actor()); !gone)
          return at_path(gone.error(), std::string(s->kind->key));
        changes.push_back(planned_change("delete", *s->kind, display(*s->kind, record)));
      }
  }
  return changes;
}

// Masked secrets ("********") as ${VARIABLE} references the applying side fills in from its
// environment: TELLTALE_SECRET_<KIND>_<NAME>_<FIELD>, in capitals with '_' for the rest.
void secret_references(json& value, const std::string& prefix) {
  auto variable = [](std::string s) {
    for (char& c : s)
      c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
    return "${" + s + "}";
  };
  if (value.is_object()) {
    for (auto& [k, v] : value.items()) {
      if (v.is_string() && v == "********")
        v = variable(prefix + "_" + k);
      else
        secret_references(v, prefix + "_" + k);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      secret_references(value[i], prefix + "_" + std::to_string(i));
  }
}

Result<json> export_document(Catalog& catalog, db::Readers& readers) {
  json doc = json::object();
  std::map<std::string, std::map<std::int64_t, std::string>> names;  // kind → id → name
  const TimeMs now = SystemClock::instance().now_ms();
  for (const Kind& kind : kinds()) {
    json items = json::array();
    const auto ids =
        TT_TRY(readers.with([&](SQLite::Database& db) -> Result<std::vector<std::int64_t>> {
          return ids_of(db, kind, now);
        }));
    for (std::int64_t id : ids) {
      auto record = catalog.at(std::string(kind.path)).get(id);
      if (!record) continue;
      json item = std::move(record.value());
      if (item.contains("name") && item["name"].is_string())
        names[std::string(kind.key)][id] = item["name"].get<std::string>();
      for (std::string_view f : kind.output_only) item.erase(std::string(f));
      for (const auto& [field, value] : kind.unset)
        if (item.value(std::string(field), "") == value) item.erase(std::string(field));
      for (auto it = item.begin(); it != item.end();)  // unset: the same as left out
        it = it->is_null() ? item.erase(it) : std::next(it);
      auto reverse = [&](json& holder, const Ref& ref) {
        auto it = holder.find(std::string(ref.body_field));
        if (it == holder.end()) return;
        const auto& known = names[std::string(ref.kind)];
        auto name_of = [&](const json& v) -> json {
          if (!v.is_number_integer()) return v;
          auto n = known.find(v.get<std::int64_t>());
          return n == known.end() ? v : json(n->second);
        };
        json value = *it;
        if (value.is_array())
          for (auto& v : value) v = name_of(v);
        else
          value = name_of(value);
        holder.erase(std::string(ref.body_field));
        if (!value.is_null() && !(value.is_array() && value.empty()))
          holder[std::string(ref.field)] = value;
      };
      for (const Ref& ref : kind.refs) {
        if (ref.under.empty()) {
          reverse(item, ref);
        } else if (item.contains(std::string(ref.under)) &&
                   item[std::string(ref.under)].is_array()) {
          for (auto& sub : item[std::string(ref.under)]) reverse(sub, ref);
        }
      }
      secret_references(item, fmt::format("TELLTALE_SECRET_{}_{}", kind.key, display(kind, item)));
      items.push_back(std::move(item));
    }
    doc[std::string(kind.key)] = std::move(items);
  }
  return doc;
}

}  // namespace

void register_apply(http::Router& r, Services& s) {
  r.add({"POST", "/api/v1/apply", http::Access::operate, [&s](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           const json& b = body.value();
           if (!b.is_object() || (!b.contains("resources") && !b.contains("document")))
             return ctx.error(invalid({{"resources", "required: the document to apply"}}));
           json doc;
           if (b.contains("document")) {  // the text of a file, as the UI sends it
             if (!b["document"].is_string())
               return ctx.error(invalid({{"document", "must be the text of a YAML or JSON file"}}));
             auto parsed = parse_json_or_yaml(b["document"].get<std::string>());
             if (!parsed) return ctx.error(invalid({{"document", parsed.error().message}}));
             doc = std::move(parsed.value());
           } else {
             doc = b["resources"];
           }
           Options options;
           for (const char* flag : {"dry_run", "prune"})
             if (b.contains(flag) && !b[flag].is_boolean())
               return ctx.error(invalid({{flag, "must be true or false"}}));
           options.dry_run = b.value("dry_run", false);
           options.prune = b.value("prune", false);
           if (auto shape = check_document(doc); !shape) {
             count_request("refused");
             return ctx.error(shape.error());
           }
           // A dry run makes every change in the job and then fails it: the plan is what the
           // changes were, and the rollback leaves nothing of them.
           json planned;
           bool dry_run_done = false;
           auto done = s.log.commit<json>(ctx.actor(), [&](events::Change& change) -> Result<json> {
             events::Ambient ambient(change);
             json changes = TT_TRY(apply_in_job(s.catalog, change, doc, options));
             if (!options.dry_run) return changes;
             planned = std::move(changes);
             dry_run_done = true;
             return Error::make(ErrorKind::internal, "INTERNAL", "a dry run is rolled back");
           });
           if (!done && !dry_run_done) {
             count_request("refused");
             return ctx.error(done.error());
           }
           json changes = dry_run_done ? planned : done.value();
           count_request(options.dry_run ? "dry_run" : "applied");
           if (!options.dry_run) count_changes(changes);
           const bool changed = std::any_of(changes.begin(), changes.end(), [](const json& c) {
             return c["action"] != "unchanged";
           });
           ctx.ok({{"applied", !options.dry_run},
                   {"changed", changed && !options.dry_run},
                   {"changes", std::move(changes)}});
         }});
  r.add({"GET", "/api/v1/export", http::Access::read, [&s](http::Context& ctx) {
           auto doc = export_document(s.catalog, s.readers);
           if (!doc.ok()) return ctx.error(doc.error());
           if (ctx.query("format") ==
               "yaml") {  // a file to download, as `telltale export` writes it
             ctx.res.set_header("Content-Disposition", "attachment; filename=\"telltale.yaml\"");
             return ctx.res.set_content(to_yaml(doc.value()), "application/yaml");
           }
           ctx.ok(doc.value());
         }});
}

}  // namespace tt::api
