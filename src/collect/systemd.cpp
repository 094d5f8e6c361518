// The systemd collector: node_exporter's, from systemd's Manager on the system bus
// (<rootfs>/run/dbus/system_bus_socket): its version and state, ListUnits, and each service's
// Type, socket's connection counts and timer's last trigger, in two rounds of calls however many
// units there are.
#include <filesystem>
#include <map>

#include "collect/collectors.h"
#include "collect/dbus_client.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"

namespace tt::collect {

namespace {

constexpr std::string_view kSystemd = "org.freedesktop.systemd1";
constexpr std::string_view kStates[] = {"activating", "active", "deactivating", "failed",
                                        "inactive"};

dbus::OutMessage get_property(std::string_view path, std::string_view interface,
                              std::string_view property) {
  return {.destination = std::string(kSystemd),
          .path = std::string(path),
          .interface = "org.freedesktop.DBus.Properties",
          .member = "Get",
          .signature = "ss",
          .body = dbus::Writer().string(interface).string(property).take()};
}

dbus::OutMessage manager_property(std::string_view property) {
  return get_property("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", property);
}

// A string property's value; nullopt when systemd answered with an error.
std::optional<std::string> string_property(const dbus::Message& reply) {
  if (reply.type != static_cast<std::uint8_t>(dbus::MessageType::method_return))
    return std::nullopt;
  auto value = dbus::parse_string_variant(reply);
  return value ? std::optional(std::move(*value)) : std::nullopt;
}

// node_exporter's default unit-exclude, ".+\.(automount|device|mount|scope|slice)".
bool unit_excluded(std::string_view name) {
  for (std::string_view suffix : {".automount", ".device", ".mount", ".scope", ".slice"})
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  return false;
}

// The units node_exporter reports one by one: loaded, not excluded.
std::vector<const dbus::Unit*> reported_units(const std::vector<dbus::Unit>& units) {
  std::vector<const dbus::Unit*> out;
  for (const auto& u : units)
    if (!u.name.empty() && u.load_state == "loaded" && !unit_excluded(u.name)) out.push_back(&u);
  return out;
}

// The samples from a connected bus; false when the unit list did not come.
bool collect_units(dbus::Connection& bus, Samples& out) {
  const dbus::OutMessage first[] = {manager_property("Version"),
                                    manager_property("SystemState"),
                                    {.destination = std::string(kSystemd),
                                     .path = "/org/freedesktop/systemd1",
                                     .interface = "org.freedesktop.systemd1.Manager",
                                     .member = "ListUnits"}};
  auto replies = bus.call(first);
  if (!replies) return false;
  // As node_exporter: 0 without a label when the version is not there or not a number.
  auto version = string_property((*replies)[0]).value_or("");
  auto number = systemd_version(version);
  add(out, "node_systemd_version", number.value_or(0), {{"version", number ? version : ""}});
  if (auto state = string_property((*replies)[1]))
    add(out, "node_systemd_system_running", *state == "running" ? 1 : 0);
  if ((*replies)[2].type != static_cast<std::uint8_t>(dbus::MessageType::method_return))
    return false;
  auto units = dbus::parse_units((*replies)[2]);
  if (!units) return false;

  std::map<std::string, double> counts;
  for (auto state : kStates) counts[std::string(state)] = 0;
  for (const auto& u : *units) ++counts[u.active_state];
  for (const auto& [state, n] : counts) add(out, "node_systemd_units", n, {{"state", state}});

  // Each service's Type, each socket's connection counts and each timer's last trigger, in one
  // round of calls.
  auto reported = reported_units(*units);
  std::vector<dbus::OutMessage> calls;
  for (const auto* u : reported) {
    if (u->name.ends_with(".service"))
      calls.push_back(get_property(u->path, "org.freedesktop.systemd1.Service", "Type"));
    if (u->name.ends_with(".socket"))
      for (auto property : {"NAccepted", "NConnections", "NRefused"})
        calls.push_back(get_property(u->path, "org.freedesktop.systemd1.Socket", property));
    if (u->name.ends_with(".timer") && number.value_or(0) >= 212)
      calls.push_back(get_property(u->path, "org.freedesktop.systemd1.Timer", "LastTriggerUSec"));
  }
  auto answers = bus.call(calls);
  std::size_t next = 0;
  auto answer = [&]() -> const dbus::Message* {
    const std::size_t at = next++;
    return answers && at < answers->size() ? &(*answers)[at] : nullptr;
  };
  auto number_of = [](const dbus::Message* m) -> std::optional<double> {
    if (!m || m->type != static_cast<std::uint8_t>(dbus::MessageType::method_return))
      return std::nullopt;
    auto v = dbus::parse_uint_variant(*m);
    return v ? std::optional(static_cast<double>(*v)) : std::nullopt;
  };
  for (const auto* u : reported) {
    std::string type;
    if (u->name.ends_with(".service"))
      if (auto* m = answer()) type = string_property(*m).value_or("");
    for (auto state : kStates)
      add(out, "node_systemd_unit_state", u->active_state == state ? 1 : 0,
          {{"name", u->name}, {"state", std::string(state)}, {"type", type}});
    if (u->name.ends_with(".socket")) {
      // As node_exporter: without the accepted count nothing, without the current one only that;
      // the refused one since systemd 239.
      auto accepted = number_of(answer()), current = number_of(answer()),
           refused = number_of(answer());
      if (!accepted) continue;
      add(out, "node_systemd_socket_accepted_connections_total", *accepted, {{"name", u->name}});
      if (!current) continue;
      add(out, "node_systemd_socket_current_connections", *current, {{"name", u->name}});
      if (refused)
        add(out, "node_systemd_socket_refused_connections_total", *refused, {{"name", u->name}});
    }
    if (u->name.ends_with(".timer") && number.value_or(0) >= 212)
      if (auto usec = number_of(answer()))
        add(out, "node_systemd_timer_last_trigger_seconds", *usec / 1e6, {{"name", u->name}});
  }
  return true;
}

}  // namespace

std::optional<double> systemd_version(std::string_view version) {
  // node_exporter's [0-9]{3,}(\.[0-9]+)?: the first run of three digits or more, and a fraction.
  for (std::size_t i = 0; i < version.size();) {
    auto end = scan::digits_end(version, i);
    if (end == i) {
      ++i;
      continue;
    }
    if (end - i >= 3) {
      if (end + 1 < version.size() && version[end] == '.' && scan::is_digit(version[end + 1]))
        end = scan::digits_end(version, end + 1);
      return to_double(version.substr(i, end - i));
    }
    i = end;
  }
  return std::nullopt;
}

void collect_systemd(const Roots& roots, Samples& out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(join(roots.rootfs, "run/systemd/system"), ec)) return;
  auto deadline = std::chrono::steady_clock::now() + roots.dbus_timeout;
  auto bus = dbus::Connection::open(join(roots.rootfs, "run/dbus/system_bus_socket"), deadline);
  bool up = bus && collect_units(*bus, out);
  add(out, "telltale_agent_systemd_up", up ? 1 : 0);
}

}  // namespace tt::collect
