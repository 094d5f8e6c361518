// The D-Bus wire format (collect/dbus.h): calls marshalled as the specification lays them out,
// messages of either byte order parsed, and every malformed one refused; the client and the
// systemd collector against a peer-to-peer "systemd" on a unix socket in the test (as
// /run/systemd/private speaks). tests/integration/test_agent_systemd.py runs them against a
// real dbus-daemon and a service written with libdbus' Python binding.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "collect/dbus.h"
#include "collect/dbus_client.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "samples.h"

using namespace tt::collect;
using namespace std::chrono_literals;
using dbus::MessageType;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// A method return to `reply_serial` whose body is a variant holding the string `s`.
std::string string_reply(std::uint32_t reply_serial, std::string_view s) {
  dbus::OutMessage m{.type = MessageType::method_return, .reply_serial = reply_serial};
  m.signature = "v";
  m.body = dbus::Writer().signature("s").string(s).take();
  return dbus::marshal(m, 100 + reply_serial);
}

struct Row {
  std::string name, load, active, type;
};

std::string unit_path(std::string_view name) {
  std::string out = "/org/freedesktop/systemd1/unit/";
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "_%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

std::string units_body(const std::vector<Row>& rows) {
  dbus::Writer w;
  auto array = w.begin_array(8);
  for (const auto& r : rows) {
    w.align(8).string(r.name).string("Unit " + r.name).string(r.load).string(r.active);
    w.string(r.active == "active" ? "running" : "dead").string("").string(unit_path(r.name));
    w.u32(0).string("").string("/");
  }
  w.end_array(array);
  return w.take();
}

// The two strings of a Properties.Get call's body ("ss"), little-endian as we send them.
std::pair<std::string, std::string> two_strings(const dbus::Message& m) {
  std::string_view body = std::string_view(m.bytes).substr(m.body_offset);
  auto one = [&](std::size_t at, std::size_t& next) {
    std::uint32_t n = 0;
    std::memcpy(&n, body.data() + at, 4);
    next = (at + 4 + n + 1 + 3) / 4 * 4;
    return std::string(body.substr(at + 4, n));
  };
  std::size_t next = 0;
  auto first = one(0, next);
  auto second = one(next, next);
  return {first, second};
}

// A peer-to-peer systemd on a unix socket at <root>/run/dbus/system_bus_socket, one connection
// at a time: the EXTERNAL handshake, then Hello refused (as a peer does), Manager.ListUnits,
// and Properties.Get of the Manager's Version and SystemState and each service's Type.
class FakeSystemd {
 public:
  enum class Mode { serve, reject_auth, silent, garbage };
  FakeSystemd(std::vector<Row> rows, Mode mode = Mode::serve)
      : m_root(std::filesystem::temp_directory_path() /
               ("tt-systemd-" + std::to_string(::getpid()) + "-" + std::to_string(++s_n))),
        m_rows(std::move(rows)),
        m_mode(mode) {
    std::filesystem::create_directories(m_root + "/run/systemd/system");
    std::filesystem::create_directories(m_root + "/run/dbus");
    auto path = m_root + "/run/dbus/system_bus_socket";
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(m_fd, 4) == 0);
    m_thread = std::thread([this] { serve(); });
  }
  ~FakeSystemd() {
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
    std::filesystem::remove_all(m_root);
  }
  const std::string& root() const { return m_root; }
  int calls() const { return m_calls; }
  std::string auth_line() {
    std::lock_guard lock(m_mutex);
    return m_auth;
  }

 private:
  void serve() {
    while (true) {
      int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) return;
      converse(c);
      ::close(c);
    }
  }

  void converse(int c) {
    std::string in;
    auto fill = [&] {
      char buf[65536];
      auto n = ::read(c, buf, sizeof buf);
      if (n > 0) in.append(buf, static_cast<std::size_t>(n));
      return n > 0;
    };
    auto send = [&](std::string_view s) { (void)!::write(c, s.data(), s.size()); };
    while (in.find("\r\n") == std::string::npos)
      if (!fill()) return;
    {
      std::lock_guard lock(m_mutex);
      m_auth = in.substr(0, in.find("\r\n"));
    }
    in.erase(0, in.find("\r\n") + 2);
    if (m_mode == Mode::reject_auth) return send("REJECTED EXTERNAL\r\n");
    send("OK 0123456789abcdef0123456789abcdef\r\n");
    while (in.find("BEGIN\r\n") != 0)
      if (!fill()) return;
    in.erase(0, 7);
    while (true) {
      auto size = dbus::message_size(in);
      if (!size) return;
      if (!*size || in.size() < **size) {
        if (!fill()) return;
        continue;
      }
      auto m = dbus::parse_message(std::string_view(in).substr(0, **size));
      in.erase(0, **size);
      if (!m) return;
      ++m_calls;
      if (m_mode == Mode::silent) continue;
      if (m_mode == Mode::garbage) return send("not D-Bus at all, not at all");
      send(answer(*m));
    }
  }

  std::string answer(const dbus::Message& call) {
    auto member = [&] {  // the member header field, found by its value
      for (auto name : {"Hello", "ListUnits", "Get"})
        if (call.bytes.find(name) != std::string::npos) return std::string(name);
      return std::string();
    }();
    dbus::OutMessage reply{.type = MessageType::method_return, .reply_serial = call.serial};
    if (member == "ListUnits") {
      reply.signature = "a(ssssssouso)";
      reply.body = units_body(m_rows);
    } else if (member == "Get") {
      auto [interface, property] = two_strings(call);
      if (property == "Version") return string_reply(call.serial, "252.19-1~deb12u1");
      if (property == "SystemState") return string_reply(call.serial, "degraded");
      for (const auto& r : m_rows)
        if (call.bytes.find(unit_path(r.name) + '\0') != std::string::npos &&
            interface == "org.freedesktop.systemd1.Service" && property == "Type")
          return string_reply(call.serial, r.type);
      reply.type = MessageType::error;
      reply.error_name = "org.freedesktop.DBus.Error.UnknownProperty";
    } else {  // Hello, which a peer-to-peer connection does not know
      reply.type = MessageType::error;
      reply.error_name = "org.freedesktop.DBus.Error.UnknownMethod";
    }
    return dbus::marshal(reply, 1000 + call.serial);
  }

  static inline std::atomic<int> s_n{0};
  std::string m_root;
  std::vector<Row> m_rows;
  Mode m_mode;
  std::atomic<int> m_calls{0};
  std::mutex m_mutex;
  std::string m_auth;
  int m_fd = -1;
  std::thread m_thread;
};

