// auth/service.h — AuthService: first-run setup, users, login sessions, API tokens and the audit
// log, on top of the db writer (all mutations) and the read pool (all lookups). Password hashing
// always runs on the caller's thread, never inside a writer job.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "auth/password.h"
#include "auth/rate_limiter.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/page.h"
#include "core/result.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::auth {

// Failed logins (and setup codes) count within login_window_ms. An address is locked out (429
// with Retry-After) after login_max_failures for one user name, or login_address_max_failures
// for any names. A user name alone is never locked, or anyone could lock the admin out: after
// login_max_failures from anywhere, each attempt for it waits first (0.5 s, doubling up to
// login_max_delay_ms), and the right password still gets in. A waiting login holds an HTTP pool
// thread, so only one login per name waits at a time and login_max_waiting in all; the others
// are answered 429 LOGIN_RATE_LIMITED with Retry-After at once.
struct AuthOptions {
  std::int64_t session_ttl_ms = 7LL * 24 * 60 * 60 * 1000;
  int login_max_failures = 5;
  std::int64_t login_window_ms = 15LL * 60 * 1000;
  int login_address_max_failures = 20;
  std::int64_t login_max_delay_ms = 3000;
  std::size_t login_max_waiting = 2;
  std::function<void(std::int64_t ms)> pause;  // how a slowed login waits; null: sleeps
  // Where the setup code is kept for `telltale setup-code` (setup_code_path()) while setup is
  // pending: written (mode 0600) when the code is made, removed once setup is done and when the
  // service ends. Empty: nowhere.
  std::string setup_code_file;
};

// The file of a data directory that holds the pending setup code (AuthOptions::setup_code_file).
std::string setup_code_path(const std::string& data_dir);

struct User {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::viewer;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

struct ApiToken {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string user;
  std::string label;
  std::string prefix;  // the token's first 10 characters, for recognising it in lists
  TimeMs created_at = 0;
  std::optional<TimeMs> expires_at;  // nullopt: never
  std::optional<TimeMs> last_used_at;
  std::optional<TimeMs> revoked_at;
};

// A read-only link for a wall screen: whoever holds its token sees the kiosk view's data (the
// nodes, their availability, the firing alerts) and nothing else (http::Access::kiosk).
struct KioskLink {
  std::int64_t id = 0;
  std::string name;
  std::string prefix;  // the token's first 12 characters ("ttk_" and 8 more), for lists
  TimeMs created_at = 0;
  std::string created_by;
  std::optional<TimeMs> last_used_at;
  std::optional<TimeMs> revoked_at;
};

struct NewSession {
  std::string cookie_token;  // 32 random bytes, base64url; only its SHA-256 is stored
  std::string csrf_token;
  TimeMs expires_at = 0;
  Principal principal;
};

struct NewToken {
  std::int64_t id = 0;
  std::string token;  // "tt_" + 32 random bytes base64url; shown once, only its SHA-256 is stored
  ApiToken info;
};

struct NewKioskLink {
  std::string token;  // "ttk_" + 32 random bytes base64url; shown once, only its SHA-256 is stored
  KioskLink info;
};

struct AuditEntry {
  std::int64_t id = 0;
  TimeMs at = 0;
  std::string actor;   // user name, or "cli" / "system"
  std::string action;  // e.g. user.create, token.revoke
  std::string target;
  std::string remote;
  nlohmann::json details = nlohmann::json::object();
};

// Credentials that stopped being valid before their time: a logout, a revoked token, a deleted
// user, a password change (which ends the user's other sessions).
struct Revocation {
  enum class Scope { session, token, user_sessions, user } scope = Scope::session;
  std::int64_t user_id = 0;   // user_sessions, user
  std::int64_t token_id = 0;  // token
  std::string session_id;     // session: the one ended; user_sessions: the one kept ("" none)
  // Whether a connection authenticated as `p` ends with it.
  bool covers(const Principal& p) const;
};

// Thread-safe; called from HTTP pool threads and the CLI. `actor` is the name recorded in the
// audit log, `remote` the client address ("" for the CLI). Authorisation (who may act on whom)
// is the caller's job: see allows().
class AuthService {
 public:
  AuthService(db::Writer& writer, db::Readers& readers, const Clock& clock,
              AuthOptions options = {});
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;
  ~AuthService();

