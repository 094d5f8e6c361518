// snmp/trap_users.h — the SNMPv3 users the trap receiver accepts, managed by people through the
// API (create, read, update, delete, list) and stored in SQLite (snmp_trap_users). Each change
// commits with its audit row and then refreshes the TrapKeyring the receiver reads, so keys are
// localised when a user changes, never per trap. Passwords are never returned: to_json shows
// them as "********", and a PATCH that sends the mask back keeps the stored value. The service
// also keeps Telltale's own engine id and boots, to which inform senders localise their keys.
// Thread-safe: called from HTTP pool threads (and load() once at start).
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/actor.h"
#include "core/options.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
#include "snmp/traps.h"

namespace tt::snmp {

struct TrapUser {
  std::int64_t id = 0;
  std::string engine_id;  // bytes; the sending agent's authoritative engine id
  UsmUser user;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

// {id, user, engine_id (hex), auth_protocol, auth_password, priv_protocol, priv_password,
// created_at, updated_at}; protocols "none" and passwords null when unset, set passwords masked.
nlohmann::json to_json(const TrapUser& u);

// Validates a whole trap user: `user`, `engine_id` (hex, optionally 0x-prefixed, 5 to 32 bytes)
// and the protocols and passwords as device discovery takes them (snmp/usm_json.h). Every
// problem is listed (VALIDATION_FAILED).
const OptionSpecs& trap_user_fields();
Result<TrapUser> decode_trap_user(const nlohmann::json& body);

// Telltale's own SNMP engine, to which inform senders localise their keys.
struct LocalEngineIdentity {
  std::string engine_id;  // bytes
  std::uint32_t boots = 0;
};

class TrapUserService {
 public:
  TrapUserService(db::Writer& writer, db::Readers& readers, TrapKeyring& keyring,
                  const Clock& clock)
      : m_writer(writer), m_log(writer, nullptr, clock), m_readers(readers), m_keyring(keyring) {}

  // At start: fills the keyring from the table, and counts this start in Telltale's engine
  // boots (RFC 3414 2.2), making the engine id on the first start. Both live in `settings`.
  Result<void> load();
  // Valid after load().
  const LocalEngineIdentity& engine() const { return m_engine; }

  Result<TrapUser> create(const nlohmann::json& body, const Actor& actor);
  Result<TrapUser> get(std::int64_t id);
  // A JSON merge patch (RFC 7396): null removes a field (a protocol with its password).
  Result<TrapUser> update(std::int64_t id, const nlohmann::json& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<TrapUser>> list(const PageRequest& page);

 private:
  Result<void> refresh();
  void refresh_after_change();

  db::Writer& m_writer;
  events::Log m_log;  // trap users' changes are audited, not events
  db::Readers& m_readers;
  TrapKeyring& m_keyring;
  // Changes and keyring refreshes in one order, so the keyring ends as the table does.
  std::mutex m_changes;
  LocalEngineIdentity m_engine;
};

}  // namespace tt::snmp
