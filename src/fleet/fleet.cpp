#include "fleet/fleet.h"

#include <fmt/format.h>

#include "auth/password.h"
#include "core/json.h"
#include "core/random.h"
#include "db/row.h"
#include "db/table.h"
#include "inventory/service.h"

namespace tt::fleet {

namespace {

using nlohmann::json;

constexpr std::string_view kEnrolmentPrefix = "tte_";
constexpr std::string_view kCredentialPrefix = "tta_";
constexpr std::size_t kMaxBearerChars = 128;
constexpr std::size_t kDisplayPrefixChars = 10;
constexpr std::int64_t kMinIntervalMs = 1000;
constexpr std::int64_t kMaxIntervalMs = 3'600'000;

EnrolmentToken read_token(SQLite::Statement& q) {
  EnrolmentToken t;
  db::read_row(q, t.id, t.name, t.prefix, t.created_by, t.created_at, t.expires_at, t.revoked_at,
               t.uses, t.last_used_at);
  return t;
}

constexpr db::Table<EnrolmentToken> kTokens{
    "enrolment_tokens",
    "id, name, prefix, created_by, created_at, expires_at, revoked_at, uses, last_used_at",
    read_token, "enrolment token", "ENROLMENT_TOKEN_NOT_FOUND"};

void bind_hash(SQLite::Statement& st, int index, const auth::Sha256& h) {
  st.bind(index, h.data(), static_cast<int>(h.size()));
}

Error enrolment_invalid() {
  return Error::make(ErrorKind::unauthenticated, "ENROLMENT_INVALID",
                     "the enrolment token is unknown, revoked or expired");
}

Error credential_invalid() {
  return Error::make(ErrorKind::unauthenticated, "AGENT_CREDENTIAL_INVALID",
                     "the agent credential is unknown or ended; register the agent again");
}

std::string bearer_kind(std::string_view bearer) {
  if (bearer.starts_with(kEnrolmentPrefix)) return "enrolment token";
  if (bearer.starts_with(kCredentialPrefix)) return "agent credential";
  return "API token";
}

// The node's fields as the agent gives them, for create or update.
Result<inventory::NodeInput> node_input(const json& body) {
  json node = json::object();
  for (const auto& f : inventory::node_fields())
    if (auto it = body.find(f.name); it != body.end()) node[f.name] = *it;
  return inventory::decode_node_input(node, InputMode::create);
}

// Issues a credential for the node, ending the node's earlier ones: one agent per host. Returns
// it and its id.
std::pair<std::string, std::int64_t> issue_credential(SQLite::Database& db, std::int64_t node_id,
                                                      std::int64_t interval_ms, TimeMs now) {
  SQLite::Statement end(db,
                        "UPDATE agent_credentials SET revoked_at = ? WHERE node_id = ? AND "
                        "revoked_at IS NULL");
  end.bind(1, now);
  end.bind(2, node_id);
  end.exec();
  std::string credential = std::string(kCredentialPrefix) + random_token(32);
  SQLite::Statement ins(db,
                        "INSERT INTO agent_credentials (node_id, token_hash, interval_ms, "
                        "created_at) VALUES (?, ?, ?, ?)");
  ins.bind(1, node_id);
  bind_hash(ins, 2, auth::sha256(credential));
  ins.bind(3, interval_ms);
  ins.bind(4, now);
  ins.exec();
  return {credential, db.getLastInsertRowid()};
}

}  // namespace

json to_json(const EnrolmentToken& t) {
  auto time = [](const std::optional<TimeMs>& v) { return v ? json(format_rfc3339(*v)) : json(); };
  return {{"id", t.id},
          {"name", t.name},
          {"prefix", t.prefix},
          {"created_by", t.created_by},
          {"created_at", format_rfc3339(t.created_at)},
          {"expires_at", time(t.expires_at)},
          {"revoked_at", time(t.revoked_at)},
          {"uses", t.uses},
          {"last_used_at", time(t.last_used_at)}};
}

const OptionSpecs& enrolment_token_fields() {
  static const OptionSpecs specs{
      name_field(100),
      {.name = "expires_in",
       .type = OptionType::duration,
       .help = "how long hosts may register with it; absent: until revoked",
       .min = 60'000,
       .max = 366.0 * 86'400'000}};
  return specs;
}

const OptionSpecs& registration_fields() {
  static const OptionSpecs specs = [] {
    OptionSpecs s = inventory::node_fields();
    s.push_back({.name = "identity",
                 .type = OptionType::string,
                 .help = "the host's machine id or MAC: the same host registers as the same node",
                 .min = 1,
                 .max = 200,
                 .required = true});
    s.push_back({.name = "interval",
                 .type = OptionType::duration,
                 .default_value = "10s",
                 .help = "the agent's collection interval; 3 missed make the node down",
                 .min = kMinIntervalMs,
                 .max = kMaxIntervalMs});
    return s;
  }();
  return specs;
}

Result<NewEnrolmentToken> FleetService::create_enrolment_token(const json& body,
                                                               const Actor& actor) {
  auto v =
      TT_TRY(decode_fields(enrolment_token_fields(), body, InputMode::create, "enrolment token"));
  std::optional<std::int64_t> expires_in;
  take_ms(v, "expires_in", expires_in);
  NewEnrolmentToken out;
  out.token = std::string(kEnrolmentPrefix) + random_token(32);
  EnrolmentToken& t = out.info;
  t.name = v["name"].get<std::string>();
  t.prefix = out.token.substr(0, kDisplayPrefixChars);
  t.created_by = actor.name;
  return m_log.commit<NewEnrolmentToken>(
      actor, [&](events::Change& change) -> Result<NewEnrolmentToken> {
        t.created_at = change.now();
        if (expires_in) t.expires_at = t.created_at + *expires_in;
        SQLite::Statement ins(change.db(),
                              "INSERT INTO enrolment_tokens (name, prefix, token_hash, created_by, "
                              "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
        ins.bind(1, t.name);
        ins.bind(2, t.prefix);
        bind_hash(ins, 3, auth::sha256(out.token));
        ins.bind(4, t.created_by);
        ins.bind(5, t.created_at);
        if (t.expires_at)
          ins.bind(6, *t.expires_at);
        else
          ins.bind(6);
        ins.exec();
        t.id = change.db().getLastInsertRowid();
        change.audit("enrolment_token.create", t.name, {{"id", t.id}, {"prefix", t.prefix}});
        return out;
      });
}

Result<Page<EnrolmentToken>> FleetService::list_enrolment_tokens(PageRequest page) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<EnrolmentToken>> {
    return kTokens.page(db, page, "id DESC", {});
  });
}

