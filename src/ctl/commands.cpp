#include "ctl/commands.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/clock.h"
#include "core/duration.h"
#include "core/json.h"
#include "core/text.h"
#include "core/yaml.h"
#include "ctl/api.h"
#include "ctl/apply_file.h"
#include "ctl/output.h"

namespace tt::ctl {

using json = nlohmann::json;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

std::size_t terminal_width() {
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS"))
    return static_cast<std::size_t>(std::strtoul(columns, nullptr, 10));
  return 0;  // a pipe: whole lines
}

// What every verb shares: where the server is, the output format, the input of create/update.
struct State {
  Target target;
  std::string output = "table", export_output = "yaml";
  std::vector<std::string> files, sets, strings, filters, labels;
  std::vector<std::string> refs;
  std::string comment, duration = "1h", starts_at, matchers;
  std::string query, time, since, step;
  int count = 0, limit = 50;
  bool dry_run = false, prune = false;

  Format format() const { return parse_format(output).value_or(Format::table); }
};

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// A one-off object (a run's result, a test's answer) as a KEY VALUE table, or JSON/YAML.
void print_object(const json& value, Format format) {
  if (format == Format::json) return print(value.dump(2) + "\n");
  if (format == Format::yaml) return print(to_yaml(value));
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : value.items()) rows.push_back({k, cell(v)});
  print(render_table({"FIELD", "VALUE"}, rows, terminal_width()));
}

Result<std::string> read_file(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return Error::make(ErrorKind::invalid_input, "CTL_BAD_FILE",
                         fmt::format("{}: cannot be read", path));
    text << in.rdbuf();
  }
  return text.str();
}

// A document of a file: JSON when it starts like JSON, else YAML.
Result<json> parse_document(const std::string& name, std::string_view text) {
  auto doc = parse_json_or_yaml(text);
  if (!doc) {
    Error e = std::move(doc).error();
    e.message = fmt::format("{}: {}", name, e.message);
    return e;
  }
  return std::move(doc.value());
}

// The body of create/update: the files merged in order, then each --set path=value (the value
// read as YAML: 3 is a number, true a boolean, {a: b} a map, and an empty one null).
Result<json> read_body(const State& s) {
  json body = json::object();
  for (const std::string& path : s.files) {
    const std::string text = TT_TRY(read_file(path));
    json doc = TT_TRY(parse_document(path == "-" ? "stdin" : path, text));
    if (!doc.is_object())
      return Error::make(ErrorKind::invalid_input, "CTL_BAD_FILE",
                         fmt::format("{}: must be one object of fields", path));
    body.update(doc, true);
  }
  auto set = [&](const std::string& arg, bool as_string) -> Result<void> {
    const std::size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error::make(ErrorKind::invalid_input, "CTL_BAD_SET",
                         fmt::format("--set {}: must be field=value", arg));
    const std::string text = arg.substr(eq + 1);
    auto value = as_string ? Result<json>(json(text)) : parse_yaml(text);
    json* at = &body;
    std::string_view path = std::string_view(arg).substr(0, eq);
    for (std::size_t dot; (dot = path.find('.')) != std::string_view::npos;
         path.remove_prefix(dot + 1)) {
      json& next = (*at)[std::string(path.substr(0, dot))];
      if (!next.is_object()) next = json::object();
      at = &next;
    }
    (*at)[std::string(path)] =
        value ? std::move(value.value()) : json(text);  // not YAML: as written
    return {};
  };
  for (const std::string& arg : s.sets) TT_TRY(set(arg, false));
  for (const std::string& arg : s.strings) TT_TRY(set(arg, true));
  return body;
}

std::string encode_filters(const State& s) {
  std::string query;
  auto add = [&](std::string_view key, std::string_view value) {
    query += (query.empty() ? "" : "&") + percent_encode(key) + "=" + percent_encode(value);
  };
  for (const std::string& f : s.filters) {
    const std::size_t eq = f.find('=');
    add(f.substr(0, eq), eq == std::string::npos ? "" : f.substr(eq + 1));
  }
  for (const std::string& l : s.labels) add("label", l);
  return query;
}

std::string item_path(const Resource& r, std::string_view id) {
  return fmt::format("{}/{}", r.path, percent_encode(id));
}

