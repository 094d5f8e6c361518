// notify/service.h — notification channels (create, read, update, delete, list, test) and the
// outbox as people read it. Every change commits with its audit row. Secrets in a channel's
// config are never returned: GET shows them as "********", and a PATCH that sends the mask
// back keeps the stored value. Thread-safe: called from HTTP pool threads.
#pragma once

#include <optional>
#include <string>

#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
#include "notify/grouping.h"
#include "notify/transport.h"

namespace tt::notify {

struct Channel {
  std::int64_t id = 0;
  std::string name;
  std::string kind;
  nlohmann::json config;                   // normalized, secrets included
  std::optional<nlohmann::json> grouping;  // normalized by grouping_options(); none: no grouping
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

// Secrets masked.
nlohmann::json to_json(const Channel& c);

// What a client may set: on create `name`, `kind`, `config` and optionally `grouping`; on PATCH
// any of them (`grouping: null` turns grouping off).
struct ChannelInput {
  std::optional<std::string> name;
  std::optional<std::string> kind;
  std::optional<nlohmann::json> config;
  std::optional<nlohmann::json> grouping;  // a JSON null: none
};
const OptionSpecs& channel_fields();
Result<ChannelInput> decode_channel_input(const nlohmann::json& body, bool create);

struct NotificationQuery {
  std::optional<std::string> state;  // pending, delivered, failed, collapsed
  std::optional<std::int64_t> channel_id;
  PageRequest page;  // newest first
};

class ChannelService {
 public:
  ChannelService(db::Writer& writer, db::Readers& readers, Transport& transport, const Clock& clock)
      : m_log(writer, nullptr, clock), m_readers(readers), m_transport(transport), m_clock(clock) {}

  Result<Channel> create(const ChannelInput& in, const Actor& actor);
  Result<Channel> get(std::int64_t id);
  Result<Channel> update(std::int64_t id, const ChannelInput& patch, const Actor& actor);
  // A channel that alert rules still name is a conflict (CHANNEL_IN_USE).
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<Channel>> list(const PageRequest& page);

  // Sends a test message now and waits for the receiver (at most the request timeout):
  // CHANNEL_TEST_FAILED (bad_gateway) with the receiver's error when it fails.
  Result<void> test(std::int64_t id, const Actor& actor);

  // The outbox rows, newest first, as JSON (with the channel's name and the alert's rule).
  Result<Page<nlohmann::json>> notifications(const NotificationQuery& q);

 private:
  events::Log m_log;  // channels' changes are audited, not events
  db::Readers& m_readers;
  Transport& m_transport;
  const Clock& m_clock;
};

}  // namespace tt::notify
