#include "snmp/discovery.h"

#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <future>
#include <map>

#include "core/duration.h"
#include "snmp/interfaces.h"
#include "snmp/mib.h"
#include "snmp/usm_json.h"

namespace tt::snmp {

namespace {

Oid mib(const char* name) { return *resolve_name(name); }

// The order of kSystemColumns and kInterfaceColumns.
enum class SystemColumn { descr, object_id, uptime, contact, name, location };
enum class Column {
  descr,
  type,
  mtu,
  speed,
  phys_address,
  admin_status,
  oper_status,
  name,
  high_speed,
  alias
};

constexpr std::uint32_t kSpeedSaturated = 0xffffffffu;
constexpr double kMinTimeoutMs = 100, kMaxTimeoutMs = 60000;
constexpr double kMaxRetries = 10;
constexpr double kMaxCommunityLen = 255;
constexpr double kMaxContextLen = 32;  // SnmpAdminString (SIZE(0..32)) of contextName

std::optional<std::string> address_check(nlohmann::json& v) {
  std::string host;
  std::uint16_t port = 0;
  if (!split_address(v.get_ref<const std::string&>(), host, port))
    return "must be host, host:port, [IPv6]:port or an IPv6 address, with a port from 1 to 65535";
  return std::nullopt;
}

std::optional<std::string> mac_of(const Value& v) {
  if (v.type != Type::octet_string || v.bytes.empty()) return std::nullopt;
  std::string s;
  for (unsigned char c : v.bytes) s += fmt::format("{}{:02x}", s.empty() ? "" : ":", c);
  return s;
}

std::optional<std::int64_t> integer_of(const Value& v) {
  if (v.type == Type::integer) return v.integer;
  return std::nullopt;
}

std::optional<std::uint64_t> unsigned_of(const Value& v) {
  if (v.type == Type::gauge32 || v.type == Type::counter32 || v.type == Type::timeticks ||
      v.type == Type::counter64)
    return v.number;
  return std::nullopt;
}

nlohmann::json or_null(const auto& opt) {
  return opt ? nlohmann::json(*opt) : nlohmann::json(nullptr);
}

nlohmann::json status_json(const std::optional<std::int64_t>& s) {
  if (!s) return nullptr;
  if (const char* n = if_status_name(*s)) return n;
  return *s;
}

}  // namespace

const std::vector<Oid> kSystemColumns = {mib("sysDescr"),   mib("sysObjectID"), mib("sysUpTime"),
                                         mib("sysContact"), mib("sysName"),     mib("sysLocation")};
const std::vector<Oid> kInterfaceColumns = {
    mib("ifDescr"),       mib("ifType"),        mib("ifMtu"),        mib("ifSpeed"),
    mib("ifPhysAddress"), mib("ifAdminStatus"), mib("ifOperStatus"), mib("ifName"),
    mib("ifHighSpeed"),   mib("ifAlias")};

const OptionSpecs& discovery_fields() {
  using T = OptionType;
  static const OptionSpecs specs = [] {
    OptionSpecs s{
        {.name = "address",
         .type = T::string,
         .help = "host, host:port (default port 161), [IPv6]:port or an IPv6 address",
         .required = true,
         .check = address_check},
        {.name = "version", .type = T::choice, .default_value = "2c", .choices = {"1", "2c", "3"}},
        {.name = "community",
         .type = T::string,
         .default_value = "public",
         .help = "versions 1 and 2c",
         .min = 1,
         .max = kMaxCommunityLen,
         .secret = true,
         .message = "must be a string of 1 to 255 bytes"},
        {.name = "context", .type = T::string, .help = "version 3", .max = kMaxContextLen},
        {.name = "timeout",
         .type = T::duration,
         .default_value = "2s",
         .help = "per try",
         .min = kMinTimeoutMs,
         .max = kMaxTimeoutMs},
        {.name = "retries", .type = T::integer, .default_value = 1, .max = kMaxRetries},
        {.name = "create_node",
         .type = T::boolean,
         .default_value = false,
         .help = "create or update the device's node"},
    };
    s.insert(s.end(), usm_fields().begin(), usm_fields().end());
    return s;
  }();
  return specs;
}

Result<DiscoveryRequest> decode_discovery_request(const nlohmann::json& body) {
  auto v = TT_TRY(decode_fields(
      discovery_fields(), body, InputMode::create, "SNMP discovery",
      [&](const nlohmann::json& valid, std::vector<FieldError>& errs) {
        if (valid.value("version", "2c") != "3") {
          for (const char* key : {"user", "auth_protocol", "auth_password", "priv_protocol",
                                  "priv_password", "context"})
            if (body.contains(key)) errs.push_back({key, "is for version 3 only"});
          return;
        }
        if (body.contains("community"))
          errs.push_back({"community", "is for versions 1 and 2c; version 3 takes user"});
        check_usm_fields(body, errs);
      }));
  DiscoveryRequest req;
  split_address(v["address"].get<std::string>(), req.host, req.port);
  const auto version = v.value("version", "2c");
  req.version = version == "1" ? Version::v1 : version == "3" ? Version::v3 : Version::v2c;
  req.community = v.value("community", req.community);
  req.user = usm_user_from(v);
  req.context = v.value("context", "");
  req.timeout = std::chrono::milliseconds(
      parse_duration_ms(v.value("timeout", "2s")).value_or(req.timeout.count()));
  req.retries = v.value("retries", req.retries);
  req.create_node = v.value("create_node", false);
  return req;
}

Device device_from(const std::vector<VarBind>& system,
                   const std::vector<std::vector<VarBind>>& columns) {
  Device d;
  for (const auto& vb : system) {
    if (vb.oid.size() != kSystemColumns[0].size() + 1 || vb.oid.back() != 0) continue;
    const Oid column(vb.oid.begin(), vb.oid.end() - 1);
    auto c = std::find(kSystemColumns.begin(), kSystemColumns.end(), column);
    if (c == kSystemColumns.end()) continue;
    const Value& v = vb.value;
    const bool text = v.type == Type::octet_string;
    switch (static_cast<SystemColumn>(c - kSystemColumns.begin())) {
      case SystemColumn::descr:
        if (text) d.descr = text_of(v);
        break;
      case SystemColumn::object_id:
        if (v.type == Type::oid) d.object_id = to_string(v.oid);
        break;
      case SystemColumn::uptime:
        if (v.type == Type::timeticks) d.uptime_ticks = v.number;
        break;
      case SystemColumn::contact:
        if (text) d.contact = text_of(v);
        break;
      case SystemColumn::name:
        if (text) d.name = text_of(v);
        break;
      case SystemColumn::location:
        if (text) d.location = text_of(v);
        break;
    }
  }
  std::map<std::uint32_t, Interface> rows;
  std::map<std::uint32_t, std::uint64_t> speed, high_speed;
  for (std::size_t c = 0; c < columns.size() && c < kInterfaceColumns.size(); ++c) {
    for (const auto& vb : columns[c]) {
      // Rows of both tables are indexed by ifIndex alone.
      if (vb.oid.size() != kInterfaceColumns[c].size() + 1) continue;
      Interface& row = rows[vb.oid.back()];
      row.index = vb.oid.back();
      const Value& v = vb.value;
      switch (static_cast<Column>(c)) {
        case Column::descr:
          if (v.type == Type::octet_string) row.descr = text_of(v);
          break;
        case Column::type:
          row.type = integer_of(v);
          break;
        case Column::mtu:
          row.mtu = integer_of(v);
          break;
        case Column::speed:
          if (auto s = unsigned_of(v)) speed[row.index] = *s;
          break;
        case Column::phys_address:
          row.mac = mac_of(v);
          break;
        case Column::admin_status:
          row.admin_status = integer_of(v);
          break;
        case Column::oper_status:
          row.oper_status = integer_of(v);
          break;
        case Column::name:
          if (v.type == Type::octet_string) row.name = text_of(v);
          break;
        case Column::high_speed:
          if (auto s = unsigned_of(v)) high_speed[row.index] = *s;
          break;
        case Column::alias:
          if (v.type == Type::octet_string) row.alias = text_of(v);
          break;
      }
    }
  }
  for (auto& [index, row] : rows) {
    // ifHighSpeed (Mb/s) where the agent has it; ifSpeed (b/s) only below its ceiling of
    // 4,294,967,295, and where ifHighSpeed rounds a sub-Mb/s link down to 0.
    auto s = speed.find(index);
    auto h = high_speed.find(index);
    if (h != high_speed.end() && (h->second > 0 || s == speed.end() || s->second == 0))
      row.speed_bps = h->second * 1'000'000;
    else if (s != speed.end() && s->second < kSpeedSaturated)
      row.speed_bps = s->second;
    d.interfaces.push_back(std::move(row));
  }
  return d;
}

void discover(Engine& engine, const Target& target, std::function<void(Result<Device>)> done) {
  // GETNEXT of each system column answers its .0 instance, in v1 and v2c alike, and a column the
  // agent lacks just answers the next object (ignored) instead of failing the whole request.
  engine.get_next(target, kSystemColumns,
                  [&engine, target, done = std::move(done)](Result<Pdu> system) mutable {
                    if (!system.ok()) return done(std::move(system).error());
                    engine.walk(
                        target, kInterfaceColumns,
                        [system = std::move(system.value().varbinds),
                         done = std::move(done)](Result<std::vector<std::vector<VarBind>>> cols) {
                          if (!cols.ok()) return done(std::move(cols).error());
                          done(device_from(system, cols.value()));
                        });
                  });
}

nlohmann::json to_json(const Device& d) {
  nlohmann::json system = {
      {"name", or_null(d.name)},
      {"descr", or_null(d.descr)},
      {"object_id", or_null(d.object_id)},
      {"contact", or_null(d.contact)},
      {"location", or_null(d.location)},
      {"uptime", d.uptime_ticks ? nlohmann::json(static_cast<double>(*d.uptime_ticks) / 100.0)
                                : nlohmann::json(nullptr)}};
  nlohmann::json interfaces = nlohmann::json::array();
  for (const auto& i : d.interfaces)
    interfaces.push_back({{"index", i.index},
                          {"name", or_null(i.name)},
                          {"descr", or_null(i.descr)},
                          {"alias", or_null(i.alias)},
                          {"type", or_null(i.type)},
                          {"mtu", or_null(i.mtu)},
                          {"speed_bps", or_null(i.speed_bps)},
                          {"mac", or_null(i.mac)},
                          {"admin_status", status_json(i.admin_status)},
                          {"oper_status", status_json(i.oper_status)}});
  return {{"system", system}, {"interfaces", interfaces}};
}

Result<nlohmann::json> DiscoveryService::run(const DiscoveryRequest& req, const Actor& actor) {
  Target target;
  target.version = req.version;
  target.community = req.community;
  target.user = req.user;
  target.context = req.context;
  target.timeout = req.timeout;
  target.retries = req.retries;
  if (auto literal = endpoint_from_literal(req.host, req.port)) {
    target.endpoint = *literal;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(req.host.c_str(), nullptr, &hints, &res); rc != 0 || !res)
      return invalid_fields(
          "SNMP discovery",
          {{"address", fmt::format("'{}' does not resolve: {}", req.host, gai_strerror(rc))}});
    target.endpoint = endpoint_from_sockaddr(res->ai_addr, req.port);
    freeaddrinfo(res);
  }
  auto promise = std::make_shared<std::promise<Result<Device>>>();
  auto future = promise->get_future();
  m_loop.post([this, target, promise] {
    discover(m_engine, target, [promise](Result<Device> d) { promise->set_value(std::move(d)); });
  });
  // Every request ends by its own timeout; this bound only covers a loop that stopped.
  constexpr auto kLongest = std::chrono::minutes(5);
  if (future.wait_for(kLongest) != std::future_status::ready)
    return Error::make(ErrorKind::gateway_timeout, "SNMP_TIMEOUT",
                       "the discovery did not finish within 5 minutes");
  auto device = future.get();
  if (!device.ok()) return std::move(device).error();
  nlohmann::json out = to_json(device.value());
  if (req.create_node) {
    auto node = apply_to_inventory(req, device.value(), actor);
    if (!node.ok()) return std::move(node).error();
    out.update(node.value());
  }
  return out;
}

