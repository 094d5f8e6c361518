// The containers collector: the Engine API's reply framing and JSON, the cgroup v2 files, the
// samples over the fixture tree tests/fixtures/collect/containers, the events between two lists,
// and the client against a small engine on a unix socket (what a steady state costs).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "collect/containers.h"
#include "collect/engine_api.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "collect/unix_http.h"
#include "samples.h"

using namespace tt::collect;
using namespace std::chrono_literals;

namespace {

const std::string kA(64, 'a'), kB(64, 'b'), kC(64, 'c'), kD(64, 'd'), kE(64, 'e');

std::string body_of(const tt::Result<std::optional<HttpReply>>& r) {
  REQUIRE(r.ok());
  REQUIRE(r.value().has_value());
  return r.value()->body;
}

bool incomplete(const tt::Result<std::optional<HttpReply>>& r) {
  return r.ok() && !r.value().has_value();
}

}  // namespace

TEST_CASE("an HTTP reply framed by Content-Length is whole once its body is") {
  std::string reply =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 7\r\n\r\n";
  CHECK(incomplete(parse_http_reply(reply, false)));
  CHECK(incomplete(parse_http_reply(reply + "[1,2", false)));
  auto whole = parse_http_reply(reply + "[1,2,3]", false);
  CHECK(body_of(whole) == "[1,2,3]");
  CHECK(whole.value()->status == 200);
  CHECK(parse_http_reply(reply + "[1,2", true).error().code == "CONTAINER_ENGINE_BAD_REPLY");
  CHECK(parse_http_reply("HTTP/1.1 200 OK\r\nContent-", true).error().code ==
        "CONTAINER_ENGINE_BAD_REPLY");
}

TEST_CASE("an HTTP reply without framing ends with the connection; a 204 has no body") {
  std::string reply = "HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"no\"}";
  CHECK(incomplete(parse_http_reply(reply, false)));
  auto whole = parse_http_reply(reply, true);
  CHECK(whole.value()->status == 404);
  CHECK(body_of(whole) == "{\"message\":\"no\"}");
  CHECK(body_of(parse_http_reply("HTTP/1.1 204 No Content\r\n\r\n", false)).empty());
}

TEST_CASE("a chunked HTTP reply is decoded, with extensions and trailers") {
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n";
  std::string body = "4;name=value\r\n[1,2\r\n3\r\n,3]\r\n0\r\nX-Trailer: 1\r\n\r\n";
  CHECK(body_of(parse_http_reply(head + body, false)) == "[1,2,3]");
  for (std::size_t cut = 0; cut < body.size(); ++cut)
    CHECK(incomplete(parse_http_reply(head + body.substr(0, cut), false)));
  CHECK(!parse_http_reply(head + body.substr(0, 20), true).ok());

  CHECK(decode_chunked("0\r\n\r\n").value() == std::optional<std::string>(""));
  CHECK(decode_chunked("zz\r\n").error().code == "CONTAINER_ENGINE_BAD_REPLY");
  CHECK(!decode_chunked("2\r\nabc\r\n0\r\n\r\n").ok());  // the size does not match
  CHECK(!decode_chunked("ffffffffffffffffff\r\n").ok());
  CHECK(!parse_http_reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true).ok());
}

TEST_CASE("replies that are not HTTP, or too large, are errors") {
  CHECK(!parse_http_reply("SSH-2.0-OpenSSH\r\n\r\n", true).ok());
  CHECK(!parse_http_reply("HTTP/1.1 2x0 OK\r\n\r\n", true).ok());
  CHECK(!parse_http_reply("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", true).ok());
  CHECK(!parse_http_reply("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", true).ok());
  std::string huge = "HTTP/1.1 200 OK\r\n\r\n" + std::string(kMaxEngineReplyBytes, 'x');
  CHECK(!parse_http_reply(huge, false).ok());
}

