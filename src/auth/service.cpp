// AuthService: construction, first-run setup and users. Sessions, tokens and the audit log live
// in session.cpp, token.cpp and audit.cpp.
#include "auth/service.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "auth/detail.h"
#include "core/log.h"

namespace tt::auth {

namespace {

// Ends a user's sessions held in memory (AuthService::m_memory_sessions), but `keep`'s.
template <typename Sessions>
void end_memory_sessions(std::mutex& mutex, Sessions& sessions, std::int64_t user_id,
                         const Sha256* keep) {
  std::lock_guard lock(mutex);
  std::erase_if(sessions, [&](const auto& kv) {
    return kv.second.user_id == user_id && (!keep || kv.first != *keep);
  });
}

// No 0/O, 1/I/L: easy to read off a console and type.
constexpr std::string_view kSetupAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
constexpr int kSetupCodeChars = 12;

std::string normalise_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string group_code(const std::string& code) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += code[i];
  }
  return out;
}

Result<User> insert_user(SQLite::Database& db, const std::string& name, Role role,
                         const std::optional<std::string>& hash, TimeMs now) {
  SQLite::Statement exists(db, "SELECT 1 FROM users WHERE name = ?");
  exists.bind(1, name);
  if (exists.executeStep()) {
    return Error::make(ErrorKind::conflict, "USER_EXISTS",
                       "a user named '" + name + "' already exists");
  }
  SQLite::Statement ins(db,
                        "INSERT INTO users (name, role, password_hash, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?)");
  ins.bind(1, name);
  ins.bind(2, std::string(role_name(role)));
  if (hash)
    ins.bind(3, *hash);
  else
    ins.bind(3);
  ins.bind(4, now);
  ins.bind(5, now);
  ins.exec();
  return User{db.getLastInsertRowid(), name, role, now, now};
}

// Writes `text` to `path` readable by this process's user alone: beside it first, then renamed,
// so a reader never sees half a code. Returns an errno, or 0.
int write_private_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int err = 0;
  if (::fchmod(fd, 0600) != 0 ||
      ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    err = errno != 0 ? errno : EIO;  // a short write sets none
  ::close(fd);
  if (err == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) std::remove(tmp.c_str());
  return err;
}

}  // namespace

std::string setup_code_path(const std::string& data_dir) { return data_dir + "/setup-code"; }

bool Revocation::covers(const Principal& p) const {
  switch (scope) {
    case Scope::session:
      return p.via == Principal::Via::session && p.session_id == session_id;
    case Scope::token:
      return p.via == Principal::Via::token && p.token_id == token_id;
    case Scope::user_sessions:
      return p.via == Principal::Via::session && p.user_id == user_id && p.session_id != session_id;
    case Scope::user:
      return p.user_id == user_id;
  }
  return false;
}

