#include "snmp/trap_users.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "core/log.h"
#include "core/options.h"
#include "core/random.h"
#include "db/table.h"
#include "snmp/usm_json.h"

namespace tt::snmp {

namespace {

using nlohmann::json;

constexpr const char* kColumns =
    "id, engine_id, user, auth_protocol, auth_password, priv_protocol, priv_password, created_at, "
    "updated_at";
// RFC 3411 SnmpEngineID: SIZE(5..32).
constexpr std::size_t kMinEngineIdBytes = 5, kMaxEngineIdBytes = 32;

TrapUser read_user(SQLite::Statement& st) {
  TrapUser u;
  u.id = st.getColumn(0).getInt64();
  const auto& blob = st.getColumn(1);
  u.engine_id.assign(static_cast<const char*>(blob.getBlob()),
                     static_cast<std::size_t>(blob.getBytes()));
  u.user.name = st.getColumn(2).getString();
  u.user.auth = auth_protocol_from(st.getColumn(3).getString()).value_or(AuthProtocol::none);
  u.user.auth_password = st.getColumn(4).getString();
  u.user.priv = priv_protocol_from(st.getColumn(5).getString()).value_or(PrivProtocol::none);
  u.user.priv_password = st.getColumn(6).getString();
  u.created_at = st.getColumn(7).getInt64();
  u.updated_at = st.getColumn(8).getInt64();
  return u;
}

constexpr db::Table<TrapUser> kTable{"snmp_trap_users", kColumns, read_user, "trap user",
                                     "TRAP_USER_NOT_FOUND"};

std::optional<std::string> engine_id_from_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int byte = 0;
    for (char c : text.substr(i, 2)) {
      int v = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (v < 0) return std::nullopt;
      byte = byte * 16 + v;
    }
    out += static_cast<char>(byte);
  }
  if (out.size() < kMinEngineIdBytes || out.size() > kMaxEngineIdBytes) return std::nullopt;
  return out;
}

// The stored user as a body decode_trap_user takes, passwords in clear: what a PATCH merges into.
json stored_body(const TrapUser& u) {
  json j = {{"user", u.user.name}, {"engine_id", hex_of(u.engine_id)}};
  if (u.user.auth != AuthProtocol::none) {
    j["auth_protocol"] = to_string(u.user.auth);
    j["auth_password"] = u.user.auth_password;
  }
  if (u.user.priv != PrivProtocol::none) {
    j["priv_protocol"] = to_string(u.user.priv);
    j["priv_password"] = u.user.priv_password;
  }
  return j;
}

Result<void> check_unique(SQLite::Database& db, const TrapUser& u) {
  SQLite::Statement st(
      db, "SELECT 1 FROM snmp_trap_users WHERE engine_id = ? AND user = ? AND id != ?");
  st.bind(1, u.engine_id.data(), static_cast<int>(u.engine_id.size()));
  st.bind(2, u.user.name);
  st.bind(3, u.id);
  if (st.executeStep())
    return Error::make(
        ErrorKind::conflict, "TRAP_USER_EXISTS",
        fmt::format("engine {} already has a trap user \"{}\"", hex_of(u.engine_id), u.user.name));
  return ok();
}

void bind_fields(SQLite::Statement& st, const TrapUser& u) {
  st.bind(1, u.engine_id.data(), static_cast<int>(u.engine_id.size()));
  st.bind(2, u.user.name);
  st.bind(3, std::string(to_string(u.user.auth)));
  st.bind(4, u.user.auth_password);
  st.bind(5, std::string(to_string(u.user.priv)));
  st.bind(6, u.user.priv_password);
  st.bind(7, static_cast<std::int64_t>(u.updated_at));
}

json audit_details(const TrapUser& u) {
  return {{"user", u.user.name}, {"engine_id", hex_of(u.engine_id)}};
}

enum class Persist { no, yes };