TEST_CASE("the container list: names without their slash, states, statuses, creation times") {
  auto list = parse_container_list(R"([
    {"Id":"abc","Names":["/web","/other"],"Image":"nginx:1.27","State":"running",
     "Status":"Up 2 hours","Created":1796119190,"Ports":[],"Labels":{}},
    {"Names":["/no-id"]},
    {"Id":"def","Names":[],"Image":"busybox","State":"exited","Status":"Exited (1) 3 days ago"},
    7])");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == "abc");
  CHECK((*list)[0].name == "web");
  CHECK((*list)[0].image == "nginx:1.27");
  CHECK((*list)[0].state == "running");
  CHECK((*list)[0].status == "Up 2 hours");
  CHECK((*list)[0].created_s == 1796119190);
  CHECK((*list)[1].name.empty());
  CHECK((*list)[1].created_s == 0);
  CHECK(parse_container_list("{}").error().code == "CONTAINER_ENGINE_BAD_REPLY");
  CHECK(!parse_container_list("[{").ok());
  CHECK(!parse_container_list(std::string(100, '[')).ok());  // deeper than the JSON limit
}

TEST_CASE("inspecting a container: its init pid, exit code and start time") {
  auto d = parse_container_inspect(
      R"({"Id":"abc","State":{"Status":"running","Pid":4242,"ExitCode":0,
          "StartedAt":"2026-12-01T10:00:00.5Z","FinishedAt":"0001-01-01T00:00:00Z"}})");
  REQUIRE(d.ok());
  CHECK(d->pid == 4242);
  CHECK(d->exit_code == 0);
  CHECK(d->started_s == 1796119200.5);
  auto exited = parse_container_inspect(
      R"({"State":{"Pid":0,"ExitCode":137,"StartedAt":"0001-01-01T00:00:00Z"}})");
  CHECK(exited->exit_code == 137);
  CHECK(exited->started_s == 0);
  CHECK(parse_container_inspect(R"({"State":{"Pid":1e99,"ExitCode":"x"}})")->pid == 0);
  CHECK(!parse_container_inspect(R"({"Id":"abc"})").ok());
  CHECK(!parse_container_inspect("[]").ok());
}

TEST_CASE("RFC 3339 times as the engines write them") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0.0);
  CHECK(parse_rfc3339("2026-12-06T09:01:23.985936194Z").value() ==
        doctest::Approx(1796547683.985936194));
  CHECK(parse_rfc3339("2026-12-02T09:30:00+01:00") == 1796200200.0);
  CHECK(parse_rfc3339("2024-02-29T23:59:60-00:30") == 1709253000.0);  // a leap second
  CHECK(!parse_rfc3339("0001-01-01T00:00:00Z"));                      // Go's zero time: never
  CHECK(!parse_rfc3339("2026-12-06 09:01"));
  CHECK(!parse_rfc3339("2026-13-06T09:01:23Z"));
  CHECK(!parse_rfc3339("2026-12-06T09:01:23.Z"));
  CHECK(!parse_rfc3339("2026-12-06T09:01:23Zjunk"));
  CHECK(!parse_rfc3339(""));
}

TEST_CASE("an exited container's code from its status") {
  CHECK(exit_code_from_status("Exited (137) 5 seconds ago") == 137);
  CHECK(exit_code_from_status("Exited (0) 2 hours ago") == 0);
  CHECK(!exit_code_from_status("Up 2 hours"));
  CHECK(!exit_code_from_status("Exited (x) now"));
  CHECK(!exit_code_from_status("Exited (1"));
}

TEST_CASE("cgroup v2 files: the process's cgroup, flat-keyed values, io.stat") {
  CHECK(parse_cgroup_v2_path("12:cpu:/x\n0::/system.slice/docker-abc.scope\n") ==
        "/system.slice/docker-abc.scope");
  CHECK(!parse_cgroup_v2_path("4:memory:/docker/abc\n"));
  std::string_view cpu = "usage_usec 2500000\nuser_usec 1500000\nsystem_usec x\n";
  CHECK(keyed_value(cpu, "usage_usec") == 2500000u);
  CHECK(keyed_value(cpu, "user_usec") == 1500000u);
  CHECK(!keyed_value(cpu, "system_usec"));
  CHECK(!keyed_value(cpu, "usage"));
  auto io = parse_io_stat(
      "8:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=0 dios=0\n"
      "253:1 rbytes=4096 wbytes=x\n"
      "garbage\n");
  REQUIRE(io.size() == 2);
  CHECK(io[0].device == "8:0");
  CHECK(io[0].rbytes == 1048576);
  CHECK(io[0].wbytes == 2097152);
  CHECK(io[0].rios == 10);
  CHECK(io[0].wios == 20);
  CHECK(io[1].rbytes == 4096);
  CHECK(io[1].wbytes == 0);
}

