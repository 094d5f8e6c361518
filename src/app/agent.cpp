#include "app/agent.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "agent/runner.h"
#include "app/signals.h"
#include "collect/collect.h"
#include "collect/identity.h"
#include "core/duration.h"
#include "core/log.h"

namespace tt::app {

std::string agent_collector_names() {
  std::string names;
  for (const auto& c : collect::collectors()) {
    if (!names.empty()) names += ',';
    names += c.name;
  }
  return names;
}

std::string default_buffer_dir() {
  if (geteuid() == 0) return "/var/lib/telltale-agent";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state)
    return std::string(state) + "/telltale-agent";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/state/telltale-agent";
}

namespace {

// `telltale agent` needs little of OpenSSL: only the checks that run on it use it, for TLS and
// SNMPv3, through algorithms they name (no lookups by name, no error strings shown). Yet
// Debian's libcpp-httplib, which the executable links for the hub, has a static initialiser
// that makes OpenSSL load its error strings, its configuration file and its tables of every
// cipher and digest: about 1.7 MB of resident memory, a sixth of the agent's. Libraries'
// initialisers run before main(), so main() is too late to decline; an executable's .preinit_array
// runs before all of them (glibc passes it main's arguments). In agent mode it initialises OpenSSL
// first, without those parts: OpenSSL runs each part of its initialisation once, the first request
// deciding, so the library's later request finds it done. Other modes keep OpenSSL's defaults.
void decline_openssl_extras(int argc, char** argv, char**) {
  if (argc < 2 || std::string_view(argv[1]) != "agent") return;
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
                       OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                       OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                   nullptr);
}
[[gnu::section(".preinit_array"),
  gnu::used]] void (*preinit_decline_openssl_extras)(int, char**, char**) = decline_openssl_extras;

int usage(const std::string& message) {
  fmt::print(stderr, "telltale agent: {}\n", message);
  return 2;
}

// "256MiB", "1GiB", "500MB", "65536": bytes; nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::uint64_t n = std::stoull(std::string(text.substr(0, digits)));
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},      {"B", 1},        {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000}};
  for (const auto& [unit, factor] : kUnits)
    if (text.substr(digits) == unit) return n * factor;
  return std::nullopt;
}

// Runs until SIGTERM or SIGINT; the collections not yet delivered stay in the buffer.
int run_agent(agent::AgentConfig config) {
  agent::BufferOptions buffer_options;
  buffer_options.dir = config.buffer_dir;
  buffer_options.max_bytes = config.buffer_max;
  buffer_options.segment_bytes = std::min<std::uint64_t>(4ull << 20, config.buffer_max / 4);
  buffer_options.sync_delay = config.buffer_sync;
  auto buffer = agent::Buffer::open(buffer_options);
  if (!buffer.ok()) {
    log::error("agent: cannot open the buffer in {}: {}", config.buffer_dir,
               buffer.error().message);
    return 1;
  }
  const StopSignals signals;
  log::info("agent: collecting every {} for {} (buffer in {})",
            format_duration_ms(config.interval.count()), config.hub, config.buffer_dir);
  agent::Runner runner(std::move(config), std::move(buffer.value()));
  std::thread waiter([&runner, &signals] {
    log::info("agent: received {}, stopping", signals.wait());
    runner.stop();
  });
  runner.run();
  waiter.join();
  return 0;
}

int print_identity(const collect::Roots& roots) {
  const auto id = collect::identify(roots);
  const nlohmann::json j{{"id", id.id},
                         {"hostname", id.hostname},
                         {"interface", id.interface},
                         {"mac", id.mac},
                         {"os", id.os},
                         {"kernel", id.kernel},
                         {"arch", id.arch},
                         {"cpu_model", id.cpu_model},
                         {"cores", id.cores},
                         {"memory_bytes", id.memory_bytes},
                         {"boot_time", id.boot_time_s}};
  fmt::print("{}\n", j.dump(2));
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int agent(const AgentOptions& options) {
  collect::Roots roots;
  roots.procfs = options.procfs;
  roots.sysfs = options.sysfs;
  roots.rootfs = options.rootfs;
  roots.docker_socket = options.docker_socket;
  roots.textfile_dir = options.textfile_dir;
  roots.scripts_dir = options.scripts_dir;
  if (options.once && options.identity) return print_identity(roots);
  if (options.once && !options.print)
    return usage("--once needs --print (one collection) or --identity");
  std::vector<std::string> names;
  std::string_view list = options.collectors;
  while (!list.empty()) {
    auto end = list.find(',');
    auto name = list.substr(0, end);
    if (!name.empty() && !collect::find_collector(name)) {
      fmt::print(stderr, "telltale agent: unknown collector \"{}\" (known: {})\n", name,
                 agent_collector_names());
      return 2;
    }
    if (!name.empty()) names.emplace_back(name);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  if (options.once) {
    auto text = collect::to_prometheus_text(collect::collect(roots, names));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  agent::AgentConfig config;
  if (options.hub.empty()) return usage("--hub URL is needed (or --once --print)");
  if (auto hub = client::parse_server_url(options.hub); !hub.ok())
    return usage(fmt::format("--hub {}: {}", options.hub, hub.error().message));
  config.hub = options.hub;
  config.ca_file = options.ca_file;
  config.token = options.token;
  config.name = options.name;
  config.type = options.type;
  if (auto labels = agent::parse_labels(options.labels))
    config.labels = std::move(*labels);
  else
    return usage("--labels must be name=value pairs separated by commas");
  if (!options.location.empty()) {
    config.location = agent::parse_location(options.location);
    if (!config.location) return usage("--location must be LAT,LON or LAT,LON,PLACE");
  }
  auto interval = parse_duration_ms(options.interval);
  if (!interval || *interval < 1000 || *interval > 3'600'000)
    return usage("--interval must be a duration from 1s to 1h, such as 10s");
  config.interval = std::chrono::milliseconds(*interval);
  auto buffer_max = parse_size(options.buffer_max);
  if (!buffer_max || *buffer_max < (64u << 10))
    return usage("--buffer-max must be a size of at least 64KiB, such as 256MiB");
  config.buffer_max = *buffer_max;
  auto buffer_sync = parse_duration_ms(options.buffer_sync);
  if (!buffer_sync || *buffer_sync > 3'600'000)
    return usage("--buffer-sync must be a duration up to 1h, such as 30s (0s: every collection)");
  config.buffer_sync = std::chrono::milliseconds(*buffer_sync);
  config.buffer_dir = options.buffer_dir.empty() ? default_buffer_dir() : options.buffer_dir;
  config.collectors = std::move(names);
  config.roots = roots;
  config.version = TELLTALE_VERSION;
  return run_agent(std::move(config));
}

}  // namespace tt::app
