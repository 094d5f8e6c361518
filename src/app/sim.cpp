#include "app/sim.h"

#include <poll.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/signals.h"
#include "client/link.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/random.h"

namespace tt::app {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct SimAgent {
  std::string name, credential, source;
  std::optional<client::WsLink> link;
  std::uint64_t seq = 0;
  std::int64_t next_ms = 0;                                   // wall time of its next batch
  std::int64_t silent_until = 0;                              // flapping: no batch before this
  std::unordered_map<std::uint64_t, Clock::time_point> sent;  // unacknowledged, by seq
  std::vector<double> values;
};

// Totals and acknowledgement latencies, shared by the threads.
struct Tally {
  std::mutex mutex;
  std::vector<double> latencies_ms;  // since the last report
  std::vector<double> all_ms;
  std::uint64_t sent = 0, acked = 0, nacked = 0, errors = 0, samples = 0;
  void ack(double ms) {
    std::lock_guard lock(mutex);
    ++acked;
    latencies_ms.push_back(ms);
  }
};

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::string compressed_batch(SimAgent& a, std::int64_t at_ms, std::mt19937& rng) {
  std::normal_distribution<double> step(0, 1);
  std::string text;
  text.reserve(a.values.size() * 48);
  for (std::size_t k = 0; k < a.values.size(); ++k) {
    a.values[k] += step(rng);
    text += fmt::format("sim_value_{}{{series=\"{}\"}} {:.2f}\n", k % 10, k, a.values[k]);
  }
  const std::string body = json{{"type", "batch"}, {"time", at_ms}, {"prometheus", text}}.dump();
  std::string out(8 + compressBound(static_cast<uLong>(body.size())), '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(a.seq >> (56 - 8 * i));
  uLongf len = static_cast<uLongf>(out.size() - 8);
  compress2(reinterpret_cast<Bytef*>(out.data() + 8), &len,
            reinterpret_cast<const Bytef*>(body.data()), static_cast<uLong>(body.size()), 6);
  out.resize(8 + len);
  return out;
}

// One thread's agents: each sends at its slot; acknowledgements are read as they come.
void run_agents(std::vector<SimAgent*> agents, const client::ServerUrl& hub,
                std::int64_t interval_ms, double flap, Tally& tally, const std::atomic<bool>& stop,
                const std::atomic<bool>& draining) {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<pollfd> fds;
  while (!stop) {
    const std::int64_t now = wall_ms();
    std::int64_t next = now + 200;
    for (SimAgent* a : agents) {
      if (!a->link) {
        client::WsLinkOptions o;
        o.source = a->source;
        auto link = client::WsLink::connect(hub, "/api/v1/ingest", a->credential, 10s, o);
        if (!link.ok()) {
          std::lock_guard lock(tally.mutex);
          ++tally.errors;
          continue;
        }
        a->link.emplace(std::move(link.value()));
      }
      if (draining || now < a->next_ms) {
        next = std::min(next, a->next_ms);
        continue;
      }
      const std::int64_t slot = a->next_ms;
      a->next_ms += interval_ms;
      if (a->next_ms <= now) a->next_ms = now + interval_ms;  // behind: skip, do not burst
      if (slot < a->silent_until) continue;
      if (flap > 0 && coin(rng) < flap) {
        a->silent_until = slot + 4 * interval_ms;
        continue;
      }
      ++a->seq;
      if (!a->link->send_binary(compressed_batch(*a, slot, rng)).ok()) {
        a->link.reset();
        std::lock_guard lock(tally.mutex);
        ++tally.errors;
        continue;
      }
      a->sent[a->seq] = Clock::now();
      std::lock_guard lock(tally.mutex);
      ++tally.sent;
      tally.samples += a->values.size();
    }
    fds.clear();
    for (SimAgent* a : agents)
      if (a->link) fds.push_back({a->link->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(),
           static_cast<int>(std::clamp<std::int64_t>(next - wall_ms(), 0, 200)));
    for (SimAgent* a : agents) {
      while (a->link) {
        auto message = a->link->receive(0ms);
        if (!message.ok()) {
          a->link.reset();
          std::lock_guard lock(tally.mutex);
          ++tally.errors;
          break;
        }
        if (!*message) break;
        auto answer = json::parse(**message, nullptr, false);
        if (!answer.is_object()) continue;
        const auto seq = answer.value("seq", std::uint64_t{0});
        auto it = a->sent.find(seq);
        if (it == a->sent.end()) continue;
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - it->second).count();
        a->sent.erase(it);
        if (answer.value("type", std::string()) == "ack") {
          tally.ack(ms);
        } else {
          std::lock_guard lock(tally.mutex);
          ++tally.nacked;
        }
      }
    }
  }
}

}  // namespace

int sim(const SimOptions& opt) {
  auto hub = client::parse_server_url(opt.hub);
  if (!hub.ok()) {
    fmt::print(stderr, "telltale sim: --hub {}: {}\n", opt.hub, hub.error().message);
    return 2;
  }
  hub.value().ca_file = opt.ca_file;
  const auto interval_ms = parse_duration_ms(opt.interval);
  const auto duration_ms =
      opt.duration.empty() ? std::optional<std::int64_t>(0) : parse_duration_ms(opt.duration);
  if (!interval_ms || *interval_ms < 100 || !duration_ms || opt.agents < 1 || opt.series < 1 ||
      opt.flap < 0 || opt.flap > 1 || opt.threads < 1) {
    fmt::print(stderr, "telltale sim: bad --interval, --duration, --agents, --series or --flap\n");
    return 2;
  }
  // Loopback hubs see each agent from an address of its own (the hub caps connections per
  // address), as hosts would be.
  const bool spread = hub->host.starts_with("127.");
  const std::string run = random_hex(4);
  std::vector<SimAgent> agents(static_cast<std::size_t>(opt.agents));
  const auto started = Clock::now();
  for (int i = 0; i < opt.agents; ++i) {
    SimAgent& a = agents[static_cast<std::size_t>(i)];
    a.name = fmt::format("sim-{}-{}", run, i);
    a.values.assign(static_cast<std::size_t>(opt.series), 50.0);
    if (spread) a.source = fmt::format("127.1.{}.{}", i / 250, i % 250 + 1);
    const json body{{"identity", "sim:" + a.name},
                    {"name", a.name},
                    {"type", "vm"},
                    {"interval", opt.interval},
                    {"labels", {{"sim", run}}},
                    {"metadata", {{"agent_version", "sim"}}}};
    auto reply = client::post_json(*hub, "/api/v1/agents/register", opt.token, body.dump(), 15s);
    if (!reply.ok() || (reply->status != 200 && reply->status != 201)) {
      fmt::print(stderr, "telltale sim: registering {} failed: {}\n", a.name,
                 reply.ok() ? reply->body : reply.error().message);
      return 1;
    }
    a.credential = json::parse(reply->body)["data"]["credential"].get<std::string>();
    a.next_ms = (wall_ms() / *interval_ms + 1) * *interval_ms + *interval_ms * i / opt.agents;
  }
  fmt::print("registered {} agents in {:.1f} s\n", opt.agents,
             std::chrono::duration<double>(Clock::now() - started).count());
  std::fflush(stdout);

  const StopSignals signals;
  std::atomic<bool> stop{false}, draining{false}, finished{false};
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < opt.threads; ++t) {
    std::vector<SimAgent*> mine;
    for (std::size_t i = static_cast<std::size_t>(t); i < agents.size();
         i += static_cast<std::size_t>(opt.threads))
      mine.push_back(&agents[i]);
    threads.emplace_back(run_agents, std::move(mine), *hub, *interval_ms, opt.flap, std::ref(tally),
                         std::cref(stop), std::cref(draining));
  }
  std::thread waiter([&] {
    while (!finished && !signals.wait_for(std::chrono::milliseconds(200))) {
    }
    draining = true;
  });
  const auto load_start = Clock::now();
  auto last_report = load_start;
  std::uint64_t last_sent = 0, last_acked = 0;
  while (!draining) {
    std::this_thread::sleep_for(200ms);
    const auto now = Clock::now();
    if (*duration_ms > 0 && now - load_start >= std::chrono::milliseconds(*duration_ms))
      draining = true;
    if (now - last_report < 10s && !draining) continue;
    std::lock_guard lock(tally.mutex);
    const double secs = std::chrono::duration<double>(now - last_report).count();
    fmt::print(
        "t={:.0f}s sent={:.1f}/s acked={:.1f}/s samples={:.0f}/s p50={:.1f}ms p99={:.1f}ms "
        "nacked={} errors={}\n",
        std::chrono::duration<double>(now - load_start).count(),
        static_cast<double>(tally.sent - last_sent) / secs,
        static_cast<double>(tally.acked - last_acked) / secs,
        static_cast<double>(tally.sent - last_sent) * opt.series / secs,
        quantile(tally.latencies_ms, 0.5), quantile(tally.latencies_ms, 0.99), tally.nacked,
        tally.errors);
    std::fflush(stdout);
    tally.all_ms.insert(tally.all_ms.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
    tally.latencies_ms.clear();
    last_report = now;
    last_sent = tally.sent;
    last_acked = tally.acked;
  }
  // Draining: nothing more is sent; what is in flight has 10 s to be acknowledged.
  for (int i = 0; i < 50; ++i) {
    {
      std::lock_guard lock(tally.mutex);
      if (tally.acked + tally.nacked >= tally.sent) break;
    }
    std::this_thread::sleep_for(200ms);
  }
  stop = true;
  finished = true;
  for (auto& t : threads) t.join();
  waiter.join();
  std::lock_guard lock(tally.mutex);
  tally.all_ms.insert(tally.all_ms.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
  const double secs = std::chrono::duration<double>(Clock::now() - load_start).count();
  fmt::print("{}\n", json{{"agents", opt.agents},
                          {"series", opt.series},
                          {"interval_ms", *interval_ms},
                          {"seconds", secs},
                          {"sent", tally.sent},
                          {"acked", tally.acked},
                          {"nacked", tally.nacked},
                          {"unacknowledged", tally.sent - tally.acked - tally.nacked},
                          {"errors", tally.errors},
                          {"samples", tally.samples},
                          {"p50_ms", quantile(tally.all_ms, 0.5)},
                          {"p99_ms", quantile(tally.all_ms, 0.99)},
                          {"max_ms", quantile(tally.all_ms, 1.0)}}
                         .dump());
  return tally.sent == tally.acked ? 0 : 1;
}

}  // namespace tt::app