Result<void> FleetService::revoke_enrolment_token(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const EnrolmentToken t = TT_TRY(kTokens.get(change.db(), id));
    if (t.revoked_at) return ok();
    SQLite::Statement upd(change.db(), "UPDATE enrolment_tokens SET revoked_at = ? WHERE id = ?");
    upd.bind(1, change.now());
    upd.bind(2, id);
    upd.exec();
    change.audit("enrolment_token.revoke", t.name, {{"id", id}, {"prefix", t.prefix}});
    return ok();
  });
}

Result<AgentPrincipal> FleetService::authenticate_agent(const std::string& bearer) {
  if (bearer.size() > kMaxBearerChars || !is_agent_credential(bearer)) return credential_invalid();
  const auto hash = auth::sha256(bearer);
  return m_readers.with([&](SQLite::Database& db) -> Result<AgentPrincipal> {
    SQLite::Statement q(db,
                        "SELECT c.id, c.node_id, n.name, c.interval_ms FROM agent_credentials c "
                        "JOIN nodes n ON n.id = c.node_id "
                        "WHERE c.token_hash = ? AND c.revoked_at IS NULL");
    bind_hash(q, 1, hash);
    if (!q.executeStep()) return credential_invalid();
    AgentPrincipal p;
    db::read_row(q, p.credential_id, p.node_id, p.node_name, p.interval_ms);
    return p;
  });
}

