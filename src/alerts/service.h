// alerts/service.h — alert rules (create, read, update, delete, list) and alerts (list, get,
// acknowledge). Every change commits with its event and, for people's actions, its audit row;
// rules then go to the evaluator. Thread-safe: called from HTTP pool threads.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/evaluator.h"
#include "alerts/silence.h"
#include "bus/bus.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::alerts {

struct RuleQuery {
  std::optional<Severity> severity;
  std::optional<bool> enabled;
  std::string text;  // in name or expr
  PageRequest page;
};

struct AlertQuery {
  std::optional<AlertState> state;
  std::optional<Severity> severity;
  std::optional<std::int64_t> rule_id;
  std::vector<std::pair<std::string, std::string>> labels;  // all must match
  PageRequest page;                                         // newest first
};

class AlertService {
 public:
  AlertService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, Evaluator& evaluator,
               const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers), m_evaluator(evaluator), m_clock(clock) {}

  // At start: every stored rule and every alert still pending or firing, for Evaluator::load.
  Result<std::vector<Rule>> load_rules();
  Result<std::vector<Alert>> load_active();

  // At start, before load_rules: creates the built-in rules (alerts/builtin.h) this database has
  // never been given, as ordinary rules without channels, and remembers each key in `settings`
  // so that one the user deleted is not made again (nor one whose name a rule of theirs has).
  // Returns the names of the rules created.
  Result<std::vector<std::string>> seed_builtin();

  Result<Rule> create(const RuleInput& in, const Actor& actor);
  Result<Rule> get(std::int64_t id);
  Result<Rule> update(std::int64_t id, const RuleInput& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<Rule>> list(const RuleQuery& q);

  Result<Alert> alert(std::int64_t id);
  Result<Page<Alert>> alerts(const AlertQuery& q);
  // Records who acknowledged and why; repeats of its notifications stop. Acknowledging a
  // resolved alert is a conflict (ALERT_RESOLVED); a second ack replaces the first.
  Result<Alert> ack(std::int64_t id, const std::string& comment, const Actor& actor);

  // The alerts among `ids` that are muted now (an active silence or maintenance window selects
  // them, or another alert inhibits them, and they are not resolved): what the notification
  // dispatcher leaves unsent.
  Result<std::set<std::int64_t>> muted(const std::vector<std::int64_t>& ids);

  // Silences: created by `actor`; listed newest first (expired ones only when asked); expiring
  // ends one now. Alerts read through this service carry `silenced`.
  Result<Silence> create_silence(Silence s, const Actor& actor);
  Result<Silence> silence(std::int64_t id);
  Result<Page<Silence>> silences(bool include_expired, const PageRequest& page);
  Result<Silence> expire_silence(std::int64_t id, const Actor& actor);

 private:
  Alert with_live(Alert a) const;
  // Marks the alerts that an active silence selects, names the active maintenance windows that
  // cover them and the firing alert that inhibits them.
  Result<void> mark_muted(std::vector<Alert>& alerts);

  events::Log m_log;
  db::Readers& m_readers;
  Evaluator& m_evaluator;
  const Clock& m_clock;
};

}  // namespace tt::alerts
