// telltale — network and node monitoring in one binary. This file is the command tree only;
// app/ and cli/ do the work.
#include <fmt/format.h>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>

#include "app/agent.h"
#include "app/app.h"
#include "app/sim.h"
#include "cli/admin.h"
#include "cli/backup.h"
#include "cli/completion.h"
#include "cli/setup_code.h"
#include "core/duration.h"
#include "core/log.h"
#include "ctl/api.h"
#include "ctl/commands.h"

namespace {

// `--config FILE` of serve and agent: CLI11 2.1 reads no config file of a subcommand's own, so
// the file's `key = value` lines (TOML or INI; a [serve] or [agent] section too) become
// `--key=value` arguments right after the subcommand, for each key that neither the command line
// nor the environment gives: the command line wins over the environment, which wins over the
// file. An unknown key is then refused as an unknown option. Throws CLI::FileError.
std::vector<std::string> with_config_file(std::vector<std::string> args,
                                          std::initializer_list<CLI::App*> subcommands) {
  for (CLI::App* sub : subcommands) {
    auto at = std::find(args.begin(), args.end(), sub->get_name());
    if (at == args.end()) continue;
    auto given = [&](const std::string& flag) {
      return std::any_of(at + 1, args.end(), [&](const std::string& a) {
        return a == flag || a.starts_with(flag + "=");
      });
    };
    std::string path;
    for (auto it = at + 1; it != args.end(); ++it) {
      if (*it == "--config" && it + 1 != args.end()) path = *(it + 1);
      if (it->starts_with("--config=")) path = it->substr(9);
    }
    const CLI::Option* config = sub->get_option_no_throw("--config");
    if (path.empty() && config && !config->get_envname().empty())
      if (const char* env = std::getenv(config->get_envname().c_str())) path = env;
    if (path.empty()) return args;
    std::vector<std::string> from_file;
    for (const auto& item : CLI::ConfigTOML().from_file(path)) {
      if (item.name == "++" || item.name == "--") continue;  // section markers
      if (!item.parents.empty() && item.parents != std::vector{sub->get_name()}) continue;
      const std::string flag = "--" + item.name;
      const CLI::Option* option = sub->get_option_no_throw(flag);
      if (given(flag) ||
          (option && !option->get_envname().empty() && std::getenv(option->get_envname().c_str())))
        continue;
      for (const auto& value : item.inputs) from_file.push_back(flag + "=" + value);
    }
    args.insert(at + 1, from_file.begin(), from_file.end());
    return args;
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tt;
  // One malloc arena (serve and agent alike): a second one kept what the HTTP threads freed
  // (answers built for ten browsers at once) resident beside the heads, 2 to 5 MiB more at the peak
  // with 1,000 pings a second, for about half a percent of a core less (bench/memory, issue 26's
  // notes). glibc's own setting, when given, wins.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 1);
  // A fixed threshold: blocks of 64 KiB and more (answers, packs, a cut's buffers) are mapped
  // and unmapped on their own. glibc's default raises the threshold to each such block freed,
  // after which they come from the heap and leave holes between the heads' blocks: with 1,000
  // pings a second, RSS 35.7-37.0 MiB against 36.7-38.8 over minutes 6 to 10, and half the free
  // heap (issue 26's notes).
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 64 << 10);
  CLI::App cli{"Telltale: network and node monitoring in one binary"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string(TELLTALE_VERSION));

  app::ServeOptions serve;
  std::string log_level = "info";
  auto* serve_cmd =
      cli.add_subcommand("serve", "Run the server: UI, API and WebSocket on one port");
  serve_cmd
      ->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  serve_cmd->add_option("--data", serve.data_dir, "Data directory")
      ->default_str(app::default_data_dir());
  serve_cmd
      ->add_option("--web-dir", serve.web_dir,
                   "Serve the UI from this directory instead of the embedded copy")
      ->check(CLI::ExistingDirectory);
  serve_cmd->add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-body", serve.max_body_bytes, "Largest accepted request body in bytes")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();
  serve_cmd
      ->add_option("--api-rate-limit", serve.api_rate_per_s,
                   "API requests per second per client address (0 disables)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve_cmd->add_option("--http-threads", serve.http_threads, "HTTP worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve_cmd
      ->add_option("--snmp-trap-listen", serve.snmp_trap_listen,
                   "UDP HOST:PORT of the SNMP trap receiver, or \"off\" (port 162 needs root or "
                   "CAP_NET_BIND_SERVICE)")
      ->capture_default_str();
  // Retention per tier of the time-series store and of the event log, as durations ("30d", "26w").
  auto retention = [serve_cmd](const char* name, std::int64_t& ms, const char* help,
                               std::int64_t min_ms = 3'600'000) {
    serve_cmd
        ->add_option_function<std::string>(
            name, [&ms](const std::string& text) { ms = tt::parse_duration_ms(text).value_or(ms); },
            help)
        ->check([min_ms](const std::string& text) -> std::string {
          auto ms = tt::parse_duration_ms(text);
          return ms && *ms >= min_ms ? ""
                                     : "must be a duration of at least " +
                                           tt::format_duration_ms(min_ms) + ", such as 30d or 26w";
        })
        ->default_str(tt::format_duration_ms(ms));
  };
  retention("--retention-raw", serve.raw_retention_ms, "How long raw samples are kept");
  retention("--retention-1m", serve.rollup_1m_retention_ms, "How long 1-minute rollups are kept");
  retention("--retention-1h", serve.rollup_1h_retention_ms, "How long 1-hour rollups are kept");
  serve_cmd
      ->add_option("--tsdb-head-mib", serve.tsdb_head_mib,
                   "Memory in MiB the time-series heads may hold (the newest samples, not yet cut "
                   "into chunks): past it, the largest are cut early, into short chunks that "
                   "maintenance merges an hour later")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  retention("--events-retention", serve.events_retention_ms, "How long the event log keeps events",
            1000);
  serve_cmd
      ->add_option_function<std::string>(
          "--backup-every",
          [&serve](const std::string& text) {
            serve.backup_every_ms = text == "off" ? 0 : tt::parse_duration_ms(text).value_or(0);
          },
          "Write a backup of the data directory this often, such as 1d (default off)")
      ->check([](const std::string& text) -> std::string {
        auto ms = tt::parse_duration_ms(text);
        return text == "off" || (ms && *ms >= 1000) ? ""
                                                    : "must be off or a duration of at least 1s";
      });
  serve_cmd->add_option("--backup-keep", serve.backup_keep, "How many scheduled backups to keep")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  serve_cmd->add_option("--backup-dir", serve.backup_dir,
                        "Where scheduled backups go (default DATA/backups)");
  serve_cmd
      ->add_option("--events-max", serve.events_max,
                   "Most events the event log keeps (the oldest go first)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  serve_cmd->add_option("--tls-cert", serve.tls_cert,
                        "Serve HTTPS with this PEM certificate (chain); reread on SIGHUP");
  serve_cmd->add_option("--tls-key", serve.tls_key, "The PEM key of --tls-cert");
  serve_cmd->add_flag("--tls-self-signed", serve.tls_self_signed,
                      "Serve HTTPS with a self-signed certificate made once in DATA/tls");
  serve_cmd->add_option("--http-redirect", serve.http_redirect,
                        "HOST:PORT of a plain-HTTP listener that redirects to HTTPS");
  serve_cmd
      ->add_option("--trusted-proxy", serve.trusted_proxies,
                   "A reverse proxy's address or network (10.0.0.0/8): its X-Forwarded-For (or "
                   "Forwarded) names the client. Repeatable, or comma-separated")
      ->delimiter(',');
  serve_cmd
      ->add_option("--forwarded-header", serve.forwarded_header,
                   "The header the trusted proxies name the client in: x-forwarded-for or "
                   "forwarded (RFC 7239); the other is ignored")
      ->check(CLI::IsMember({"x-forwarded-for", "forwarded"}))
      ->capture_default_str();
  serve_cmd->add_option("--base-path", serve.base_path,
                        "Serve the UI, the API and the WebSocket under this path, such as "
                        "/telltale (behind a reverse proxy)");

  // Every serve option may also come from the environment (TELLTALE_LISTEN for --listen, ...) and
  // from a file (--config, TELLTALE_CONFIG): the command line wins over the environment, and the
  // environment over the file.
  std::string config_file;  // read by with_config_file
  serve_cmd
      ->add_option("--config", config_file,
                   "Read options from this file (TOML or INI: key = value)")
      ->envname("TELLTALE_CONFIG");
  for (CLI::Option* option : serve_cmd->get_options()) {
    const std::string name = option->get_single_name();
    if (option->get_lnames().empty() || name == "help" || name == "config") continue;
    std::string env = "TELLTALE_";
    for (char c : name) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    option->envname(env);
  }

  std::string data_dir = app::default_data_dir();
  std::string user_name, role, token_user, token_label = "cli", expires;
  bool password_stdin = false;
  auto* user_cmd = cli.add_subcommand("user", "Manage user accounts");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "Create a user");
  user_add->add_option("name", user_name, "User name")->required();
  user_add->add_option("--role", role, "admin, operator, viewer or api")
      ->required()
      ->check(CLI::IsMember({"admin", "operator", "viewer", "api"}));
  user_add->add_flag("--password-stdin", password_stdin, "Read the password from standard input")
      ->required();
  user_add->add_option("--data", data_dir, "Data directory")->capture_default_str();

  auto* token_cmd = cli.add_subcommand("token", "Manage API tokens");
  token_cmd->require_subcommand(1);
  auto* token_create =
      token_cmd->add_subcommand("create", "Create an API token; it is printed on the last line");
  token_create->add_option("--user", token_user, "The user the token acts as")->required();
  token_create->add_option("--name", token_label, "A label to recognise the token by")
      ->capture_default_str();
  token_create->add_option("--expires", expires, "Lifetime such as 90d, 12h; default never");
  token_create->add_option("--data", data_dir, "Data directory")->capture_default_str();

  std::string backup_out, restore_in;
  auto* backup_cmd = cli.add_subcommand(
      "backup", "Write a consistent, compressed copy of a data directory (a server may run on it)");
  backup_cmd->add_option("--data", data_dir, "Data directory")->capture_default_str();
  backup_cmd->add_option("--out", backup_out, "The backup file to write")->required();
  auto* restore_cmd = cli.add_subcommand(
      "restore", "Replace a data directory's contents with a backup's, once the backup checks out");
  restore_cmd->add_option("file", restore_in, "The backup file")->required();
  restore_cmd->add_option("--data", data_dir, "Data directory (no server may run on it)")
      ->capture_default_str();

  auto* setup_code_cmd = cli.add_subcommand(
      "setup-code", "Print the first-run setup code of the server running on a data directory");
  setup_code_cmd->add_option("--data", data_dir, "Data directory")->capture_default_str();

  app::AgentOptions agent;
  auto* agent_cmd = cli.add_subcommand(
      "agent", "Collect this host's metrics and push them to a hub (or print one collection)");
  agent_cmd->add_option("--config", config_file,
                        "Read options from this file (TOML or INI: key = value)");
  agent_cmd->add_option("--hub", agent.hub, "The hub's URL, such as http://hub.lan:8470");
  agent_cmd->add_option("--ca-file", agent.ca_file,
                        "With an https:// hub: trust the CAs of this PEM file, not the system's");
  agent_cmd->add_option("--token", agent.token,
                        "Enrolment token (or an api/admin API token) to register with");
  agent_cmd->add_option("--name", agent.name,
                        "The host's name at the hub (default: its host name)");
  agent_cmd->add_option("--type", agent.type, "baremetal, vm, container or iot")
      ->check(CLI::IsMember({"baremetal", "vm", "container", "iot"}))
      ->capture_default_str();
  agent_cmd->add_option("--labels", agent.labels, "The node's labels: k=v,k2=v2");
  agent_cmd->add_option("--location", agent.location, "LAT,LON[,PLACE]");
  agent_cmd->add_option("--interval", agent.interval, "Collect every (1s to 1h)")
      ->capture_default_str();
  agent_cmd
      ->add_option("--buffer-dir", agent.buffer_dir,
                   "Where collections wait for the hub, and the credential is kept")
      ->default_str(app::default_buffer_dir());
  agent_cmd
      ->add_option("--buffer-max", agent.buffer_max,
                   "Most disk the buffer takes (the oldest collections go first)")
      ->capture_default_str();
  agent_cmd
      ->add_option("--buffer-sync", agent.buffer_sync,
                   "The longest a collection the hub has not acknowledged waits for its sync to "
                   "disk, which is what a power loss can take (0s: each at once; a kill -9 "
                   "takes nothing either way)")
      ->capture_default_str();
  agent_cmd->add_flag("--once", agent.once, "Collect once and exit");
  agent_cmd->add_flag("--print", agent.print, "Print the collection in Prometheus text to stdout");
  agent_cmd->add_flag("--identity", agent.identity,
                      "Print who this host is, as JSON: what it will register as");
  agent_cmd->add_option("--procfs", agent.procfs, "Where the host's /proc is")
      ->capture_default_str();
  agent_cmd->add_option("--sysfs", agent.sysfs, "Where the host's /sys is")->capture_default_str();
  agent_cmd->add_option("--rootfs", agent.rootfs, "Where the host's / is")->capture_default_str();
  agent_cmd
      ->add_option("--docker-socket", agent.docker_socket,
                   "The container engine's API socket (Podman's: /run/podman/podman.sock)")
      ->capture_default_str();
  agent_cmd->add_option("--textfile-dir", agent.textfile_dir,
                        "Read the *.prom files of this directory (node_exporter's textfile)");
  agent_cmd->add_option("--scripts-dir", agent.scripts_dir,
                        "Run the executables of this directory and read their metrics");
  agent_cmd->add_option(
      "--collectors", agent.collectors,
      "Comma-separated collectors to run (default all: " + app::agent_collector_names() + ")");

  app::SimOptions sim;
  auto* sim_cmd = cli.add_subcommand(
      "sim", "Simulate agents pushing to a hub (a load generator), and print how it keeps up");
  sim_cmd->add_option("--hub", sim.hub, "The hub's URL")->required();
  sim_cmd->add_option("--ca-file", sim.ca_file, "With an https:// hub: the CAs to trust");
  sim_cmd->add_option("--token", sim.token, "Enrolment token (or api/admin API token)")->required();
  sim_cmd->add_option("--agents", sim.agents, "How many agents")->capture_default_str();
  sim_cmd->add_option("--series", sim.series, "Series per agent")->capture_default_str();
  sim_cmd->add_option("--interval", sim.interval, "Each agent's interval")->capture_default_str();
  sim_cmd->add_option("--flap", sim.flap, "Share of agents falling silent each interval (0-1)")
      ->capture_default_str();
  sim_cmd->add_option("--duration", sim.duration, "How long to run (default: until SIGINT)");
  sim_cmd->add_option("--threads", sim.threads, "Sending threads")->capture_default_str();

  auto ctl = ctl::add_commands(cli);

  std::string shell;
  auto* completion_cmd =
      cli.add_subcommand("completion", "Print shell completions for every command and flag");
  completion_cmd->add_option("shell", shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));

