// AuthService: password login and browser sessions.
#include <cctype>
#include <chrono>
#include <thread>

#include "auth/detail.h"
#include "auth/service.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/random.h"
#include "core/text.h"

namespace tt::auth {

namespace {

constexpr std::size_t kMaxCookieChars = 128;

metrics::Counter& logins(const char* result) {
  return metrics::registry()
      .family("telltale_auth_logins_total", "Password logins by result.", metrics::Type::counter)
      .counter({{"result", result}});
}

Error invalid_credentials() {
  return Error::make(ErrorKind::unauthenticated, "INVALID_CREDENTIALS",
                     "wrong user name or password");
}

Error session_invalid() {
  return Error::make(ErrorKind::unauthenticated, "SESSION_INVALID",
                     "not logged in, or the session has expired");
}

struct Credentials {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  std::optional<std::string> hash;
};

// The credentials of the user whose `column` is `key`; none without such a user.
template <class Key>
Result<std::optional<Credentials>> credentials_where(db::Readers& readers, const char* column,
                                                     const Key& key) {
  return readers.with([&](SQLite::Database& db) -> Result<std::optional<Credentials>> {
    SQLite::Statement q(
        db, fmt::format("SELECT id, name, role, password_hash FROM users WHERE {} = ?", column));
    q.bind(1, key);
    if (!q.executeStep()) return std::optional<Credentials>();
    Credentials c;
    c.id = q.getColumn(0).getInt64();
    c.name = q.getColumn(1).getString();
    c.role = parse_role(q.getColumn(2).getString()).value_or(Role::viewer);
    if (!q.getColumn(3).isNull()) c.hash = q.getColumn(3).getString();
    return std::optional<Credentials>(std::move(c));
  });
}

}  // namespace

Result<NewSession> AuthService::login(const std::string& name, const std::string& password,
                                      const std::string& remote) {
  const bool name_ok = is_valid_user_name(name);
  const std::string user_key = name_ok ? ascii_lower(name) : std::string();
  const std::string pair_key = "l:" + remote + "/" + user_key;
  std::int64_t blocked = m_per_address.blocked_for_ms(remote);
  if (name_ok) blocked = std::max(blocked, m_per_pair.blocked_for_ms(pair_key));
  if (blocked > 0) {
    logins("rate_limited").inc();
    return rate_limited(blocked, "LOGIN_RATE_LIMITED");
  }
  // Guessed at from many addresses: slowed down, right password or not, so that the guesses
  // come no faster and the owner still gets in.
  if (const int excess =
          name_ok ? m_per_user.failures(user_key) - m_options.login_max_failures : -1;
      excess >= 0) {
    const std::int64_t delay_ms =
        std::min(m_options.login_max_delay_ms, std::int64_t{500} << excess);
    {
      std::lock_guard lock(m_waiting_mutex);
      if (m_waiting.size() >= m_options.login_max_waiting || !m_waiting.insert(user_key).second) {
        logins("rate_limited").inc();
        return rate_limited(delay_ms, "LOGIN_RATE_LIMITED");
      }
    }
    log::info("auth: login for '{}' from '{}' waits {} ms: too many recent failures for this name",
              name, remote, delay_ms);
    if (m_options.pause)
      m_options.pause(delay_ms);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::lock_guard lock(m_waiting_mutex);
    m_waiting.erase(user_key);
  }

  auto fail = [&]() -> Error {
    m_per_address.record_failure(remote);
    if (name_ok) {
      m_per_pair.record_failure(pair_key);
      m_per_user.record_failure(user_key);
    }
    logins("failure").inc();
    log::warn("auth: failed login for '{}' from '{}'", name_ok ? name : "<invalid name>", remote);
    return invalid_credentials();
  };

  std::optional<Credentials> creds;
  if (name_ok) {
    creds = TT_TRY(credentials_where(m_readers, "name", name));
  }
  if (password.size() > kMaxPasswordBytes) return fail();
  if (!creds || !creds->hash) {
    verify_dummy_password(password);
    return fail();
  }
  if (!verify_password(password, *creds->hash)) return fail();

  std::optional<std::string> rehash;
  if (password_needs_rehash(*creds->hash)) {
    auto h = hash_password(password);
    if (h.ok()) rehash = std::move(h.value());
  }

  NewSession s;
  s.cookie_token = random_token(32);
  s.csrf_token = random_token(32);
  const TimeMs now = m_clock.now_ms();
  s.expires_at = now + m_options.session_ttl_ms;
  const Sha256 token_hash = sha256(s.cookie_token);
  s.principal = Principal{creds->id,
                          creds->name,
                          creds->role,
                          Principal::Via::session,
                          s.csrf_token,
                          0,
                          detail::session_id(token_hash),
                          s.expires_at};
  auto stored = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement prune(db, "DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?");
    prune.bind(1, creds->id);
    prune.bind(2, now);
    prune.exec();
    // Through SELECT, so a user deleted since the password check gets no session.
    SQLite::Statement ins(
        db,
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, remote) "
        "SELECT ?, id, ?, ?, ?, ? FROM users WHERE id = ?");
    detail::bind_hash(ins, 1, token_hash);
    ins.bind(2, s.csrf_token);
    ins.bind(3, now);
    ins.bind(4, s.expires_at);
    ins.bind(5, remote);
    ins.bind(6, creds->id);
    if (ins.exec() == 0) return false;
    if (rehash) {
      SQLite::Statement upd(db, "UPDATE users SET password_hash = ? WHERE id = ?");
      upd.bind(1, *rehash);
      upd.bind(2, creds->id);
      upd.exec();
    }
    record_audit(db, AuditEntry{0, now, creds->name, "user.login", creds->name, remote,
                                nlohmann::json::object()});
    return true;
  });
  if (!stored.ok() && stored.error().code == "DISK_FULL") {
    std::lock_guard lock(m_memory_mutex);
    std::erase_if(m_memory_sessions, [now](const auto& kv) { return kv.second.expires_at <= now; });
    if (m_memory_sessions.size() >= kMaxMemorySessions) return std::move(stored).error();
    m_memory_sessions[token_hash] = {creds->id, s.csrf_token, s.expires_at};
    log::warn(
        "auth: '{}' logged in from '{}' while the disk is full: the session is kept in memory only",
        creds->name, remote);
    stored = true;
  }
  if (!stored.ok()) return std::move(stored).error();
  if (!stored.value()) return fail();
  m_per_pair.reset(pair_key);
  m_per_user.reset(user_key);
  logins("success").inc();
  return s;
}