  [[nodiscard]] Result<bool> has_users();

  // Told each Revocation after its change committed, on the thread that made it. Set before
  // the service is shared between threads.
  void on_revoked(std::function<void(const Revocation&)> fn) { m_on_revoked = std::move(fn); }

  // ---- first-run setup ----
  // While no user exists: a one-time code (e.g. "ABCD-EFGH-JKLM"), generated once per process,
  // for the app to print to its log (and kept in options.setup_code_file). nullopt once a user
  // exists or setup has been completed.
  std::optional<std::string> setup_code();
  // Creates the first admin. forbidden SETUP_CODE_INVALID (wrong codes are rate-limited per
  // remote like logins), conflict SETUP_DONE when a user exists. Case and '-' in the code are
  // ignored.
  [[nodiscard]] Result<User> complete_setup(const std::string& code, const std::string& name,
                                            const std::string& password, const std::string& remote);

  // ---- users ----
  // An api user may have an empty password (tokens only, no login); others need 8..1024 bytes.
  [[nodiscard]] Result<User> create_user(const std::string& name, Role role,
                                         const std::string& password, const std::string& actor,
                                         const std::string& remote);
  [[nodiscard]] Result<Page<User>> list_users(PageRequest page);
  [[nodiscard]] Result<User> get_user(const std::string& name);  // not_found USER_NOT_FOUND
  [[nodiscard]] Result<User> get_user_by_id(std::int64_t id);    // not_found USER_NOT_FOUND
  // Deletes the user with their sessions and tokens. conflict LAST_ADMIN for the only admin.
  [[nodiscard]] Result<void> delete_user(std::int64_t id, const std::string& actor,
                                         const std::string& remote);
  // Ends all the user's sessions except the one whose cookie is `keep_session` (so people who
  // change their own password stay logged in).
  [[nodiscard]] Result<void> set_password(std::int64_t user_id, const std::string& password,
                                          const std::string& actor, const std::string& remote,
                                          const std::string& keep_session = {});
  // A user's own new password, given with the current one (a session left open on a shared
  // screen must not be enough). A wrong current password is a failed login for the limits:
  // validation VALIDATION_FAILED on current_password, and after as many failures as logins
  // take, rate_limited LOGIN_RATE_LIMITED. Then as set_password.
  [[nodiscard]] Result<void> change_own_password(std::int64_t user_id, const std::string& current,
                                                 const std::string& password,
                                                 const std::string& remote,
                                                 const std::string& keep_session = {});
  // An admin's change of a user's role; it holds at the user's next request (sessions and tokens
  // read the role each time). not_found USER_NOT_FOUND; conflict LAST_ADMIN when it would leave
  // no admin.
  [[nodiscard]] Result<User> set_role(std::int64_t user_id, Role role, const std::string& actor,
                                      const std::string& remote);

  // ---- sessions ----
  // unauthenticated INVALID_CREDENTIALS; rate_limited LOGIN_RATE_LIMITED (with retry_after_s).
  // While the disk is full the session is held in memory instead (see m_memory_sessions).
  [[nodiscard]] Result<NewSession> login(const std::string& name, const std::string& password,
                                         const std::string& remote);
  // unauthenticated SESSION_INVALID when unknown or expired.
  [[nodiscard]] Result<Principal> authenticate_session(const std::string& cookie_token);
  [[nodiscard]] Result<void> logout(const std::string& cookie_token);  // idempotent

  // ---- API tokens ----
  // expires_in_ms: 0 = never. not_found USER_NOT_FOUND.
  [[nodiscard]] Result<NewToken> create_token(const std::string& user_name,
                                              const std::string& label, std::int64_t expires_in_ms,
                                              const std::string& actor, const std::string& remote);
  // Newest first, revoked and expired ones included.
  [[nodiscard]] Result<Page<ApiToken>> list_tokens(const std::optional<std::string>& user,
                                                   PageRequest page);
  [[nodiscard]] Result<ApiToken> get_token(std::int64_t id);  // not_found TOKEN_NOT_FOUND
  // not_found TOKEN_NOT_FOUND; revoking a revoked token succeeds.
  [[nodiscard]] Result<void> revoke_token(std::int64_t id, const std::string& actor,
                                          const std::string& remote);
  // `bearer` is the whole token ("tt_..."). unauthenticated TOKEN_INVALID when unknown, revoked
  // or expired. Records last_used_at (at most once a minute per token) in a lazy writer job.
  [[nodiscard]] Result<Principal> authenticate_token(const std::string& bearer);