Samples run_systemd(const std::string& root, std::chrono::milliseconds timeout = 5s) {
  Roots roots;
  roots.rootfs = root;
  roots.dbus_timeout = timeout;
  const std::vector<std::string> names = {"systemd"};
  return collect(roots, names);
}

}  // namespace

TEST_CASE("a method call is marshalled as the specification lays it out") {
  dbus::OutMessage call{.destination = "org.freedesktop.DBus",
                        .path = "/org/freedesktop/DBus",
                        .interface = "org.freedesktop.DBus",
                        .member = "Hello"};
  auto hello = dbus::marshal(call, 1);
  // The fixed header (109 bytes of header fields), then path, interface, member and
  // destination, each 8-aligned with its type's signature, and the padding to the body.
  CHECK(hello == bytes({'l', 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 109, 0, 0, 0}) +
                     bytes({1, 1, 'o', 0, 21, 0, 0, 0}) + "/org/freedesktop/DBus" +
                     bytes({0, 0, 0, 2, 1, 's', 0, 20, 0, 0, 0}) + "org.freedesktop.DBus" +
                     bytes({0, 0, 0, 0, 3, 1, 's', 0, 5, 0, 0, 0}) + "Hello" +
                     bytes({0, 0, 0, 6, 1, 's', 0, 20, 0, 0, 0}) + "org.freedesktop.DBus" +
                     bytes({0, 0, 0, 0}));
  auto parsed = dbus::parse_message(hello);
  REQUIRE(parsed.ok());
  CHECK(parsed->type == 1);
  CHECK(parsed->serial == 1);
  CHECK(parsed->body_offset == hello.size());

  call.signature = "ss";
  call.body = dbus::Writer().string("org.freedesktop.systemd1.Manager").string("Version").take();
  auto get = dbus::parse_message(dbus::marshal(call, 7));
  REQUIRE(get.ok());
  CHECK(get->signature == "ss");
  CHECK(get->bytes.size() - get->body_offset == call.body.size());
  CHECK(get->body_offset % 8 == 0);
}

