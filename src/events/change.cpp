#include "events/change.h"

#include <cassert>

#include "db/audit.h"

namespace tt::events {

void Change::event(std::string_view topic, std::string kind, std::string subject,
                   nlohmann::json data) {
  event(StoredEvent{0, m_now, std::string(topic), std::move(kind), std::move(subject), m_actor.name,
                    std::move(data)});
}

void Change::event(StoredEvent e) { m_events.push_back(append(m_db, std::move(e))); }

void Change::audit(std::string_view action, const std::string& target,
                   const nlohmann::json& details) {
  db::append_audit(m_db, m_now, m_actor, std::string(action), target, details.dump());
}

void Change::record(const Resource& r, std::string_view event_kind, std::string_view audit_action,
                    std::int64_t id, nlohmann::json data, const nlohmann::json& audit) {
  const std::string subject = std::to_string(id);
  const std::string name(r.name);
  event(r.topic, name + "." + std::string(event_kind), subject, std::move(data));
  this->audit(name + "." + std::string(audit_action), subject, audit);
}

void Change::created(const Resource& r, std::int64_t id, nlohmann::json record,
                     const nlohmann::json& audit) {
  this->record(r, "created", "create", id, {{std::string(r.key), std::move(record)}}, audit);
}

void Change::updated(const Resource& r, std::int64_t id, nlohmann::json record,
                     const FieldChanges& diff, const nlohmann::json& audit) {
  this->record(
      r, "updated", "update", id,
      {{std::string(r.key), std::move(record)}, {"changed", diff.changed}, {"before", diff.before}},
      audit);
}

void Change::deleted(const Resource& r, std::int64_t id, nlohmann::json record,
                     const nlohmann::json& audit) {
  this->record(r, "deleted", "delete", id, {{std::string(r.key), std::move(record)}}, audit);
}

Log::Recorded Log::take(Change& change) {
  return {std::move(change.m_events), std::move(change.m_after_commit)};
}

void Log::committed(const Recorded& recorded) {
  for (const auto& fn : recorded.after_commit) fn();
  assert(m_bus || recorded.events.empty());  // a Log without a bus records audit rows only
  if (m_bus)
    for (const auto& e : recorded.events) publish(*m_bus, e);
}

namespace {
thread_local Change* t_ambient = nullptr;
}  // namespace

Ambient::Ambient(Change& change) : m_previous(t_ambient) { t_ambient = &change; }
Ambient::~Ambient() { t_ambient = m_previous; }
Change* Ambient::current() { return t_ambient; }

}  // namespace tt::events