AuthService::AuthService(db::Writer& writer, db::Readers& readers, const Clock& clock,
                         AuthOptions options)
    : m_writer(writer),
      m_log(writer, nullptr, clock),
      m_readers(readers),
      m_clock(clock),
      m_options(options),
      m_per_address(clock, {options.login_address_max_failures, options.login_window_ms, 10'000}),
      m_per_pair(clock, {options.login_max_failures, options.login_window_ms, 10'000}),
      // Remembers enough failures for the delay to reach its cap.
      m_per_user(clock, {options.login_max_failures + 8, options.login_window_ms, 10'000}) {
  ensure_sodium();
}

AuthService::~AuthService() { forget_setup_code(); }

void AuthService::forget_setup_code() {
  if (m_options.setup_code_file.empty()) return;
  if (std::remove(m_options.setup_code_file.c_str()) != 0 && errno != ENOENT)
    log::warn("auth: cannot remove {}: {}", m_options.setup_code_file, std::strerror(errno));
}

Error AuthService::rate_limited(std::int64_t blocked_ms, const char* code) const {
  Error e = Error::make(ErrorKind::rate_limited, code, "too many failed attempts; try again later");
  e.retry_after_s = static_cast<int>((blocked_ms + 999) / 1000);
  return e;
}

Result<bool> AuthService::has_users() {
  return m_readers.with([](SQLite::Database& db) -> Result<bool> {
    return db.execAndGet("SELECT EXISTS (SELECT 1 FROM users)").getInt() != 0;
  });
}

// ---- first-run setup ----

std::optional<std::string> AuthService::setup_code() {
  {
    std::lock_guard lock(m_setup_mutex);
    if (m_setup_done) return std::nullopt;
  }
  auto has = has_users();
  if (!has.ok()) {
    log::warn("auth: cannot tell whether users exist: {}", has.error().message);
    return std::nullopt;
  }
  if (has.value()) {
    forget_setup_code();  // a previous run's, which ended without removing it
    return std::nullopt;
  }
  std::lock_guard lock(m_setup_mutex);
  if (m_setup_done) return std::nullopt;
  if (m_setup_code.empty()) {
    for (int i = 0; i < kSetupCodeChars; ++i) {
      m_setup_code +=
          kSetupAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kSetupAlphabet.size()))];
    }
    if (!m_options.setup_code_file.empty()) {
      if (int err = write_private_file(m_options.setup_code_file, group_code(m_setup_code) + "\n"))
        log::warn("auth: cannot write {}: {}", m_options.setup_code_file, std::strerror(err));
    }
  }
  return group_code(m_setup_code);
}

Result<User> AuthService::complete_setup(const std::string& code, const std::string& name,
                                         const std::string& password, const std::string& remote) {
  const std::string key = "s:" + remote;
  if (auto ms = m_per_pair.blocked_for_ms(key); ms > 0)
    return rate_limited(ms, "SETUP_RATE_LIMITED");
  const Error done =
      Error::make(ErrorKind::conflict, "SETUP_DONE", "setup has already been completed");
  auto has = has_users();
  if (!has.ok()) return std::move(has).error();
  std::string expected;
  {
    std::lock_guard lock(m_setup_mutex);
    if (m_setup_done || has.value()) return done;
    expected = m_setup_code;
  }
  if (expected.empty() || !constant_time_equal(normalise_code(code), expected)) {
    m_per_pair.record_failure(key);
    log::warn("auth: wrong setup code from '{}'", remote);
    return Error::make(ErrorKind::forbidden, "SETUP_CODE_INVALID",
                       "wrong setup code; it is printed in the server log");
  }
  TT_TRY(validate_user_name(name));
  TT_TRY(validate_password(password));
  const std::string hash = TT_TRY(hash_password(password));
  auto user = m_log.commit<User>(Actor{name, remote}, [&](events::Change& change) -> Result<User> {
    if (change.db().execAndGet("SELECT COUNT(*) FROM users").getInt64() > 0) return done;
    User u = TT_TRY(insert_user(change.db(), name, Role::admin, hash, change.now()));
    change.audit("setup.complete", name, {{"role", "admin"}});
    return u;
  });
  if (user.ok() || user.error().code == "SETUP_DONE") {
    std::lock_guard lock(m_setup_mutex);
    m_setup_done = true;
    m_setup_code.clear();
    forget_setup_code();
  }
  if (user.ok()) log::info("auth: setup complete; admin '{}' created", name);
  return user;
}

// ---- users ----

Result<User> AuthService::create_user(const std::string& name, Role role,
                                      const std::string& password, const std::string& actor,
                                      const std::string& remote) {
  TT_TRY(validate_user_name(name));
  std::optional<std::string> hash;
  if (!(role == Role::api && password.empty())) {
    TT_TRY(validate_password(password));
    hash = TT_TRY(hash_password(password));
  }
  return m_log.commit<User>(Actor{actor, remote}, [&](events::Change& change) -> Result<User> {
    User u = TT_TRY(insert_user(change.db(), name, role, hash, change.now()));
    change.audit("user.create", name, {{"id", u.id}, {"role", role_name(role)}});
    return u;
  });
}

Result<Page<User>> AuthService::list_users(PageRequest page) {
  page = detail::clamp(page);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<User>> {
    Page<User> out;
    out.request = page;
    out.total = db.execAndGet("SELECT COUNT(*) FROM users").getInt64();
    SQLite::Statement q(db, fmt::format("SELECT {} FROM users ORDER BY name LIMIT ? OFFSET ?",
                                        detail::kUserColumns));
    q.bind(1, page.per_page);
    q.bind(2, page.offset());
    while (q.executeStep()) out.items.push_back(detail::user_from_row(q));
    return out;
  });
}

namespace {

// The user whose `column` is `key`; USER_NOT_FOUND naming it as `what`.
template <class Key>
Result<User> user_where(db::Readers& readers, const char* column, const Key& key,
                        const std::string& what) {
  return readers.with([&](SQLite::Database& db) -> Result<User> {
    SQLite::Statement q(
        db, fmt::format("SELECT {} FROM users WHERE {} = ?", detail::kUserColumns, column));
    q.bind(1, key);
    if (!q.executeStep()) return detail::user_not_found(what);
    return detail::user_from_row(q);
  });
}

}  // namespace

Result<User> AuthService::get_user(const std::string& name) {
  return user_where(m_readers, "name", name, "named '" + name + "'");
}

Result<User> AuthService::get_user_by_id(std::int64_t id) {
  return user_where(m_readers, "id", id, fmt::format("with id {}", id));
}

Result<void> AuthService::delete_user(std::int64_t id, const std::string& actor,
                                      const std::string& remote) {
  return m_log.commit<void>(Actor{actor, remote}, [&](events::Change& change) -> Result<void> {
    SQLite::Statement q(change.db(), "SELECT name, role FROM users WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return detail::user_not_found(fmt::format("with id {}", id));
    const std::string name = q.getColumn(0).getString();
    const std::string role = q.getColumn(1).getString();
    if (role == role_name(Role::admin) &&
        change.db().execAndGet("SELECT COUNT(*) FROM users WHERE role = 'admin'").getInt64() <= 1) {
      return Error::make(ErrorKind::conflict, "LAST_ADMIN", "cannot delete the last admin");
    }
    SQLite::Statement del(change.db(), "DELETE FROM users WHERE id = ?");
    del.bind(1, id);
    del.exec();
    change.audit("user.delete", name, {{"id", id}, {"role", role}});
    change.after_commit([this, id] {
      // Its id may be given to the next user: its sessions in memory must not pass to them.
      end_memory_sessions(m_memory_mutex, m_memory_sessions, id, nullptr);
      revoked({Revocation::Scope::user, id, 0, {}});
    });
    return ok();
  });
}

Result<void> AuthService::set_password(std::int64_t user_id, const std::string& password,
                                       const std::string& actor, const std::string& remote,
                                       const std::string& keep_session) {
  TT_TRY(validate_password(password));
  const std::string hash = TT_TRY(hash_password(password));
  const Sha256 keep = sha256(keep_session);
  return m_log.commit<void>(Actor{actor, remote}, [&](events::Change& change) -> Result<void> {
    SQLite::Statement q(change.db(), "SELECT name FROM users WHERE id = ?");
    q.bind(1, user_id);
    if (!q.executeStep()) return detail::user_not_found(fmt::format("with id {}", user_id));
    const std::string name = q.getColumn(0).getString();
    SQLite::Statement upd(change.db(),
                          "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?");
    upd.bind(1, hash);
    upd.bind(2, change.now());
    upd.bind(3, user_id);
    upd.exec();
    SQLite::Statement del(change.db(),
                          "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?");
    del.bind(1, user_id);
    detail::bind_hash(del, 2, keep);
    int ended = del.exec();
    change.audit("user.password", name, {{"sessions_ended", ended}});
    change.after_commit([this, user_id, keep, &keep_session] {
      end_memory_sessions(m_memory_mutex, m_memory_sessions, user_id, &keep);
      revoked({Revocation::Scope::user_sessions, user_id, 0,
               keep_session.empty() ? std::string() : detail::session_id(keep)});
    });
    return ok();
  });
}

Result<User> AuthService::set_role(std::int64_t user_id, Role role, const std::string& actor,
                                   const std::string& remote) {
  return m_log.commit<User>(Actor{actor, remote}, [&](events::Change& change) -> Result<User> {
    SQLite::Statement q(change.db(),
                        fmt::format("SELECT {} FROM users WHERE id = ?", detail::kUserColumns));
    q.bind(1, user_id);
    if (!q.executeStep()) return detail::user_not_found(fmt::format("with id {}", user_id));
    User u = detail::user_from_row(q);
    if (u.role == role) return u;
    if (u.role == Role::admin &&
        change.db().execAndGet("SELECT COUNT(*) FROM users WHERE role = 'admin'").getInt64() <= 1)
      return Error::make(ErrorKind::conflict, "LAST_ADMIN",
                         "this is the last admin: make another admin first");
    SQLite::Statement upd(change.db(), "UPDATE users SET role = ?, updated_at = ? WHERE id = ?");
    upd.bind(1, std::string(role_name(role)));
    upd.bind(2, change.now());
    upd.bind(3, user_id);
    upd.exec();
    change.audit("user.role", u.name,
                 {{"id", u.id}, {"from", role_name(u.role)}, {"to", role_name(role)}});
    u.role = role;
    u.updated_at = change.now();
    return u;
  });
}

}  // namespace tt::auth