// The trap receiver's engine identity: its stored id (a new one when there is none) and its
// boots, one more than the last start's, written back when `persist` says so.
LocalEngineIdentity engine_identity(SQLite::Database& db, Persist persist) {
  LocalEngineIdentity e;
  SQLite::Statement id(db, "SELECT value FROM settings WHERE key = 'snmp.engine_id'");
  if (id.executeStep()) {
    e.engine_id = engine_id_from_hex(id.getColumn(0).getString()).value_or("");
  }
  bool fresh = e.engine_id.empty();
  if (fresh) {
    // RFC 3411 SnmpEngineID: the high bit set, enterprise 0 (Telltale has no private enterprise
    // number), format 5 (octets the administrator assigns), then 8 random octets.
    e.engine_id = *engine_id_from_hex("8000000005" + random_hex(8));
  }
  SQLite::Statement boots(db, "SELECT value FROM settings WHERE key = 'snmp.engine_boots'");
  std::int64_t previous =
      !fresh && boots.executeStep() ? std::atoll(boots.getColumn(0).getString().c_str()) : 0;
  // RFC 3414 2.2.2: at 2^31-1 boots the engine is stuck there until it gets a new engine id.
  e.boots = static_cast<std::uint32_t>(std::clamp<std::int64_t>(previous + 1, 1, 0x7fffffff));
  if (persist == Persist::no) return e;
  if (fresh) {
    SQLite::Statement put(
        db, "INSERT OR REPLACE INTO settings(key, value) VALUES ('snmp.engine_id', ?)");
    put.bind(1, hex_of(e.engine_id));
    put.exec();
  }
  SQLite::Statement put(
      db, "INSERT OR REPLACE INTO settings(key, value) VALUES ('snmp.engine_boots', ?)");
  put.bind(1, std::to_string(e.boots));
  put.exec();
  return e;
}

}  // namespace

json to_json(const TrapUser& u) {
  const auto secret = [](const std::string& p) { return p.empty() ? json() : json(kMaskedSecret); };
  return {{"id", u.id},
          {"user", u.user.name},
          {"engine_id", hex_of(u.engine_id)},
          {"auth_protocol", to_string(u.user.auth)},
          {"auth_password", secret(u.user.auth_password)},
          {"priv_protocol", to_string(u.user.priv)},
          {"priv_password", secret(u.user.priv_password)},
          {"created_at", format_rfc3339(u.created_at)},
          {"updated_at", format_rfc3339(u.updated_at)}};
}

const OptionSpecs& trap_user_fields() {
  static const OptionSpecs specs = [] {
    OptionSpecs s = usm_fields();
    s.push_back({.name = "engine_id",
                 .type = OptionType::string,
                 .help = "the sending agent's snmpEngineID in hex (its keys are localised to it)",
                 .required = true,
                 .check = [](json& v) -> std::optional<std::string> {
                   if (engine_id_from_hex(v.get_ref<const std::string&>())) return std::nullopt;
                   return "must be the sending agent's engine id in hex, 5 to 32 bytes "
                          "(\"0x80001f88...\")";
                 }});
    return s;
  }();
  return specs;
}

Result<TrapUser> decode_trap_user(const json& body) {
  auto v = TT_TRY(decode_fields(
      trap_user_fields(), body, InputMode::create, "SNMP trap user",
      [&](const json&, std::vector<FieldError>& errs) { check_usm_fields(body, errs); }));
  TrapUser u;
  u.user = usm_user_from(v);
  u.engine_id = *engine_id_from_hex(v["engine_id"].get<std::string>());
  return u;
}

Result<void> TrapUserService::load() {
  auto engine =
      m_writer.run<LocalEngineIdentity>([](SQLite::Database& db) -> Result<LocalEngineIdentity> {
        return engine_identity(db, Persist::yes);
      });
  if (!engine.ok() && engine.error().code == "DISK_FULL") {
    // A server started on a full disk still receives traps: it counts this start's boot without
    // storing it (RFC 3414 asks boots to grow; the next start that can store it does).
    engine = m_readers.with([](SQLite::Database& db) -> Result<LocalEngineIdentity> {
      return engine_identity(db, Persist::no);
    });
    if (engine.ok())
      log::warn("SNMP traps: the disk is full: engine boots {} not stored", engine->boots);
  }
  if (!engine.ok()) return std::move(engine).error();
  m_engine = std::move(engine.value());
  std::lock_guard lock(m_changes);
  return refresh();
}

Result<void> TrapUserService::refresh() {
  auto all = m_readers.with(
      [&](SQLite::Database& db) -> Result<std::vector<std::pair<std::string, UsmUser>>> {
        std::vector<std::pair<std::string, UsmUser>> out;
        SQLite::Statement st(db, fmt::format("SELECT {} FROM snmp_trap_users", kColumns));
        while (st.executeStep()) {
          auto u = read_user(st);
          out.emplace_back(std::move(u.engine_id), std::move(u.user));
        }
        return out;
      });
  if (!all.ok()) return std::move(all).error();
  m_keyring.set(all.value());
  return ok();
}