  // ---- kiosk links (auth/kiosk.cpp) ----
  // validation VALIDATION_FAILED on name (1 to 100 bytes, no control characters).
  [[nodiscard]] Result<NewKioskLink> create_kiosk_link(const std::string& name,
                                                       const std::string& actor,
                                                       const std::string& remote);
  // Newest first, revoked ones included.
  [[nodiscard]] Result<Page<KioskLink>> list_kiosk_links(PageRequest page);
  // not_found KIOSK_LINK_NOT_FOUND; revoking a revoked link succeeds. The link stops working at
  // once: every use reads its row.
  [[nodiscard]] Result<void> revoke_kiosk_link(std::int64_t id, const std::string& actor,
                                               const std::string& remote);
  // `token` is the whole token ("ttk_..."). unauthenticated KIOSK_LINK_INVALID when unknown or
  // revoked. A Principal::Via::kiosk named "kiosk:<link name>"; last_used_at as for API tokens.
  [[nodiscard]] Result<Principal> authenticate_kiosk(const std::string& token);

  // ---- audit log ----
  // Inserts one row; call it inside the writer job that makes the change, so both commit
  // together. Throws SQLite::Exception like any statement in a writer job.
  static void record_audit(SQLite::Database& db, const AuditEntry& entry);
  // Newest first. `action` matches exactly, or by prefix when it ends in ".*" ("user.*").
  [[nodiscard]] Result<Page<AuditEntry>> list_audit(PageRequest page,
                                                    const std::optional<std::string>& actor = {},
                                                    const std::optional<std::string>& action = {});

 private:
  Error rate_limited(std::int64_t blocked_ms, const char* code) const;
  // Last-use stamps of API tokens and kiosk links: at most once a minute per credential, in a
  // lazy writer job (`table` is "api_tokens" or "kiosk_links"; `touched` its map below).
  using Touched = std::unordered_map<std::int64_t, TimeMs>;  // id -> last recorded use
  void touch(Touched& touched, const char* table, std::int64_t id,
             std::optional<TimeMs> last_used_at);
  void revoked(const Revocation& r) const {
    if (m_on_revoked) m_on_revoked(r);
  }

  db::Writer& m_writer;
  events::Log m_log;  // users' and tokens' changes are audited, not events
  db::Readers& m_readers;
  const Clock& m_clock;
  AuthOptions m_options;
  RateLimiter m_per_address;  // remote: logins for any names
  RateLimiter m_per_pair;     // "l:" remote "/" lower-case name (logins), "s:" remote (setup codes)
  RateLimiter m_per_user;     // lower-case name, from any address: slows down, never locks
  std::mutex m_waiting_mutex;
  std::set<std::string> m_waiting;  // names whose slowed login is waiting now

  std::mutex m_setup_mutex;
  std::string m_setup_code;  // normalised (no '-'); empty until first asked for
  bool m_setup_done = false;
  void forget_setup_code();  // removes options.setup_code_file

  // Sessions of logins made while the disk was full, whose row could not be written. People must
  // be able to log in to a server that needs their attention; a session in memory lasts until it
  // expires, is ended (logout, new password) or the server stops, when its user logs in again.
  // Each use reads the user from the database, as a stored session does, so a deleted user or a
  // new role takes effect at once. At most kMaxMemorySessions; beyond, a login answers DISK_FULL.
  struct MemorySession {
    std::int64_t user_id = 0;
    std::string csrf_token;
    TimeMs expires_at = 0;
  };
  static constexpr std::size_t kMaxMemorySessions = 1024;
  std::mutex m_memory_mutex;
  std::map<Sha256, MemorySession> m_memory_sessions;
  std::function<void(const Revocation&)> m_on_revoked;

  std::mutex m_touch_mutex;  // guards both maps
  Touched m_token_touched;
  Touched m_kiosk_touched;
};

}  // namespace tt::auth