// Runs `fn` with the API open, and turns its error into the exit code.
int with_api(const State& s, const std::function<Result<int>(Api&)>& fn) {
  auto api = Api::open(s.target);
  if (!api) return fail(api.error());
  auto done = fn(api.value());
  return done ? done.value() : fail(done.error());
}

Result<int> list(Api& api, const Resource& r, const State& s) {
  json items;
  if (r.name == "events") {
    // The log pages by cursor: the newest `limit`, shown oldest first.
    json page =
        TT_TRY(api.call("GET", fmt::format("{}?order=desc&limit={}{}{}", r.path, s.limit,
                                           s.filters.empty() ? "" : "&", encode_filters(s))));
    items = json::array();
    for (auto it = page.rbegin(); it != page.rend(); ++it) items.push_back(*it);
  } else {
    items = TT_TRY(api.list_all(r.path, encode_filters(s)));
  }
  print(render(r, items, s.format(), terminal_width()));
  return kOk;
}

Result<int> get(Api& api, const Resource& r, const State& s) {
  json items = json::array();
  for (const std::string& ref : s.refs) {
    const std::string id = TT_TRY(api.resolve(r, ref));
    items.push_back(TT_TRY(api.call("GET", item_path(r, id))));
  }
  print(render(r, items.size() == 1 ? items[0] : items, s.format(), terminal_width()));
  return kOk;
}

// Secrets made by a create (a token) are in its answer once: shown below the table.
void print_created(const Resource& r, const json& item, Format format) {
  print(render(r, item, format, terminal_width()));
  if ((format == Format::table || format == Format::wide) && item.contains("token") &&
      item["token"].is_string())
    print(fmt::format("token: {}\n", item["token"].get<std::string>()));
}

Result<int> create(Api& api, const Resource& r, const State& s) {
  const json body = TT_TRY(read_body(s));
  json item = TT_TRY(api.call("POST", r.path, &body));
  print_created(r, item, s.format());
  return kOk;
}

Result<int> update(Api& api, const Resource& r, const State& s) {
  const json body = TT_TRY(read_body(s));
  if (body.empty())
    return Error::make(ErrorKind::invalid_input, "CTL_NOTHING_TO_CHANGE",
                       "give the fields to change with -f FILE or --set field=value");
  const std::string id = TT_TRY(api.resolve(r, s.refs.at(0)));
  json item = TT_TRY(api.call("PATCH", item_path(r, id), &body));
  print(render(r, item, s.format(), terminal_width()));
  return kOk;
}

Result<int> remove(Api& api, const Resource& r, const State& s, std::string_view done) {
  for (const std::string& ref : s.refs) {
    const std::string id = TT_TRY(api.resolve(r, ref));
    TT_TRY(api.call("DELETE", item_path(r, id)));
    print(fmt::format("{} {} {}\n", done, r.singular, ref));
  }
  return kOk;
}

Result<int> post_action(Api& api, const Resource& r, const State& s, std::string_view action,
                        const json& body) {
  const std::string id = TT_TRY(api.resolve(r, s.refs.at(0)));
  json answer = TT_TRY(api.call("POST", item_path(r, id) + "/" + std::string(action), &body));
  if (answer.is_object() && answer.contains("id") && action == "ack")
    print(render(r, answer, s.format(), terminal_width()));
  else
    print_object(answer, s.format());
  return kOk;
}

Result<int> silence_add(Api& api, const Resource& r, const State& s) {
  const auto duration = parse_duration_ms(s.duration);
  if (!duration || *duration <= 0)
    return Error::make(ErrorKind::invalid_input, "CTL_BAD_DURATION",
                       fmt::format("--duration {}: must be a duration such as 2h", s.duration));
  TimeMs start = SystemClock().now_ms();
  if (!s.starts_at.empty()) {
    auto parsed = parse_rfc3339(s.starts_at);
    if (!parsed)
      return Error::make(ErrorKind::invalid_input, "CTL_BAD_TIME",
                         fmt::format("--starts-at {}: must be an RFC 3339 time", s.starts_at));
    start = *parsed;
  }
  const json body = {{"matchers", s.matchers},
                     {"comment", s.comment},
                     {"starts_at", format_rfc3339(start)},
                     {"ends_at", format_rfc3339(start + *duration)}};
  json item = TT_TRY(api.call("POST", r.path, &body));
  print(render(r, item, s.format(), terminal_width()));
  return kOk;
}