void TrapUserService::refresh_after_change() {
  // The change is committed whatever happens here; the receiver catches up at the next change
  // or restart.
  if (auto r = refresh(); !r.ok())
    log::error("SNMP trap users: the receiver keeps the previous users: {}", r.error().message);
}

Result<TrapUser> TrapUserService::create(const json& body, const Actor& actor) {
  for (const char* key : {"auth_password", "priv_password"})
    if (body.is_object() && body.contains(key) && body[key] == kMaskedSecret)
      return invalid_fields(
          "SNMP trap user",
          {{key, "must be the password itself: \"********\" stands for a stored one"}});
  TrapUser u = TT_TRY(decode_trap_user(body));
  std::lock_guard lock(m_changes);
  auto done = m_log.commit<TrapUser>(actor, [&](events::Change& change) -> Result<TrapUser> {
    u.created_at = u.updated_at = change.now();
    TT_TRY(check_unique(change.db(), u));
    SQLite::Statement st(
        change.db(),
        "INSERT INTO snmp_trap_users(engine_id, user, auth_protocol, auth_password, priv_protocol, "
        "priv_password, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    bind_fields(st, u);
    st.bind(8, static_cast<std::int64_t>(u.created_at));
    st.exec();
    u.id = change.db().getLastInsertRowid();
    change.audit("snmp_trap_user.create", std::to_string(u.id), audit_details(u));
    return u;
  });
  if (done.ok()) refresh_after_change();
  return done;
}

Result<TrapUser> TrapUserService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); });
}

Result<TrapUser> TrapUserService::update(std::int64_t id, const json& patch, const Actor& actor) {
  if (!patch.is_object())
    return invalid_fields("SNMP trap user", {{"", "the body must be a JSON object"}});
  std::lock_guard lock(m_changes);
  auto done = m_log.commit<TrapUser>(actor, [&](events::Change& change) -> Result<TrapUser> {
    const TrapUser found = TT_TRY(kTable.get(change.db(), id));
    json merged = stored_body(found);
    for (const auto& [key, v] : patch.items()) {
      const bool masked = (key == "auth_password" || key == "priv_password") && v == kMaskedSecret;
      if (masked && !merged.contains(key))
        return invalid_fields(
            "SNMP trap user",
            {{key,
              "must be the password itself: there is no stored one for \"********\" to keep"}});
      const auto& fields = trap_user_fields();
      const bool field = std::any_of(fields.begin(), fields.end(),
                                     [&name = key](const OptionSpec& f) { return f.name == name; });
      if (v.is_null() && field)
        merged.erase(key);
      else if (!masked)
        merged[key] = v;  // an unknown field stays, for decode_trap_user to name it
    }
    TrapUser u = TT_TRY(decode_trap_user(merged));
    u.id = id;
    u.created_at = found.created_at;
    u.updated_at = change.now();
    TT_TRY(check_unique(change.db(), u));
    SQLite::Statement st(
        change.db(),
        "UPDATE snmp_trap_users SET engine_id = ?, user = ?, auth_protocol = ?, auth_password = ?, "
        "priv_protocol = ?, priv_password = ?, updated_at = ? WHERE id = ?");
    bind_fields(st, u);
    st.bind(8, id);
    st.exec();
    std::vector<std::string> changed;
    if (u.engine_id != found.engine_id) changed.push_back("engine_id");
    if (u.user.name != found.user.name) changed.push_back("user");
    if (u.user.auth != found.user.auth) changed.push_back("auth_protocol");
    if (u.user.auth_password != found.user.auth_password) changed.push_back("auth_password");
    if (u.user.priv != found.user.priv) changed.push_back("priv_protocol");
    if (u.user.priv_password != found.user.priv_password) changed.push_back("priv_password");
    change.audit("snmp_trap_user.update", std::to_string(id), {{"changed", changed}});
    return u;
  });
  if (done.ok()) refresh_after_change();
  return done;
}

Result<void> TrapUserService::remove(std::int64_t id, const Actor& actor) {
  std::lock_guard lock(m_changes);
  auto done = m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const TrapUser found = TT_TRY(kTable.get(change.db(), id));
    kTable.erase(change.db(), id);
    change.audit("snmp_trap_user.delete", std::to_string(id), audit_details(found));
    return ok();
  });
  if (done.ok()) refresh_after_change();
  return done;
}

Result<Page<TrapUser>> TrapUserService::list(const PageRequest& page) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<TrapUser>> {
    return kTable.page(db, page, "user, id");
  });
}

}  // namespace tt::snmp
