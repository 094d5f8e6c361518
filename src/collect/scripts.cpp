// The scripts collector: every executable file of Roots::scripts_dir runs, all at once, without a
// shell, its standard output read (at most kMaxScriptOutputBytes) and parsed as Prometheus text
// or InfluxDB line protocol. Each runs in a process group of its own, which is killed when the
// script outlives Roots::script_timeout or writes too much; every child is reaped before the
// collection returns. Nothing is kept between collections.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/text_samples.h"

extern char** environ;

namespace tt::collect {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxScriptOutputBytes = 1 << 20;

struct Run {
  std::string name;
  pid_t pid = -1;
  int out = -1;  // read end of the script's stdout; -1 once it ended
  std::string output;
  bool too_large = false;
  bool timed_out = false;  // killed at the deadline
  bool reaped = false;
  int status = 0;  // waitpid's
  Clock::time_point started;
  Clock::time_point ended;
};

void close_output(Run& run) {
  if (run.out >= 0) ::close(run.out);
  run.out = -1;
}

std::vector<std::string> executables(const std::string& dir) {
  std::vector<std::string> names;
  for (auto& name : list_dir(dir, "")) {
    if (name.starts_with('.')) continue;  // editors' and package managers' leftovers
    const auto path = join(dir, name);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0)
      names.push_back(std::move(name));
  }
  return names;
}

// Starts the script in a process group of its own: stdin and stderr /dev/null, stdout a pipe,
// no other descriptor of ours, default signal handling. False when it cannot start.
bool spawn(const std::string& path, Run& run) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors opened without O_CLOEXEC (by a library) stay ours.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};
  run.started = Clock::now();
  int rc = posix_spawn(&run.pid, path.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    run.pid = -1;
    return false;
  }
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  run.out = fds[0];
  return true;
}

void read_output(Run& run) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(run.out, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return close_output(run);
    if (run.output.size() + static_cast<std::size_t>(n) > kMaxScriptOutputBytes) {
      run.too_large = true;
      ::kill(-run.pid, SIGKILL);
      return close_output(run);
    }
    run.output.append(buf, static_cast<std::size_t>(n));
  }
}

bool try_reap(Run& run) {
  if (!run.reaped && ::waitpid(run.pid, &run.status, WNOHANG) == run.pid) {
    run.reaped = true;
    run.ended = Clock::now();
  }
  return run.reaped;
}

// Reads the scripts' outputs and reaps those that exit, until all have or the deadline passes.
// A script that closed its output is looked at every 5 ms, so its duration is that precise.
void supervise(std::vector<Run>& runs, Clock::time_point deadline) {
  while (true) {
    std::vector<pollfd> fds;
    std::vector<Run*> open;
    bool exiting = false;  // output closed, not reaped yet
    for (auto& run : runs)
      if (run.out >= 0) {
        fds.push_back({run.out, POLLIN, 0});
        open.push_back(&run);
      } else {
        exiting |= !try_reap(run);
      }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if ((fds.empty() && !exiting) || left <= 0) return;
    auto wait_ms = static_cast<int>(exiting ? std::min<decltype(left)>(left, 5) : left);
    if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) return;
    for (std::size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents) read_output(*open[i]);
  }
}

// Kills the process groups of the scripts still running at the deadline, and reaps them.
void kill_late(std::vector<Run>& runs) {
  for (auto& run : runs) {
    if (try_reap(run)) continue;
    ::kill(-run.pid, SIGKILL);  // the group: a script's children go too
    while (::waitpid(run.pid, &run.status, 0) < 0 && errno == EINTR) {
    }
    run.reaped = true;
    run.ended = Clock::now();
    run.timed_out = true;
    close_output(run);
  }
}

}  // namespace

void collect_scripts(const Roots& roots, Samples& out) {
  if (roots.scripts_dir.empty()) return;
  std::vector<Run> runs;
  for (auto& name : executables(roots.scripts_dir)) {
    Run run;
    run.name = std::move(name);
    if (spawn(join(roots.scripts_dir, run.name), run)) {
      runs.push_back(std::move(run));
    } else {
      add(out, "telltale_agent_script_success", 0, {{"script", run.name}});
      add(out, "telltale_agent_script_duration_seconds", 0, {{"script", run.name}});
    }
  }
  const auto deadline = Clock::now() + roots.script_timeout;
  supervise(runs, deadline);
  kill_late(runs);
  for (auto& run : runs) {
    const bool exited_ok =
        !run.timed_out && !run.too_large && WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0;
    auto samples = exited_ok ? parse_script_output(run.output) : std::nullopt;
    if (samples)
      for (auto& s : *samples) out.push_back(std::move(s));
    const LabelSet labels{{"script", run.name}};
    add(out, "telltale_agent_script_success", samples ? 1 : 0, labels);
    add(out, "telltale_agent_script_duration_seconds",
        std::chrono::duration<double>(run.ended - run.started).count(), labels);
  }
}

}  // namespace tt::collect
