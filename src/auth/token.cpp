// AuthService: API tokens for machines and scripts.
#include <fmt/format.h>

#include "auth/detail.h"
#include "auth/service.h"
#include "core/log.h"
#include "core/random.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::auth {

namespace {

constexpr std::string_view kTokenPrefix = "tt_";
constexpr std::size_t kDisplayPrefixChars = 10;
// A shorter-lived token is a mistake (a unit typed wrong), or one that dies before it is used.
constexpr std::int64_t kMinTokenLifetimeMs = 60'000;

ApiToken read_token(SQLite::Statement& q) {
  ApiToken t;
  db::read_row(q, t.id, t.user_id, t.user, t.label, t.prefix, t.created_at, t.expires_at,
               t.last_used_at, t.revoked_at);
  return t;
}

constexpr db::Table<ApiToken> kTokens{
    "api_tokens",
    "id, user_id, (SELECT name FROM users WHERE users.id = user_id), name, prefix, created_at, "
    "expires_at, last_used_at, revoked_at",
    read_token, "API token", "TOKEN_NOT_FOUND"};

Error token_invalid() {
  return Error::make(ErrorKind::unauthenticated, "TOKEN_INVALID",
                     "the API token is unknown, revoked or expired");
}

}  // namespace

Result<NewToken> AuthService::create_token(const std::string& user_name, const std::string& label,
                                           std::int64_t expires_in_ms, const std::string& actor,
                                           const std::string& remote) {
  TT_TRY(detail::validate_label(label, "label"));
  if (expires_in_ms < 0) return field_error("expires_in_ms", "must be 0 (never) or positive");
  if (expires_in_ms > 0 && expires_in_ms < kMinTokenLifetimeMs)
    return field_error("expires_in", "must be at least 1m (or left out: the token never expires)");
  NewToken out;
  out.token = detail::new_secret(kTokenPrefix);
  const Sha256 hash = sha256(out.token);
  const TimeMs now = m_clock.now_ms();
  ApiToken& info = out.info;
  info.label = label;
  info.prefix = out.token.substr(0, kDisplayPrefixChars);
  info.created_at = now;
  if (expires_in_ms > 0) info.expires_at = now + expires_in_ms;
  return m_log.commit<NewToken>(
      Actor{actor, remote}, [&](events::Change& change) -> Result<NewToken> {
        SQLite::Statement q(change.db(), "SELECT id, name FROM users WHERE name = ?");
        q.bind(1, user_name);
        if (!q.executeStep()) return detail::user_not_found("named '" + user_name + "'");
        info.user_id = q.getColumn(0).getInt64();
        info.user = q.getColumn(1).getString();
        SQLite::Statement ins(
            change.db(),
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)");
        ins.bind(1, info.user_id);
        ins.bind(2, info.label);
        ins.bind(3, info.prefix);
        detail::bind_hash(ins, 4, hash);
        ins.bind(5, now);
        detail::bind_opt(ins, 6, info.expires_at);
        ins.exec();
        info.id = change.db().getLastInsertRowid();
        nlohmann::json details = {{"id", info.id}, {"label", info.label}, {"prefix", info.prefix}};
        details["expires_at"] =
            info.expires_at ? nlohmann::json(*info.expires_at) : nlohmann::json(nullptr);
        change.audit("token.create", info.user, details);
        out.id = info.id;
        return out;
      });
}

Result<Page<ApiToken>> AuthService::list_tokens(const std::optional<std::string>& user,
                                                PageRequest page) {
  page = detail::clamp(page);
  db::Filter filter;
  if (user) filter.add("user_id = (SELECT id FROM users WHERE name = ?)", *user);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<ApiToken>> {
    return kTokens.page(db, page, "id DESC", filter);
  });
}

Result<ApiToken> AuthService::get_token(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTokens.get(db, id); });
}

Result<void> AuthService::revoke_token(std::int64_t id, const std::string& actor,
                                       const std::string& remote) {
  return m_log.commit<void>(Actor{actor, remote}, [&](events::Change& change) -> Result<void> {
    const ApiToken t = TT_TRY(kTokens.get(change.db(), id));
    // Told also for a token revoked before: telling twice closes nothing more.
    change.after_commit([this, id] { revoked({Revocation::Scope::token, 0, id, {}}); });
    if (t.revoked_at) return ok();
    SQLite::Statement upd(change.db(), "UPDATE api_tokens SET revoked_at = ? WHERE id = ?");
    upd.bind(1, change.now());
    upd.bind(2, id);
    upd.exec();
    change.audit("token.revoke", t.user, {{"id", id}, {"label", t.label}, {"prefix", t.prefix}});
    return ok();
  });
}

Result<Principal> AuthService::authenticate_token(const std::string& bearer) {
  if (!detail::may_be_secret(bearer, kTokenPrefix)) return token_invalid();
  const Sha256 hash = sha256(bearer);
  const TimeMs now = m_clock.now_ms();
  std::optional<TimeMs> last_used;
  auto p = m_readers.with([&](SQLite::Database& db) -> Result<Principal> {
    SQLite::Statement q(
        db,
        "SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, u.id, u.name, u.role "
        "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?");
    detail::bind_hash(q, 1, hash);
    if (!q.executeStep()) return token_invalid();
    auto expires_at = detail::opt_int64(q.getColumn(1));
    if (!q.getColumn(2).isNull() || (expires_at && *expires_at <= now)) return token_invalid();
    last_used = detail::opt_int64(q.getColumn(3));
    Principal out;
    out.token_id = q.getColumn(0).getInt64();
    out.user_id = q.getColumn(4).getInt64();
    out.user = q.getColumn(5).getString();
    out.role = parse_role(q.getColumn(6).getString()).value_or(Role::viewer);
    out.via = Principal::Via::token;
    out.expires_at = expires_at.value_or(0);
    return out;
  });
  if (p.ok()) touch(m_token_touched, "api_tokens", p->token_id, last_used);
  return p;
}

void AuthService::touch(Touched& touched, const char* table, std::int64_t id,
                        std::optional<TimeMs> last_used_at) {
  constexpr std::int64_t kTouchIntervalMs = 60'000;
  constexpr std::size_t kMaxTouchEntries = 10'000;
  const TimeMs now = m_clock.now_ms();
  if (last_used_at && now - *last_used_at < kTouchIntervalMs) return;
  {
    std::lock_guard lock(m_touch_mutex);
    auto it = touched.find(id);
    if (it != touched.end() && now - it->second < kTouchIntervalMs) return;
    if (touched.size() >= kMaxTouchEntries) touched.clear();
    touched[id] = now;
  }
  // Not waited for: a lost update only makes last_used_at a little stale.
  (void)m_writer.submit<void>(
      [table, id, now](SQLite::Database& db) -> Result<void> {
        SQLite::Statement upd(db,
                              fmt::format("UPDATE {} SET last_used_at = ? WHERE id = ?", table));
        upd.bind(1, now);
        upd.bind(2, id);
        upd.exec();
        return ok();
      },
      db::Urgency::lazy);
}

}  // namespace tt::auth