Result<nlohmann::json> DiscoveryService::apply_to_inventory(const DiscoveryRequest& req,
                                                            const Device& d, const Actor& actor) {
  nlohmann::json snmp = {{"object_id", or_null(d.object_id)},
                         {"descr", or_null(d.descr)},
                         {"contact", or_null(d.contact)},
                         {"location", or_null(d.location)},
                         {"port", req.port},
                         {"version", to_string(req.version)}};
  inventory::NodeQuery q;
  q.text = req.host;
  q.page.per_page = PageRequest::kMaxPerPage;
  auto found = m_nodes.list(q);
  if (!found.ok()) return std::move(found).error();
  for (const auto& n : found->items) {
    if (n.address != req.host) continue;
    nlohmann::json metadata = n.metadata;
    metadata["snmp"] = snmp;
    auto patch =
        inventory::decode_node_input({{"metadata", metadata}}, inventory::InputMode::patch);
    if (!patch.ok()) return std::move(patch).error();
    auto updated = m_nodes.update(n.id, patch.value(), actor);
    if (!updated.ok()) return std::move(updated).error();
    return nlohmann::json{{"node", inventory::to_json(updated.value())}, {"node_created", false}};
  }
  nlohmann::json body = {{"name", d.name.value_or(req.host)},
                         {"type", "network"},
                         {"address", req.host},
                         {"metadata", {{"snmp", snmp}}}};
  auto in = inventory::decode_node_input(body, inventory::InputMode::create);
  if (!in.ok()) {
    // A sysName that is no valid node name (empty, control characters): name the node by address.
    body["name"] = req.host;
    in = inventory::decode_node_input(body, inventory::InputMode::create);
    if (!in.ok()) return std::move(in).error();
  }
  auto created = m_nodes.create(in.value(), actor);
  if (!created.ok() && created.error().code == "NODE_EXISTS" && body["name"] != req.host) {
    // The sysName is another node's (names are unique across types): name this one by address.
    body["name"] = req.host;
    created = m_nodes.create(
        TT_TRY(inventory::decode_node_input(body, inventory::InputMode::create)), actor);
  }
  if (!created.ok()) return std::move(created).error();
  return nlohmann::json{{"node", inventory::to_json(created.value())}, {"node_created", true}};
}

}  // namespace tt::snmp