Result<void> AuthService::change_own_password(std::int64_t user_id, const std::string& current,
                                              const std::string& password,
                                              const std::string& remote,
                                              const std::string& keep_session) {
  const auto found = TT_TRY(credentials_where(m_readers, "id", user_id));
  if (!found) return detail::user_not_found(fmt::format("with id {}", user_id));
  const std::string pair_key = "l:" + remote + "/" + ascii_lower(found->name);
  if (auto blocked =
          std::max(m_per_address.blocked_for_ms(remote), m_per_pair.blocked_for_ms(pair_key));
      blocked > 0)
    return rate_limited(blocked, "LOGIN_RATE_LIMITED");
  if (current.size() > kMaxPasswordBytes || !found->hash ||
      !verify_password(current, *found->hash)) {
    m_per_address.record_failure(remote);
    m_per_pair.record_failure(pair_key);
    log::warn("auth: wrong current password for '{}' from '{}'", found->name, remote);
    return field_error("current_password", "is not your current password");
  }
  if (auto valid = validate_password(password); !valid.ok()) {
    auto e = std::move(valid).error();
    for (auto& f : e.fields) f.field = "new_password";
    return e;
  }
  return set_password(user_id, password, found->name, remote, keep_session);
}

Result<Principal> AuthService::authenticate_session(const std::string& cookie_token) {
  if (cookie_token.empty() || cookie_token.size() > kMaxCookieChars) return session_invalid();
  const Sha256 h = sha256(cookie_token);
  const TimeMs now = m_clock.now_ms();
  std::optional<MemorySession> in_memory;
  {
    std::lock_guard lock(m_memory_mutex);
    if (auto it = m_memory_sessions.find(h);
        it != m_memory_sessions.end() && it->second.expires_at > now)
      in_memory = it->second;
  }
  return m_readers.with([&](SQLite::Database& db) -> Result<Principal> {
    SQLite::Statement q(
        db, in_memory
                ? "SELECT u.id, u.name, u.role, ?, ? FROM users u WHERE u.id = ?"
                : "SELECT u.id, u.name, u.role, s.csrf_token, s.expires_at FROM sessions s "
                  "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?");
    if (in_memory) {
      q.bind(1, in_memory->csrf_token);
      q.bind(2, in_memory->expires_at);
      q.bind(3, in_memory->user_id);
    } else {
      detail::bind_hash(q, 1, h);
      q.bind(2, now);
    }
    if (!q.executeStep()) return session_invalid();
    Principal p;
    p.user_id = q.getColumn(0).getInt64();
    p.user = q.getColumn(1).getString();
    p.role = parse_role(q.getColumn(2).getString()).value_or(Role::viewer);
    p.via = Principal::Via::session;
    p.csrf_token = q.getColumn(3).getString();
    p.expires_at = q.getColumn(4).getInt64();
    p.session_id = detail::session_id(h);
    return p;
  });
}

Result<void> AuthService::logout(const std::string& cookie_token) {
  if (cookie_token.empty() || cookie_token.size() > kMaxCookieChars) return ok();
  const Sha256 h = sha256(cookie_token);
  const TimeMs now = m_clock.now_ms();
  {
    std::lock_guard lock(m_memory_mutex);
    if (m_memory_sessions.erase(h)) {
      revoked({Revocation::Scope::session, 0, 0, detail::session_id(h)});
      return ok();
    }
  }
  bool ended = false;
  auto done = m_writer.run<void>([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "SELECT u.name, s.remote FROM sessions s JOIN users u ON u.id = s.user_id "
                        "WHERE s.token_hash = ?");
    detail::bind_hash(q, 1, h);
    if (!q.executeStep()) return ok();
    ended = true;
    const std::string name = q.getColumn(0).getString();
    const std::string remote = q.getColumn(1).getString();
    q.reset();
    SQLite::Statement del(db, "DELETE FROM sessions WHERE token_hash = ?");
    detail::bind_hash(del, 1, h);
    del.exec();
    record_audit(db,
                 AuditEntry{0, now, name, "user.logout", name, remote, nlohmann::json::object()});
    return ok();
  });
  if (done.ok() && ended) revoked({Revocation::Scope::session, 0, 0, detail::session_id(h)});
  return done;
}

}  // namespace tt::auth
