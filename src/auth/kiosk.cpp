// AuthService: kiosk links, read-only credentials for a wall screen. Made, hashed, looked up and
// stamped as API tokens are (auth/detail.h), but they belong to no user: a link is the site's,
// so it outlives the admin who made it, and it grants nothing but http::Access::kiosk routes.
#include "auth/detail.h"
#include "auth/service.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::auth {

namespace {

constexpr std::string_view kKioskPrefix = "ttk_";
constexpr std::size_t kDisplayPrefixChars = 12;

KioskLink read_link(SQLite::Statement& q) {
  KioskLink l;
  db::read_row(q, l.id, l.name, l.prefix, l.created_at, l.created_by, l.last_used_at, l.revoked_at);
  return l;
}

constexpr db::Table<KioskLink> kLinks{
    "kiosk_links", "id, name, prefix, created_at, created_by, last_used_at, revoked_at", read_link,
    "kiosk link", "KIOSK_LINK_NOT_FOUND"};

Error link_invalid() {
  return Error::make(ErrorKind::unauthenticated, "KIOSK_LINK_INVALID",
                     "the kiosk link is unknown or was revoked");
}

}  // namespace

Result<NewKioskLink> AuthService::create_kiosk_link(const std::string& name,
                                                    const std::string& actor,
                                                    const std::string& remote) {
  TT_TRY(detail::validate_label(name, "name"));
  NewKioskLink out;
  out.token = detail::new_secret(kKioskPrefix);
  const Sha256 hash = sha256(out.token);
  KioskLink& info = out.info;
  info.name = name;
  info.prefix = out.token.substr(0, kDisplayPrefixChars);
  info.created_at = m_clock.now_ms();
  info.created_by = actor;
  return m_log.commit<NewKioskLink>(
      Actor{actor, remote}, [&](events::Change& change) -> Result<NewKioskLink> {
        SQLite::Statement ins(change.db(),
                              "INSERT INTO kiosk_links (name, prefix, token_hash, created_at, "
                              "created_by) VALUES (?, ?, ?, ?, ?)");
        ins.bind(1, info.name);
        ins.bind(2, info.prefix);
        detail::bind_hash(ins, 3, hash);
        ins.bind(4, info.created_at);
        ins.bind(5, info.created_by);
        ins.exec();
        info.id = change.db().getLastInsertRowid();
        change.audit("kiosk_link.create", info.name,
                     {{"id", info.id}, {"name", info.name}, {"prefix", info.prefix}});
        return out;
      });
}

Result<Page<KioskLink>> AuthService::list_kiosk_links(PageRequest page) {
  page = detail::clamp(page);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<KioskLink>> {
    return kLinks.page(db, page, "id DESC");
  });
}

Result<void> AuthService::revoke_kiosk_link(std::int64_t id, const std::string& actor,
                                            const std::string& remote) {
  return m_log.commit<void>(Actor{actor, remote}, [&](events::Change& change) -> Result<void> {
    const KioskLink l = TT_TRY(kLinks.get(change.db(), id));
    if (l.revoked_at) return ok();
    SQLite::Statement upd(change.db(), "UPDATE kiosk_links SET revoked_at = ? WHERE id = ?");
    upd.bind(1, change.now());
    upd.bind(2, id);
    upd.exec();
    change.audit("kiosk_link.revoke", l.name, {{"id", id}, {"name", l.name}, {"prefix", l.prefix}});
    return ok();
  });
}

Result<Principal> AuthService::authenticate_kiosk(const std::string& token) {
  if (!detail::may_be_secret(token, kKioskPrefix)) return link_invalid();
  const Sha256 hash = sha256(token);
  std::optional<TimeMs> last_used;
  auto p = m_readers.with([&](SQLite::Database& db) -> Result<Principal> {
    SQLite::Statement q(
        db, "SELECT id, name, revoked_at, last_used_at FROM kiosk_links WHERE token_hash = ?");
    detail::bind_hash(q, 1, hash);
    if (!q.executeStep() || !q.getColumn(2).isNull()) return link_invalid();
    last_used = detail::opt_int64(q.getColumn(3));
    Principal out;
    out.token_id = q.getColumn(0).getInt64();
    out.user = "kiosk:" + q.getColumn(1).getString();
    out.role = Role::viewer;
    out.via = Principal::Via::kiosk;
    return out;
  });
  if (p.ok()) touch(m_kiosk_touched, "kiosk_links", p->token_id, last_used);
  return p;
}

}  // namespace tt::auth