namespace {

Roots container_roots() {
  Roots r;
  r.procfs = test::fixture("containers/proc");
  r.sysfs = test::fixture("containers/sys");
  return r;
}

ContainerInfo container(std::string id, std::string name, std::string state, int pid = 0,
                        double started_s = 0, int exit_code = 0) {
  ContainerInfo c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.image = "img";
  c.state = std::move(state);
  c.pid = pid;
  c.started_s = started_s;
  c.exit_code = exit_code;
  return c;
}

// The key of a container's sample: its labels and `more`, sorted as the collector sorts them.
std::string key(const std::string& metric, const std::string& id, const std::string& name,
                tt::LabelSet more = {}) {
  more.push_back({"id", id});
  more.push_back({"image", "img"});
  more.push_back({"name", name});
  Samples one;
  add(one, metric, 0, std::move(more));
  return test::key(one[0]);
}

}  // namespace

TEST_CASE("the containers' samples from their cgroups and their init processes' network") {
  tt::ManualClock clock(1'796'550'000'000);
  auto roots = container_roots();
  roots.clock = &clock;
  // web: Docker's systemd driver; db: Podman's, in the host's network; batch: exited;
  // worker: Docker's cgroupfs driver, its init process not in this procfs.
  std::vector<ContainerInfo> list = {
      container(kA, "web", "running", 4242, 1796119200.5), container(kB, "db", "running", 5353),
      container(kC, "batch", "exited", 0, 0, 137), container(kE, "worker", "running", 6464)};
  Samples out;
  collect_containers(roots, list, out);
  auto m = test::by_key(out);
  auto web = [](const std::string& metric, tt::LabelSet more = {}) {
    return key(metric, kA, "web", std::move(more));
  };
  CHECK(m[web("container_state", {{"state", "running"}})] == 1);
  CHECK(m[key("container_state", kC, "batch", {{"state", "exited"}})] == 1);
  CHECK(m[web("container_last_seen")] == 1796550000);
  CHECK(m[web("container_start_time_seconds")] == 1796119200.5);
  CHECK(m[web("container_cpu_usage_seconds_total")] == 2.5);
  CHECK(m[web("container_cpu_user_seconds_total")] == 1.5);
  CHECK(m[web("container_cpu_system_seconds_total")] == 1.0);
  CHECK(m[web("container_memory_usage_bytes")] == 104857600);
  CHECK(m[web("container_memory_working_set_bytes")] == 104857600 - 20971520);
  CHECK(m[web("container_memory_rss")] == 52428800);
  CHECK(m[web("container_memory_cache")] == 41943040);
  const tt::LabelSet sda = {{"device", "/dev/sda"}}, dm = {{"device", "253:1"}};
  CHECK(m[web("container_fs_reads_bytes_total", sda)] == 1048576);
  CHECK(m[web("container_fs_writes_bytes_total", sda)] == 2097152);
  CHECK(m[web("container_fs_reads_total", sda)] == 10);
  CHECK(m[web("container_fs_writes_total", sda)] == 20);
  CHECK(m[web("container_fs_reads_bytes_total", dm)] == 4096);
  const tt::LabelSet eth0 = {{"interface", "eth0"}};
  CHECK(m[web("container_network_receive_bytes_total", eth0)] == 123456);
  CHECK(m[web("container_network_receive_packets_total", eth0)] == 789);
  CHECK(m[web("container_network_receive_errors_total", eth0)] == 1);
  CHECK(m[web("container_network_receive_packets_dropped_total", eth0)] == 2);
  CHECK(m[web("container_network_transmit_bytes_total", eth0)] == 65432);
  CHECK(m[web("container_network_transmit_packets_total", eth0)] == 321);
  CHECK(m[web("container_network_transmit_errors_total", eth0)] == 3);
  CHECK(m[web("container_network_transmit_packets_dropped_total", eth0)] == 4);

  CHECK(m[key("container_cpu_usage_seconds_total", kB, "db")] == 0.5);
  CHECK(m[key("container_memory_working_set_bytes", kB, "db")] == 10485760 - 1048576);
  CHECK(!m.contains(key("container_start_time_seconds", kB, "db")));  // no start time known
  CHECK(test::by_key(out, "container_network").size() == 8);  // db shares the host's network
  CHECK(test::by_key(out, "container_fs").size() == 8);       // web's two devices

  CHECK(m[key("container_cpu_usage_seconds_total", kE, "worker")] == 0.000042);
  CHECK(!m.contains(key("container_memory_usage_bytes", kE, "worker")));
  // The exited container has its state and nothing else.
  for (const auto& s : out)
    for (const auto& l : s.labels)
      if (l.name == "id" && l.value == kC) CHECK(s.name == "container_state");
}