TEST_CASE("a big-endian method return, and the string in its variant") {
  auto reply = bytes({'B', 2, 0, 1, 0, 0, 0, 16, 0, 0, 0, 7, 0, 0, 0, 15}) +
               bytes({5, 1, 'u', 0, 0, 0, 0, 42}) + bytes({8, 1, 'g', 0, 1, 'v', 0, 0}) +
               bytes({1, 's', 0, 0, 0, 0, 0, 7}) + "running" + bytes({0});
  auto m = dbus::parse_message(reply);
  REQUIRE(m.ok());
  CHECK(m->big_endian);
  CHECK(m->type == 2);
  CHECK(m->serial == 7);
  CHECK(m->reply_serial == 42);
  CHECK(m->signature == "v");
  CHECK(dbus::parse_string_variant(*m).value() == "running");
  CHECK(dbus::parse_units(*m).error().code == "DBUS_BAD_MESSAGE");
}

TEST_CASE("unsigned properties in their variants: a big-endian t, a little-endian u") {
  const std::uint64_t usec = 1765000000123456;
  std::string t_body = bytes({1, 't', 0, 0, 0, 0, 0, 0});
  for (int i = 7; i >= 0; --i) t_body += static_cast<char>(usec >> (8 * i));
  auto t = dbus::parse_message(bytes({'B', 2, 0, 1, 0, 0, 0, 16, 0, 0, 0, 7, 0, 0, 0, 15}) +
                               bytes({5, 1, 'u', 0, 0, 0, 0, 42}) +
                               bytes({8, 1, 'g', 0, 1, 'v', 0, 0}) + t_body);
  REQUIRE(t.ok());
  CHECK(dbus::parse_uint_variant(*t).value() == usec);
  auto u =
      dbus::parse_message(bytes({'l', 2, 0, 1, 8, 0, 0, 0, 7, 0, 0, 0, 15, 0, 0, 0}) +
                          bytes({5, 1, 'u', 0, 42, 0, 0, 0}) + bytes({8, 1, 'g', 0, 1, 'v', 0, 0}) +
                          bytes({1, 'u', 0, 0, 0xb7, 4, 0, 0}));
  REQUIRE(u.ok());
  CHECK(dbus::parse_uint_variant(*u).value() == 1207);
  CHECK(dbus::parse_string_variant(*u).error().code == "DBUS_BAD_MESSAGE");
}

TEST_CASE("ListUnits' answer: every unit's fields, an empty list too") {
  std::vector<Row> rows = {{"ssh.service", "loaded", "active", "notify"},
                           {"user@1000.service", "loaded", "failed", ""}};
  dbus::OutMessage reply{.type = MessageType::method_return, .reply_serial = 3};
  reply.signature = "a(ssssssouso)";
  reply.body = units_body(rows);
  auto m = dbus::parse_message(dbus::marshal(reply, 9));
  REQUIRE(m.ok());
  auto units = dbus::parse_units(*m);
  REQUIRE(units.ok());
  REQUIRE(units->size() == 2);
  CHECK((*units)[0].name == "ssh.service");
  CHECK((*units)[0].description == "Unit ssh.service");
  CHECK((*units)[0].load_state == "loaded");
  CHECK((*units)[0].active_state == "active");
  CHECK((*units)[0].sub_state == "running");
  CHECK((*units)[1].path == "/org/freedesktop/systemd1/unit/user_401000_2eservice");

  reply.body = units_body({});  // the length, then the padding to the first struct
  CHECK(reply.body == bytes({0, 0, 0, 0, 0, 0, 0, 0}));
  auto empty = dbus::parse_message(dbus::marshal(reply, 10));
  REQUIRE(empty.ok());
  CHECK(dbus::parse_units(*empty)->empty());
}