// Who registers: Actor names them for the audit log; the node a credential belongs to, if the
// bearer is an agent's credential.
Result<std::optional<std::int64_t>> FleetService::authorise_registration(const std::string& bearer,
                                                                         Actor& actor) {
  if (is_agent_credential(bearer)) {
    auto p = TT_TRY(authenticate_agent(bearer));
    actor.name = fmt::format("agent:{}", p.node_name);
    return std::optional<std::int64_t>(p.node_id);
  }
  if (bearer.starts_with(kEnrolmentPrefix)) {
    if (bearer.size() > kMaxBearerChars) return enrolment_invalid();
    const auto hash = auth::sha256(bearer);
    const TimeMs now = m_clock.now_ms();
    auto name = TT_TRY(m_readers.with([&](SQLite::Database& db) -> Result<std::string> {
      SQLite::Statement q(db,
                          "SELECT name FROM enrolment_tokens WHERE token_hash = ? AND revoked_at "
                          "IS NULL AND (expires_at IS NULL OR expires_at > ?)");
      bind_hash(q, 1, hash);
      q.bind(2, now);
      if (!q.executeStep()) return enrolment_invalid();
      return q.getColumn(0).getString();
    }));
    actor.name = fmt::format("enrolment:{}", name);
    return std::optional<std::int64_t>();
  }
  auto p = TT_TRY(m_auth.authenticate_token(bearer));
  if (p.role != auth::Role::api && p.role != auth::Role::admin)
    return Error::make(ErrorKind::forbidden, "FORBIDDEN",
                       "only an enrolment token, or an API token of an api or admin user, "
                       "registers hosts");
  actor.name = p.user;
  return std::optional<std::int64_t>();
}

Result<Registration> FleetService::register_host(const std::string& bearer, const json& body,
                                                 const std::string& remote) {
  Actor actor{"", remote};
  const auto own_node = TT_TRY(authorise_registration(bearer, actor));
  auto v = TT_TRY(decode_fields(registration_fields(), body, InputMode::create, "registration"));
  auto input = TT_TRY(node_input(v));
  const std::string identity = v["identity"].get<std::string>();
  std::optional<std::int64_t> interval;
  take_ms(v, "interval", interval);
  const bool enrolment = bearer.starts_with(kEnrolmentPrefix);
  const auto bearer_hash = auth::sha256(bearer);
  return m_log.commit<Registration>(actor, [&](events::Change& change) -> Result<Registration> {
    auto& db = change.db();
    Registration reg;
    reg.interval_ms = interval.value_or(kDefaultIntervalMs);
    auto id = inventory::node_with_identity(db, identity);
    if (own_node && id != own_node)
      return Error::make(ErrorKind::forbidden, "FORBIDDEN",
                         "an agent's credential registers only its own host");
    if (!id) id = inventory::node_without_identity(db, *input.name);
    if (id) {
      // The agent's metadata keys replace those it names; the rest (set by people) stay.
      auto current = TT_TRY(inventory::get_node(db, *id));
      json metadata = current.metadata;
      if (input.metadata) metadata.update(*input.metadata);
      input.metadata = std::move(metadata);
      if (!input.labels) input.labels = current.labels;
      auto updated = inventory::update_node(change, *id, input);
      if (!updated.ok() && updated.error().code == "NODE_EXISTS") {
        input.name = current.name;  // the new name is another node's: keep the one it had
        updated = inventory::update_node(change, *id, input);
      }
      reg.node = TT_TRY(std::move(updated));
    } else {
      auto made = inventory::create_node(change, input);
      if (!made.ok() && made.error().code == "NODE_EXISTS")
        return Error::make(ErrorKind::conflict, "NODE_EXISTS",
                           fmt::format("a node named '{}' is another host or device; give "
                                       "this one another name (--name)",
                                       *input.name));
      reg.node = TT_TRY(std::move(made));
      reg.created = true;
    }
    inventory::set_node_identity(db, reg.node.id, identity);
    if (own_node) {
      SQLite::Statement upd(db,
                            "UPDATE agent_credentials SET interval_ms = ? WHERE token_hash = ?");
      upd.bind(1, reg.interval_ms);
      bind_hash(upd, 2, bearer_hash);
      upd.exec();
    } else {
      auto [credential, id] = issue_credential(db, reg.node.id, reg.interval_ms, change.now());
      reg.credential = std::move(credential);
      if (m_credentials_ended)
        change.after_commit(
            [this, node = reg.node.id, kept = id] { m_credentials_ended(node, kept); });
    }
    if (enrolment) {
      SQLite::Statement use(db,
                            "UPDATE enrolment_tokens SET uses = uses + 1, last_used_at = ? WHERE "
                            "token_hash = ?");
      use.bind(1, change.now());
      bind_hash(use, 2, bearer_hash);
      use.exec();
    }
    change.audit("agent.register", reg.node.name,
                 {{"node_id", reg.node.id},
                  {"identity", identity},
                  {"created", reg.created},
                  {"with", bearer_kind(bearer)}});
    return reg;
  });
}

}  // namespace tt::fleet