TEST_CASE("events between two lists: created, started, stopped, died, removed") {
  using K = ContainerEventKind;
  auto kinds = [](const std::vector<ContainerEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events)
      out.push_back(e.name + " " + std::string(to_string(e.kind)) + " " +
                    std::to_string(e.exit_code));
    return out;
  };
  std::vector<ContainerInfo> before = {
      container("1", "web", "running", 10, 100),  container("2", "db", "running", 11, 100),
      container("3", "job", "running", 12, 100),  container("4", "old", "exited", 0, 0, 1),
      container("5", "cron", "running", 13, 100), container("6", "idle", "created")};
  std::vector<ContainerInfo> after = {
      container("1", "web", "running", 10, 100),     // unchanged
      container("2", "db", "exited", 0, 100, 0),     // stopped
      container("3", "job", "exited", 0, 100, 137),  // died
      container("5", "cron", "running", 20, 200),    // restarted between the lists
      container("6", "idle", "running", 21, 300),    // started
      container("7", "new", "running", 22, 400),     // created and started
      container("8", "quick", "exited", 0, 500, 2),  // created, ran and died between them
      container("9", "made", "created")};            // created
  CHECK(kinds(container_changes(before, after)) ==
        std::vector<std::string>{"db stopped 0", "job died 137", "cron started 0", "idle started 0",
                                 "new created 0", "new started 0", "quick created 0",
                                 "quick died 2", "made created 0", "old removed 0"});
  CHECK(container_changes(after, after).empty());
  auto events = container_changes({}, {container("1", "web", "running", 1, 1)});
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == K::created);
  CHECK(events[0].id == "1");
  CHECK(events[0].image == "img");
}

namespace {

// A small engine on a unix socket: each connection gets the reply its path maps to (chunked),
// then closed; unknown paths get 404. Counts requests per path.
class TestEngine {
 public:
  using Replies = std::map<std::string, std::string>;
  explicit TestEngine(Replies replies)
      : m_path(std::filesystem::temp_directory_path() /
               ("tt-engine-" + std::to_string(::getpid()) + "-" + std::to_string(++s_n))),
        m_replies(std::move(replies)) {
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", m_path.c_str());
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(m_fd, 16) == 0);
    m_thread = std::thread([this] { serve(); });
  }
  ~TestEngine() {
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
    ::unlink(m_path.c_str());
  }
  const std::string& path() const { return m_path; }
  int requests(const std::string& path) {
    std::lock_guard lock(m_mutex);
    return m_count[path];
  }
  void set(const std::string& path, std::string body) {
    std::lock_guard lock(m_mutex);
    m_replies[path] = std::move(body);
  }

 private:
  void serve() {
    while (true) {
      int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        auto n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      auto path = request.substr(4, request.find(' ', 4) - 4);
      std::string reply;
      {
        std::lock_guard lock(m_mutex);
        ++m_count[path];
        auto it = m_replies.find(path);
        if (it == m_replies.end()) {
          reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 18\r\n\r\n{\"message\":\"gone\"}";
        } else if (it->second == "hang") {
          std::this_thread::sleep_for(300ms);
        } else {
          char size[32];
          std::snprintf(size, sizeof size, "%zx", it->second.size());
          reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
                  "\r\n" + it->second + "\r\n0\r\n\r\n";
        }
      }
      if (!reply.empty()) (void)!::write(c, reply.data(), reply.size());
      ::close(c);
    }
  }

  static inline std::atomic<int> s_n{0};
  std::string m_path;
  std::map<std::string, std::string> m_replies;
  std::map<std::string, int> m_count;
  std::mutex m_mutex;
  int m_fd = -1;
  std::thread m_thread;
};

std::string list_json(const std::string& state_b) {
  return R"([{"Id":")" + kA + R"(","Names":["/web"],"Image":"nginx","State":"running"},
             {"Id":")" +
         kB + R"(","Names":["/db"],"Image":"pg","State":")" + state_b +
         R"(","Status":"Exited (3) now"},
             {"Id":")" +
         kC + R"(","Names":["/batch"],"Image":"bb","State":"exited",
              "Status":"Exited (0) 1 day ago"}])";
}

