// fleet/ — the hub's side of agents: enrolment tokens, registration (a host's node found by its
// identity or made, and a credential for that node alone), and the ingest of pushed batches
// (ingestor.h). Domain code: no HTTP; api/fleet.cpp and app/ call it.
//
// Bearer tokens say what they are by their prefix: "tte_" an enrolment token, "tta_" an agent's
// credential, "tt_" an API token (auth/). Only their SHA-256 is stored.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/service.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/options.h"
#include "core/page.h"
#include "core/result.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
#include "inventory/node.h"

namespace tt::fleet {

inline constexpr std::int64_t kDefaultIntervalMs = 10'000;

struct EnrolmentToken {
  std::int64_t id = 0;
  std::string name;
  std::string prefix;  // the token's first characters, to recognise it in lists
  std::string created_by;
  TimeMs created_at = 0;
  std::optional<TimeMs> expires_at;
  std::optional<TimeMs> revoked_at;
  std::int64_t uses = 0;
  std::optional<TimeMs> last_used_at;
};
nlohmann::json to_json(const EnrolmentToken& t);

struct NewEnrolmentToken {
  std::string token;  // shown once
  EnrolmentToken info;
};

// The body of POST /api/v1/enrolment-tokens: name, expires_in (a duration; absent: never).
const OptionSpecs& enrolment_token_fields();
// The body of POST /api/v1/agents/register: the node's fields (nodes' table) and the agent's
// `identity` (required) and `interval`.
const OptionSpecs& registration_fields();

// An agent's credential, as a WebSocket upgrade or a push authenticates with it.
struct AgentPrincipal {
  std::int64_t credential_id = 0;
  std::int64_t node_id = 0;
  std::string node_name;
  std::int64_t interval_ms = kDefaultIntervalMs;
};

struct Registration {
  inventory::Node node;
  bool created = false;
  std::optional<std::string> credential;  // new: "tta_…"; none when the agent used its own
  std::int64_t interval_ms = kDefaultIntervalMs;
};

// Thread-safe; called from HTTP pool threads.
class FleetService {
 public:
  FleetService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, auth::AuthService& auth,
               const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers), m_auth(auth), m_clock(clock) {}

  Result<NewEnrolmentToken> create_enrolment_token(const nlohmann::json& body, const Actor& actor);
  // Newest first, revoked and expired ones included.
  Result<Page<EnrolmentToken>> list_enrolment_tokens(PageRequest page);
  // not_found ENROLMENT_TOKEN_NOT_FOUND; revoking a revoked token succeeds.
  Result<void> revoke_enrolment_token(std::int64_t id, const Actor& actor);

  // Registers the host `body` describes, with `bearer` as its authority: an enrolment token, an
  // API token of an api or admin user, or the agent's own credential (which may only update the
  // node it belongs to). The node is the one with the body's identity, else a node of the same
  // type and name that no agent has claimed, else a new one; its fields and metadata are the
  // agent's. Unless the agent used its own credential, a new credential is issued and the node's
  // earlier ones end. unauthenticated ENROLMENT_INVALID / AGENT_CREDENTIAL_INVALID /
  // TOKEN_INVALID, forbidden FORBIDDEN (another role's API token, another node's credential),
  // conflict NODE_EXISTS (the name is another agent's host or a device), validation errors.
  Result<Registration> register_host(const std::string& bearer, const nlohmann::json& body,
                                     const std::string& remote);

  // unauthenticated AGENT_CREDENTIAL_INVALID when unknown or ended.
  Result<AgentPrincipal> authenticate_agent(const std::string& bearer);

  static bool is_agent_credential(std::string_view bearer) { return bearer.starts_with("tta_"); }

  // Told, after the commit, that a node's credentials other than `kept` (0: all) have ended, so
  // the sockets opened with them close. Set before the service is shared between threads.
  using CredentialsEnded = std::function<void(std::int64_t node_id, std::int64_t kept)>;
  void on_credentials_ended(CredentialsEnded fn) { m_credentials_ended = std::move(fn); }

 private:
  Result<std::optional<std::int64_t>> authorise_registration(const std::string& bearer,
                                                             Actor& actor);

  events::Log m_log;
  db::Readers& m_readers;
  auth::AuthService& m_auth;
  const Clock& m_clock;
  CredentialsEnded m_credentials_ended;
};

}  // namespace tt::fleet
