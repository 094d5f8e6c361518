// notify/ — notification channels and the durable outbox. A channel kind is a descriptor (its
// option table and a renderer that turns a notification into one HTTP request or one email);
// the outbox keeps a row per (alert transition, channel) committed with the transition, and the
// dispatcher delivers the rows through libcurl on the core loop. Called by api/ handlers and
// wired to the alert evaluator by app/; no HTTP server code in here.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"

namespace tt::notify {

// What a notification says: the alert as it was at its transition (the outbox's payload), and
// when it is sent, so a message delivered late says how old it is.
struct Notice {
  enum class Event { firing, resolved, test };
  Event event = Event::firing;
  std::int64_t id = 0;  // the outbox row (0 for a test): an idempotency key for receivers
  std::int64_t alert_id = 0;
  std::string rule_name;
  std::string severity;  // critical, warning, info
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  double value = 0;
  TimeMs active_at = 0;
  std::optional<TimeMs> fired_at, resolved_at;
  TimeMs at = 0;           // the transition
  TimeMs sent_at = 0;      // now, at rendering
  bool collapsed = false;  // resolved, and its firing notification was dropped as stale
  std::optional<std::int64_t>
      escalated_after_ms;  // sent by an escalation step: unacknowledged this long
  // A group notification (a channel with grouping): the group's labels and its alerts, each a
  // notice of its own. The fields above are then those of its first firing alert (else its
  // first), so that every kind renders a group; `id` is the group row, the idempotency key.
  std::vector<std::pair<std::string, std::string>> group_labels;
  std::vector<Notice> group;
  bool repeat = false;  // sent again after repeat_interval: still firing, nobody acknowledged
};

std::string_view to_string(Notice::Event e);

// Builds a notice from an outbox payload (an alert's JSON as alerts::to_json writes it).
Notice notice_from_payload(Notice::Event event, const nlohmann::json& alert, TimeMs at);
// Builds a group notice from a group row's payload ({"group_labels", "repeat", "alerts": [{"event",
// "alert"}]}, as flush_groups writes it), formed at `at`.
Notice notice_from_group(const nlohmann::json& group, TimeMs at);

// One delivery: an HTTP request, or (smtp:// and smtps:// URLs) an email.
struct Request {
  std::string url;
  std::string method = "POST";
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // for SMTP the whole RFC 5322 message
  std::string username, password;    // HTTP basic auth, or SMTP AUTH
  // SMTP only
  std::string mail_from;
  std::vector<std::string> mail_rcpt;
  enum class Tls { off, try_starttls, require } tls = Tls::try_starttls;
  bool insecure_tls = false;  // accept any certificate (self-signed receivers)
};

struct ChannelKind {
  std::string kind;   // webhook, email, slack, ...
  std::string title;  // "Microsoft Teams"
  std::string help;
  std::vector<OptionSpec> options;
  // Checks across options (URL schemes, header injection); runs on normalized options.
  std::function<std::vector<FieldError>(const nlohmann::json& config)> check;
  // The request for a notice; `config` is normalized (durations in ms).
  std::function<Result<Request>(const nlohmann::json& config, const Notice& n)> render;
};

// Every kind, in display order.
const std::vector<const ChannelKind*>& channel_kinds();
const ChannelKind* find_channel_kind(std::string_view kind);
nlohmann::json to_json(const ChannelKind& k);

// Validates a channel's config against its kind (VALIDATION_FAILED, fields "config.<name>").
Result<nlohmann::json> normalize_config(const ChannelKind& kind, const nlohmann::json& config);

// The default text every kind sends: a title ("[FIRING] WebDown (critical)") and a body with
// the summary, value, labels and times, the age of a late message ("fired 3 d ago").
std::string notice_title(const Notice& n);
std::string notice_text(const Notice& n);
// "45 s", "12 min", "5 h", "3 d".
std::string format_age(std::int64_t ms);

}  // namespace tt::notify