std::string inspect_json(int pid) {
  return R"({"State":{"Pid":)" + std::to_string(pid) +
         R"(,"ExitCode":0,"StartedAt":"2026-12-01T10:00:00Z"}})";
}

}  // namespace

TEST_CASE("the engine client: a GET over a unix socket, and its errors") {
  TestEngine engine(TestEngine::Replies{{"/x", "[1,2,3]"}, {"/slow", "hang"}});
  auto reply = unix_http_get(engine.path(), "/x", 2s);
  REQUIRE(reply.ok());
  CHECK(reply->status == 200);
  CHECK(reply->body == "[1,2,3]");
  CHECK(unix_http_get(engine.path(), "/nothing", 2s)->status == 404);
  CHECK(unix_http_get(engine.path(), "/slow", 50ms).error().code == "CONTAINER_ENGINE_TIMEOUT");
  CHECK(unix_http_get("/nonexistent/engine.sock", "/x", 1s).error().code ==
        "CONTAINER_ENGINE_UNREACHABLE");
}

TEST_CASE("a steady state costs one list request; a changed state or a gone pid is inspected") {
  TestEngine engine(TestEngine::Replies{{"/v1.41/containers/json?all=1", list_json("running")},
                                        {"/v1.41/containers/" + kA + "/json", inspect_json(4242)},
                                        {"/v1.41/containers/" + kB + "/json", inspect_json(5353)}});
  auto roots = container_roots();
  roots.docker_socket = engine.path();
  ContainerSource source;
  auto first = source.list(roots);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 3);
  CHECK((*first)[0].pid == 4242);
  CHECK((*first)[0].started_s == 1796119200);
  CHECK((*first)[2].exit_code == 0);
  auto inspections = [&] {
    return engine.requests("/v1.41/containers/" + kA + "/json") +
           engine.requests("/v1.41/containers/" + kB + "/json") +
           engine.requests("/v1.41/containers/" + kC + "/json");
  };
  CHECK(inspections() == 2);  // the exited one's code is in its status
  REQUIRE(source.list(roots).ok());
  REQUIRE(source.list(roots).ok());
  CHECK(engine.requests("/v1.41/containers/json?all=1") == 3);
  CHECK(inspections() == 2);

  engine.set("/v1.41/containers/json?all=1", list_json("exited"));  // db exited with 3
  auto later = source.list(roots);
  REQUIRE(later.ok());
  CHECK((*later)[1].state == "exited");
  CHECK((*later)[1].exit_code == 3);
  CHECK(inspections() == 2);
  CHECK(container_changes(*first, *later).size() == 1);

  engine.set("/v1.41/containers/" + kA + "/json", inspect_json(999999));  // not in the procfs
  source = ContainerSource();
  REQUIRE(source.list(roots).ok());
  REQUIRE(source.list(roots).ok());  // its pid is gone: inspected again
  CHECK(engine.requests("/v1.41/containers/" + kA + "/json") == 3);
}

TEST_CASE("the engine's samples: up, or down when it does not answer, none without a socket") {
  TestEngine engine(TestEngine::Replies{{"/v1.41/containers/json?all=1", "not json"}});
  auto roots = container_roots();
  roots.docker_socket = engine.path();
  ContainerSource source;
  Samples out;
  CHECK(!collect_engine(roots, source, out));
  CHECK(test::by_key(out) ==
        std::map<std::string, double>{{"telltale_agent_container_engine_up", 0}});

  engine.set("/v1.41/containers/json?all=1", list_json("exited"));
  out.clear();
  auto list = collect_engine(roots, source, out);
  REQUIRE(list);
  // web's inspection answers 404: it was removed after the list, and is left out.
  CHECK(list->size() == 2);
  CHECK(test::by_key(out)["telltale_agent_container_engine_up"] == 1);
  CHECK(test::by_key(out, "container_state").size() == 2);

  roots.docker_socket = "/nonexistent/docker.sock";
  out.clear();
  CHECK(!collect_engine(roots, source, out));
  CHECK(out.empty());
}
