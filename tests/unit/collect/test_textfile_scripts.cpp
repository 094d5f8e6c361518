// The textfile collector (node_exporter's *.prom directory) and the scripts collector
// (executables whose output is Prometheus text or Influx line protocol), over temporary
// directories: good files and scripts, bad ones, one that outlives its timeout.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "collect/collect.h"
#include "collect/text_samples.h"
#include "samples.h"

using namespace tt::collect;
using Map = std::map<std::string, double>;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tt-collect-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    m_path = tmpl;
  }
  ~TempDir() { fs::remove_all(m_path); }
  std::string path() const { return m_path; }
  std::string write(const std::string& name, const std::string& text, bool executable = false) {
    auto path = (fs::path(m_path) / name).string();
    std::ofstream(path) << text;
    if (executable) fs::permissions(path, fs::perms::owner_all);
    return path;
  }

 private:
  std::string m_path;
};

Samples run(const Roots& roots, std::string name) {
  std::vector<std::string> names = {std::move(name)};
  return collect(roots, names);
}

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace

TEST_CASE("Prometheus text and Influx line protocol as collect's samples") {
  auto prom = parse_prometheus_samples("# TYPE a gauge\na{x=\"1\"} 2\nb 3\n", Timestamps::refuse);
  REQUIRE(prom);
  CHECK(test::by_key(*prom) == Map{{"a{x=\"1\"}", 2}, {"b", 3}});
  CHECK(!parse_prometheus_samples("a 1 1700000000000\n", Timestamps::refuse));
  CHECK(parse_prometheus_samples("a 1 1700000000000\n", Timestamps::ignore));
  CHECK(!parse_prometheus_samples("a{ 1\n", Timestamps::ignore));

  auto influx = parse_script_output("ups,unit=a charge=97,load=12i 1700000000000000000\n");
  REQUIRE(influx);
  CHECK(test::by_key(*influx) == Map{{"ups_charge{unit=\"a\"}", 97}, {"ups_load{unit=\"a\"}", 12}});
  CHECK(test::by_key(*parse_script_output("up 1\n")) == Map{{"up", 1}});
  CHECK(parse_script_output("")->empty());
  CHECK(!parse_script_output("this is not { metrics\n"));
}

TEST_CASE("the textfile collector reads *.prom files, skips a bad one whole and says so") {
  TempDir dir;
  dir.write("backup.prom",
            "# HELP backup_last_success_seconds When.\n"
            "# TYPE backup_last_success_seconds gauge\n"
            "backup_last_success_seconds{job=\"db\"} 1796000000\n"
            "backup_bytes_total 42\n");
  auto stamped = dir.write("stamped.prom", "x 1 1700000000000\n");
  dir.write("broken.prom", "good 1\nbad{ 2\n");
  dir.write("notes.txt", "ignored 1\n");
  // A known mtime, to the millisecond.
  timeval times[2] = {{1796000000, 250000}, {1796000000, 250000}};
  auto backup = dir.path() + "/backup.prom";
  REQUIRE(::utimes(backup.c_str(), times) == 0);
  (void)stamped;

  Roots roots;
  roots.textfile_dir = dir.path();
  auto m = test::by_key(run(roots, "textfile"));
  CHECK(m == Map{{"backup_last_success_seconds{job=\"db\"}", 1796000000},
                 {"backup_bytes_total", 42},
                 {"node_textfile_mtime_seconds{file=\"" + backup + "\"}", 1796000000.25},
                 {"node_textfile_scrape_error", 1}});

  fs::remove(dir.path() + "/broken.prom");
  fs::remove(dir.path() + "/stamped.prom");
  CHECK(test::by_key(run(roots, "textfile"))["node_textfile_scrape_error"] == 0);

  roots.textfile_dir = dir.path() + "/missing";
  CHECK(test::by_key(run(roots, "textfile")) == Map{{"node_textfile_scrape_error", 1}});
  roots.textfile_dir.clear();  // off
  CHECK(run(roots, "textfile").empty());
}

TEST_CASE("the scripts collector runs each executable, with a timeout, and reaps them all") {
  TempDir dir;
  dir.write("prom.sh",
            "#!/bin/sh\necho '# TYPE queue_depth gauge'\necho 'queue_depth{q=\"a\"} 7'\n", true);
  dir.write("influx.sh", "#!/bin/sh\necho 'ups,unit=a charge=97,on=true'\n", true);
  // Its child holds the pipe open too: the whole group must go.
  dir.write("sleeps.sh", "#!/bin/sh\necho 'early 1'\nsleep 30 &\nsleep 30\n", true);
  dir.write("fails.sh", "#!/bin/sh\necho 'x 1'\nexit 3\n", true);
  dir.write("garbage.sh", "#!/bin/sh\necho 'hello, world {'\n", true);
  dir.write("flood.sh", "#!/bin/sh\nwhile :; do echo 'flood 1'; done\n", true);
  dir.write("not-executable.sh", "#!/bin/sh\necho 'nope 1'\n");
  dir.write(".hidden.sh", "#!/bin/sh\necho 'nope 1'\n", true);

  Roots roots;
  roots.scripts_dir = dir.path();
  roots.script_timeout = std::chrono::milliseconds(700);
  const int fds_before = open_fds();
  auto started = std::chrono::steady_clock::now();
  auto out = run(roots, "scripts");
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::seconds(3));  // all at once, not one timeout after another
  CHECK(took >= std::chrono::milliseconds(700));

  auto m = test::by_key(out);
  CHECK(m["queue_depth{q=\"a\"}"] == 7);
  CHECK(m["ups_charge{unit=\"a\"}"] == 97);
  CHECK(m["ups_on{unit=\"a\"}"] == 1);
  CHECK(!m.contains("early"));
  CHECK(!m.contains("x"));
  CHECK(!m.contains("nope"));
  CHECK(!m.contains("flood"));
  CHECK(test::by_key(out, "telltale_agent_script_success") ==
        Map{{"telltale_agent_script_success{script=\"prom.sh\"}", 1},
            {"telltale_agent_script_success{script=\"influx.sh\"}", 1},
            {"telltale_agent_script_success{script=\"sleeps.sh\"}", 0},
            {"telltale_agent_script_success{script=\"fails.sh\"}", 0},
            {"telltale_agent_script_success{script=\"garbage.sh\"}", 0},
            {"telltale_agent_script_success{script=\"flood.sh\"}", 0}});
  auto sleeps = m["telltale_agent_script_duration_seconds{script=\"sleeps.sh\"}"];
  CHECK(sleeps >= 0.7);
  CHECK(sleeps < 2.0);
  CHECK(m["telltale_agent_script_duration_seconds{script=\"prom.sh\"}"] < 0.7);

  // Every child reaped, every descriptor closed.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  CHECK(open_fds() == fds_before);

  roots.scripts_dir.clear();  // off
  CHECK(run(roots, "scripts").empty());
}