  auto* version_cmd = cli.add_subcommand("version", "Print the version");

  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    args = with_config_file(std::move(args), {serve_cmd, agent_cmd});
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    cli.parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    // ctl's usage errors share its exit code for them (ctl/api.h), whatever CLI11 would say.
    return code != 0 && cli.get_subcommand("ctl")->parsed() ? ctl::kUsage : code;
  }

  log::Level level;
  if (log::parse_level(log_level, level)) log::set_level(level);
  try {
    if (*version_cmd) {
      fmt::print("telltale {}\n", TELLTALE_VERSION);
      return 0;
    }
    if (ctl->run) return ctl->run();
    if (*completion_cmd) {
      fmt::print("{}", cli::completion_script(cli, shell));
      return 0;
    }
    if (*serve_cmd) return app::serve(serve);
    if (*agent_cmd) return app::agent(agent);
    if (*sim_cmd) return app::sim(sim);
    if (*user_add) return cli::user_add(data_dir, user_name, role, std::cin);
    if (*token_create) return cli::token_create(data_dir, token_user, token_label, expires);
    if (*backup_cmd) return cli::backup(data_dir, backup_out);
    if (*restore_cmd) return cli::restore(restore_in, data_dir);
    if (*setup_code_cmd) return cli::setup_code(data_dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