std::string series_name(const json& metric) {
  std::string name, labels;
  for (const auto& [k, v] : metric.items()) {
    if (k == "__name__") {
      name = v.get<std::string>();
      continue;
    }
    labels += fmt::format("{}{}={}", labels.empty() ? "" : ", ", k, v.dump());
  }
  return labels.empty() && !name.empty() ? name : name + "{" + labels + "}";
}

std::string format_sample_time(const json& t) {
  const double seconds = t.is_number() ? t.get<double>() : 0;
  return cell(format_rfc3339(static_cast<TimeMs>(seconds * 1000)), true);
}

// The Prometheus API, which the UI, Grafana and this share: instant, or a range with --since.
Result<int> query(Api& api, const State& s) {
  std::string path;
  if (s.since.empty()) {
    path = "/prometheus/api/v1/query?query=" + percent_encode(s.query);
    if (!s.time.empty()) path += "&time=" + percent_encode(s.time);
  } else {
    const auto since = parse_duration_ms(s.since);
    if (!since || *since <= 0)
      return Error::make(ErrorKind::invalid_input, "CTL_BAD_DURATION",
                         fmt::format("--since {}: must be a duration such as 1h", s.since));
    const TimeMs end = SystemClock().now_ms();
    std::int64_t step_ms = std::max<std::int64_t>(1000, *since / 60);
    if (!s.step.empty()) {
      auto step = parse_duration_ms(s.step);
      if (!step || *step <= 0)
        return Error::make(ErrorKind::invalid_input, "CTL_BAD_DURATION",
                           fmt::format("--step {}: must be a duration such as 1m", s.step));
      step_ms = *step;
    }
    path =
        fmt::format("/prometheus/api/v1/query_range?query={}&start={:.3f}&end={:.3f}&step={:.3f}",
                    percent_encode(s.query), static_cast<double>(end - *since) / 1000,
                    static_cast<double>(end) / 1000, static_cast<double>(step_ms) / 1000);
  }
  auto [status, doc] = TT_TRY(api.raw("GET", path));
  if (!doc.is_object() || !doc.contains("status"))
    return Error::make(ErrorKind::bad_gateway, "CTL_BAD_REPLY", "not a Prometheus API answer");
  if (doc["status"] != "success") {
    const std::string type = doc.value("errorType", "");
    return Error::make(
        status == 400 || status == 422 ? ErrorKind::invalid_input : ErrorKind::internal,
        type == "bad_data" ? "BAD_QUERY" : "QUERY_FAILED", doc.value("error", ""));
  }
  const json& data = doc["data"];
  if (s.format() == Format::json || s.format() == Format::yaml) {
    print_object(data, s.format());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  const std::string type = data.value("resultType", "");
  if (type == "vector") {
    for (const json& r : data["result"])
      rows.push_back({series_name(r["metric"]), r["value"][1].get<std::string>(),
                      format_sample_time(r["value"][0])});
  } else if (type == "matrix") {
    for (const json& r : data["result"])
      for (const json& v : r["values"])
        rows.push_back(
            {series_name(r["metric"]), v[1].get<std::string>(), format_sample_time(v[0])});
  } else {
    rows.push_back(
        {type, data["result"][1].get<std::string>(), format_sample_time(data["result"][0])});
  }
  print(render_table({"SERIES", "VALUE", "TIME"}, rows, terminal_width()));
  return kOk;
}

// One event as a line: when, what, of what, and for an update the fields that changed.
std::string event_line(const json& e) {
  std::string changes;
  const json& data = e.contains("data") ? e["data"] : json();
  if (data.is_object() && data.contains("changed") && data["changed"].is_array()) {
    const json& before = data.contains("before") ? data["before"] : json::object();
    const json* after = nullptr;
    for (const auto& [k, v] : data.items())
      if (k != "before" && k != "changed" && v.is_object()) after = &v;
    for (const json& f : data["changed"]) {
      if (!f.is_string()) continue;
      const std::string field = f.get<std::string>();
      changes +=
          fmt::format("{}{}: {} \u2192 {}", changes.empty() ? "" : ", ", field,
                      cell(before.is_object() && before.contains(field) ? before[field] : json()),
                      cell(after && after->contains(field) ? (*after)[field] : json()));
    }
  }
  std::string line = fmt::format("{}  {}  {}", cell(e.value("at", json()), true),
                                 e.value("kind", ""), e.value("subject", ""));
  if (!changes.empty()) line += "  " + changes;
  return line + "\n";
}

// Follows a WebSocket topic until --count events came, or SIGINT.
int watch(const Resource& r, const State& s) {
  auto api = Api::open(s.target);
  if (!api) return fail(api.error());
  auto link =
      client::WsLink::connect(api->url(), "/api/v1/ws", api->target().token, api->target().timeout);
  if (!link) {
    Error e = link.error();
    if (e.code == "WS_UPGRADE_REFUSED") e.kind = ErrorKind::unauthenticated;
    return fail(e);
  }
  const json subscribe = {{"type", "subscribe"}, {"topics", {r.topic}}};
  if (auto sent = link->send_text(subscribe.dump()); !sent) return fail(sent.error());
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  int seen = 0;
  while (!g_interrupted) {
    auto message = link->receive(std::chrono::milliseconds(500));
    if (!message) return fail(message.error());
    if (!message.value()) continue;
    auto parsed = parse_json(**message);
    if (!parsed || !parsed->is_object()) continue;
    const json& m = parsed.value();
    const std::string type = m.value("type", "");
    if (type == "error")
      return fail(Error::make(ErrorKind::invalid_input, m.value("code", "WS_BAD_MESSAGE"),
                              m.value("message", "")));
    if (type != "event" || !m.contains("data")) continue;
    if (s.format() == Format::json)
      print(m["data"].dump() + "\n");
    else if (s.format() == Format::yaml)
      print("---\n" + to_yaml(m["data"]));
    else
      print(event_line(m["data"]));
    if (s.count && ++seen >= s.count) break;
  }
  link->close();
  return kOk;
}

// The changes of an apply as a diff: + created, ~ updated (the fields), - deleted.
std::string plan_text(const json& changes) {
  std::string out;
  std::size_t unchanged = 0;
  for (const json& c : changes) {
    const std::string action = c.value("action", "");
    const std::string what = c.value("kind", "") + "/" + c.value("name", "");
    if (action == "unchanged") {
      ++unchanged;
    } else if (action == "create") {
      out += fmt::format("+ {}\n", what);
    } else if (action == "delete") {
      out += fmt::format("- {}\n", what);
    } else {
      std::vector<std::string> fields;
      for (const json& f : c["fields"]) fields.push_back(f.get<std::string>());
      out += fmt::format("~ {}: {}\n", what, fmt::join(fields, ", "));
    }
  }
  if (unchanged) out += fmt::format("= {} unchanged\n", unchanged);
  return out;
}

Result<int> apply(Api& api, const State& s) {
  const std::string path = s.files.at(0);
  const std::string text = TT_TRY(read_file(path));
  auto doc = decode_apply_file(text, [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  if (!doc) {
    Error e = std::move(doc).error();
    e.message = fmt::format("{}: {}", path, e.message);
    return e;
  }
  auto send = [&](bool dry_run) -> Result<json> {
    const json body = {{"resources", doc.value()}, {"dry_run", dry_run}, {"prune", s.prune}};
    return api.call("POST", "/api/v1/apply", &body);
  };
  // With --prune the plan is shown before anything is deleted.
  if (s.dry_run || s.prune) {
    const json plan = TT_TRY(send(true));
    if (s.format() == Format::json || s.format() == Format::yaml) {
      if (s.dry_run) print_object(plan, s.format());
    } else if (!plan.value("changes", json::array()).empty()) {
      print(fmt::format("Plan{}:\n{}", s.dry_run ? " (dry run: nothing changed)" : "",
                        plan_text(plan["changes"])));
    }
    if (s.dry_run) return kOk;
  }
  const json done = TT_TRY(send(false));
  if (s.format() == Format::json || s.format() == Format::yaml) {
    print_object(done, s.format());
  } else if (done.value("changed", false)) {
    print(s.prune ? std::string("Applied.\n") : plan_text(done["changes"]));  // the plan was shown
  } else {
    print(fmt::format("No changes: the server already holds what {} declares.\n", path));
  }
  return kOk;
}

Result<int> export_all(Api& api, const State& s) {
  const json doc = TT_TRY(api.call("GET", "/api/v1/export"));
  print(s.export_output == "json" ? doc.dump(2) + "\n" : to_yaml(doc));
  return kOk;
}

// --server, --token and --config of a command that talks to a server.
void target_options(CLI::App* app, State& s) {
  // TELLTALE_SERVER and TELLTALE_TOKEN are read by Api::open, after the flags, before the file.
  app->add_option("--server", s.target.server,
                  "The server's URL (or TELLTALE_SERVER; default http://127.0.0.1:8470)");
  app->add_option("--token", s.target.token, "An API token (or TELLTALE_TOKEN)");
  app->add_option("--ca-file", s.target.ca_file,
                  "The CA of an https server's certificate, when not the system's (or "
                  "TELLTALE_CA_FILE)");
  app->add_option("--config", s.target.config,
                  "A file of server =, token = and ca_file = lines (default "
                  "~/.config/telltale/ctl.conf)");
}

}  // namespace

std::shared_ptr<Chosen> add_commands(CLI::App& root) {
  auto chosen = std::make_shared<Chosen>();
  auto s = std::make_shared<State>();
  CLI::App* ctl = root.add_subcommand("ctl", "Manage a running server over its API");
  ctl->require_subcommand(1);
  ctl->fallthrough();  // --server, --token and -o may come after the verb too
  target_options(ctl, *s);
  ctl->add_option("-o,--output", s->output, "table, wide, json or yaml")
      ->check(CLI::IsMember({"table", "wide", "json", "yaml"}))
      ->capture_default_str();

  auto verb = [&](CLI::App* parent, const char* name, const char* help, std::function<int()> run) {
    CLI::App* v = parent->add_subcommand(name, help);
    v->callback([chosen, run] { chosen->run = run; });
    return v;
  };
  auto refs = [s](CLI::App* v, const char* what, bool many) {
    v->add_option("ref", s->refs, what)->required()->expected(1, many ? -1 : 1);
  };
  auto input = [s](CLI::App* v) {
    v->add_option("-f,--file", s->files, "A YAML or JSON file of fields (- for stdin); repeatable");
    v->add_option("--set", s->sets,
                  "field=value (a YAML value; a.b=c sets a nested field); repeatable");
    v->add_option("--set-string", s->strings,
                  "field=value, the value a string as it is; repeatable");
  };

  for (const Resource& r : resources()) {
    CLI::App* res = ctl->add_subcommand(std::string(r.name), std::string(r.help));
    res->alias(std::string(r.singular));
    res->require_subcommand(1);
    const std::string id_help =
        r.name_field.empty() ? std::string("Its id") : fmt::format("Its id or {}", r.name_field);
    if (r.verbs & kList) {
      auto* v = verb(res, "list", "List them",
                     [s, &r] { return with_api(*s, [&](Api& api) { return list(api, r, *s); }); });
      if (r.name == "events") {
        v->add_option("--limit", s->limit, "How many of the newest")->capture_default_str();
      } else {
        v->add_option("--label", s->labels, "name=value: only those with this label; repeatable");
      }
      v->add_option("--filter", s->filters,
                    "key=value: a filter of the API's list (see docs/api.md); repeatable");
    }
    if (r.verbs & kGet) {
      auto* v = verb(res, "get", "Show one or more",
                     [s, &r] { return with_api(*s, [&](Api& api) { return get(api, r, *s); }); });
      refs(v, id_help.c_str(), true);
    }
    if (r.verbs & kCreate) {
      auto* v = verb(res, "create", "Create one from fields", [s, &r] {
        return with_api(*s, [&](Api& api) { return create(api, r, *s); });
      });
      input(v);
    }
    if (r.verbs & kUpdate) {
      auto* v = verb(res, "update", "Change the fields given", [s, &r] {
        return with_api(*s, [&](Api& api) { return update(api, r, *s); });
      });
      refs(v, id_help.c_str(), false);
      input(v);
    }
    if (r.verbs & kDelete) {
      auto* v = verb(res, "delete", "Delete one or more", [s, &r] {
        return with_api(*s, [&](Api& api) { return remove(api, r, *s, "deleted"); });
      });
      refs(v, id_help.c_str(), true);
    }
    if (r.verbs & kRun) {
      auto* v = verb(res, "run", "Run it now and show the result", [s, &r] {
        return with_api(*s,
                        [&](Api& api) { return post_action(api, r, *s, "run", json::object()); });
      });
      refs(v, id_help.c_str(), false);
    }
    if (r.verbs & kTest) {
      auto* v = verb(res, "test", "Send a test message now", [s, &r] {
        return with_api(*s,
                        [&](Api& api) { return post_action(api, r, *s, "test", json::object()); });
      });
      refs(v, id_help.c_str(), false);
    }
    if (r.verbs & kAck) {
      auto* v = verb(res, "ack", "Acknowledge it", [s, &r] {
        const json body = s->comment.empty() ? json::object() : json{{"comment", s->comment}};
        return with_api(*s, [&](Api& api) { return post_action(api, r, *s, "ack", body); });
      });
      refs(v, id_help.c_str(), false);
      v->add_option("--comment", s->comment, "Why, for the others");
    }
    if (r.verbs & kAdd) {
      auto* v = verb(res, "add", "Silence the alerts whose labels match", [s, &r] {
        return with_api(*s, [&](Api& api) { return silence_add(api, r, *s); });
      });
      v->add_option("matchers", s->matchers,
                    "Label matchers: '{alertname=\"DiskFull\", node=~\"gw.*\"}'")
          ->required();
      v->add_option("--duration", s->duration, "For how long")->capture_default_str();
      v->add_option("--comment", s->comment, "Why");
      v->add_option("--starts-at", s->starts_at, "From when (RFC 3339; default now)");
    }
    if (r.verbs & kExpire) {
      auto* v = verb(res, "expire", "End them now", [s, &r] {
        return with_api(*s, [&](Api& api) { return remove(api, r, *s, "expired"); });
      });
      refs(v, "Its id", true);
    }
    if (r.verbs & kWatch) {
      auto* v = verb(res, "watch", "Print changes as they happen (until Ctrl-C)",
                     [s, &r] { return watch(r, *s); });
      v->add_option("--count", s->count, "Stop after this many");
    }
  }

  auto* q = verb(ctl, "query", "Evaluate PromQL now, or over the last --since",
                 [s] { return with_api(*s, [&](Api& api) { return query(api, *s); }); });
  q->add_option("expr", s->query, "The PromQL expression")->required();
  q->add_option("--time", s->time, "Evaluate at this time (RFC 3339 or Unix seconds)");
  q->add_option("--since", s->since, "A range query over this long until now, such as 1h");
  q->add_option("--step", s->step, "The range's step (default --since / 60)");

  auto* apply_cmd = verb(&root, "apply", "Make a server hold what a YAML or JSON file declares",
                         [s] { return with_api(*s, [&](Api& api) { return apply(api, *s); }); });
  target_options(apply_cmd, *s);
  apply_cmd
      ->add_option("-f,--file", s->files,
                   "The file (- for stdin); ${VARIABLE}s come from the environment")
      ->required()
      ->expected(1);
  apply_cmd->add_flag("--dry-run", s->dry_run, "Print the plan and change nothing");
  apply_cmd->add_flag("--prune", s->prune,
                      "Also delete the items of the file's kinds that it does not name (the plan "
                      "is printed first)");
  apply_cmd->add_option("-o,--output", s->output, "table (a diff), json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();

  auto* export_cmd =
      verb(&root, "export", "Write the server's configuration as apply reads it",
           [s] { return with_api(*s, [&](Api& api) { return export_all(api, *s); }); });
  target_options(export_cmd, *s);
  export_cmd->add_option("-o,--output", s->export_output, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  return chosen;
}

}  // namespace tt::ctl