TEST_CASE("malformed messages are refused, whatever is wrong") {
  dbus::OutMessage reply{.type = MessageType::method_return, .reply_serial = 3};
  reply.signature = "v";
  reply.body = dbus::Writer().signature("s").string("ok").take();
  const auto good = dbus::marshal(reply, 5);
  REQUIRE(dbus::parse_message(good).ok());
  auto with = [&](std::size_t at, char c) {
    auto b = good;
    b[at] = c;
    return b;
  };
  const std::size_t body = good.size() - reply.body.size();
  const std::size_t serial_field = good.find(bytes({5, 1, 'u'}));
  const std::string cases[] = {
      good.substr(0, good.size() - 1),  // shorter than its header says
      good + '\0',                      // longer
      with(0, 'x'),                     // neither byte order
      with(3, 2),                       // protocol version 2
      with(8, 0),                       // serial 0
      with(serial_field - 1, 1),        // non-zero padding between fields
      with(body + 1, 'S'),              // a variant of an unknown type
      with(good.size() - 1, 'x'),       // a string without its NUL
      with(good.size() - 2, '\0'),      // a NUL inside a string
      with(good.size() - 2, '\xff'),    // not UTF-8
      with(body + 3, 1),                // non-zero padding in the body
      with(body + 4, 9),                // a string longer than the message
      with(good.find('v'), 'u'),        // the body is not its signature's values
      with(serial_field, 4),            // an error name field holding a u
      with(serial_field, 0),            // field code 0
  };
  for (const auto& b : cases) {
    INFO("a case of " << b.size() << " bytes");
    CHECK(dbus::parse_message(b).error().code == "DBUS_BAD_MESSAGE");
  }
  dbus::OutMessage no_serial{.type = MessageType::method_return};  // a return answers a call
  CHECK(!dbus::parse_message(dbus::marshal(no_serial, 1)).ok());

  CHECK(!dbus::message_size(good.substr(0, 15))->has_value());
  CHECK(
      dbus::message_size(bytes({'l', 2, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0})).error().code ==
      "DBUS_BAD_MESSAGE");  // 32 MiB
}

TEST_CASE("variants nested past 64 levels are refused, not recursed into") {
  auto nested = [](int depth) {
    dbus::Writer w;
    for (int i = 0; i < depth; ++i) w.signature("v");
    w.signature("y").byte(1);
    dbus::OutMessage m{.type = MessageType::method_return, .reply_serial = 1};
    m.signature = "v";
    m.body = w.take();
    return dbus::marshal(m, 2);
  };
  CHECK(dbus::parse_message(nested(10)).ok());
  CHECK(!dbus::parse_message(nested(100)).ok());
}

TEST_CASE("systemd's version as node_exporter reads it") {
  CHECK(systemd_version("252.19-1~deb12u1") == 252.19);
  CHECK(systemd_version("v245") == 245);
  CHECK(systemd_version("12 3456.7.8") == 3456.7);
  CHECK(systemd_version("251.") == 251);
  CHECK(!systemd_version("99.1"));
  CHECK(!systemd_version(""));
}

TEST_CASE("the systemd collector over a peer-to-peer connection: node_exporter's series") {
  FakeSystemd systemd({{"ssh.service", "loaded", "active", "notify"},
                       {"cron.service", "loaded", "activating", "forking"},
                       {"backup.service", "loaded", "failed", "oneshot"},
                       {"gone.service", "not-found", "inactive", ""},
                       {"multi-user.target", "loaded", "active", ""},
                       {"-.slice", "loaded", "active", ""},
                       {"home.mount", "loaded", "reloading", ""}});
  auto m = test::by_key(run_systemd(systemd.root()));
  CHECK(systemd.auth_line() == std::string("\0AUTH EXTERNAL ", 15) + [] {
    std::string hex;
    for (char c : std::to_string(::getuid())) hex += fmt::format("{:02x}", int{c});
    return hex;
  }());
  auto state = [](const char* name, const char* type, const char* active) {
    std::map<std::string, double> out;
    for (std::string s : {"activating", "active", "deactivating", "failed", "inactive"})
      out[fmt::format(R"(node_systemd_unit_state{{name="{}",state="{}"{}}})", name, s,
                      *type ? fmt::format(R"(,type="{}")", type) : "")] = s == active;
    return out;
  };
  std::map<std::string, double> want = {
      {R"(node_systemd_version{version="252.19-1~deb12u1"})", 252.19},
      {"node_systemd_system_running", 0},
      {R"(node_systemd_units{state="activating"})", 1},
      {R"(node_systemd_units{state="active"})", 3},
      {R"(node_systemd_units{state="deactivating"})", 0},
      {R"(node_systemd_units{state="failed"})", 1},
      {R"(node_systemd_units{state="inactive"})", 1},
      {R"(node_systemd_units{state="reloading"})", 1},
      {"telltale_agent_systemd_up", 1}};
  for (auto s :
       {state("ssh.service", "notify", "active"), state("cron.service", "forking", "activating"),
        state("backup.service", "oneshot", "failed"), state("multi-user.target", "", "active")})
    want.merge(s);
  CHECK(m == want);
  CHECK(systemd.calls() == 1 + 3 + 3);  // Hello; Version, SystemState, ListUnits; 3 Types
}

TEST_CASE("a long unit list is asked in batches, each answered") {
  std::vector<Row> rows;
  for (int i = 0; i < 300; ++i)
    rows.push_back({fmt::format("svc-{}.service", i), "loaded", i % 7 ? "active" : "failed",
                    i % 2 ? "simple" : "exec"});
  FakeSystemd systemd(rows);
  auto m = test::by_key(run_systemd(systemd.root()));
  CHECK(m.size() == 3 + 5 + 300 * 5);
  CHECK(m[R"(node_systemd_units{state="failed"})"] == 43);
  CHECK(m[R"(node_systemd_unit_state{name="svc-299.service",state="active",type="simple"})"] == 1);
  CHECK(m[R"(node_systemd_unit_state{name="svc-294.service",state="failed",type="exec"})"] == 1);
}

TEST_CASE("systemd that refuses, stays silent or speaks no D-Bus: up is 0; no systemd: nothing") {
  for (auto mode :
       {FakeSystemd::Mode::reject_auth, FakeSystemd::Mode::silent, FakeSystemd::Mode::garbage}) {
    FakeSystemd systemd({{"ssh.service", "loaded", "active", "notify"}}, mode);
    auto started = std::chrono::steady_clock::now();
    CHECK(test::by_key(run_systemd(systemd.root(), 200ms)) ==
          std::map<std::string, double>{{"telltale_agent_systemd_up", 0}});
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
  auto deadline = std::chrono::steady_clock::now() + 1s;
  FakeSystemd rejecting({}, FakeSystemd::Mode::reject_auth);
  auto path = rejecting.root() + "/run/dbus/system_bus_socket";
  CHECK(dbus::Connection::open(path, deadline).error().code == "DBUS_AUTH_REJECTED");
  FakeSystemd silent({}, FakeSystemd::Mode::silent);
  CHECK(dbus::Connection::open(silent.root() + "/run/dbus/system_bus_socket",
                               std::chrono::steady_clock::now() + 100ms)
            .error()
            .code == "DBUS_TIMEOUT");
  CHECK(dbus::Connection::open("/nonexistent/bus", deadline).error().code == "DBUS_UNREACHABLE");

  // A host where systemd does not run (no /run/systemd/system): the collector does nothing.
  CHECK(run_systemd(test::fixture("rootfs")).empty());
  auto no_bus = std::filesystem::temp_directory_path() / ("tt-nobus-" + std::to_string(getpid()));
  std::filesystem::create_directories(no_bus / "run/systemd/system");
  CHECK(test::by_key(run_systemd(no_bus.string())) ==
        std::map<std::string, double>{{"telltale_agent_systemd_up", 0}});
  std::filesystem::remove_all(no_bus);
}

TEST_CASE("the fuzz target's seeds are whole messages the parser takes, packed independently") {
  // tests/fuzz/corpus/fuzz_dbus_message: written by a few lines of Python's struct, not by us.
  const std::string dir = std::string(TELLTALE_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_dbus_message";
  int messages = 0;
  for (const auto& name : list_dir(dir, "")) {
    INFO(name);
    const auto text = read_file(dir + "/" + name).value();
    std::string_view rest = text;
    while (!rest.empty()) {
      auto size = dbus::message_size(rest);
      REQUIRE(size.ok());
      REQUIRE(size->value() <= rest.size());
      auto m = dbus::parse_message(rest.substr(0, size->value()));
      CHECK(m.ok());
      if (m && m->signature == "a(ssssssouso)") CHECK(dbus::parse_units(*m)->size() == 3);
      rest.remove_prefix(size->value());
      ++messages;
    }
  }
  CHECK(messages == 11);
}
