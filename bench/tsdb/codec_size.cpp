// Measures the chunk codec on three synthetic monitoring classes: bytes per sample, encode and
// decode speed. Optionally writes the same samples as VictoriaMetrics /api/v1/import JSON lines
// so run.sh can compare storage sizes. Deterministic for a given seed and start time.
//
// usage: codec_size [--start-ms T] [--out-dir DIR] [--prom-dir DIR] [--scale F]
//   --out-dir: <class>.jsonl for VM's /api/v1/import; --prom-dir: <class>.prom, Prometheus text
//   with millisecond timestamps (what bench/tsdb/run.sh sends to both servers)
//   classes: ping (1 s, 3-decimal RTTs), counter (10 s octet counters), gauge (15 s mixed gauges)
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "tsdb/codec.h"

using tt::Sample;

namespace {

// splitmix64: portable, deterministic across standard libraries.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : m_s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  std::int64_t int_in(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  bool chance(double p) { return uniform() < p; }

 private:
  std::uint64_t m_s;
};

struct Series {
  std::string labels;  // JSON object body for VM import
  std::string prom;    // the same series in Prometheus text: name{label="value"}
  std::vector<Sample> samples;
};

constexpr std::int64_t kDayMs = 86'400'000;

double round_to(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;  // the double a parser gives for the printed decimal
}

// Timestamps on a fixed grid with scheduling jitter that does not accumulate.
std::int64_t jittered(Rng& r, std::int64_t grid_ms, std::int64_t small_ms, std::int64_t late_ms) {
  std::int64_t j = r.int_in(0, small_ms);
  if (r.chance(0.01)) j += r.int_in(0, late_ms);
  return grid_ms + j;
}

std::vector<Series> gen_ping(std::int64_t start, int n_series, std::uint64_t seed) {
  std::vector<Series> out;
  for (int s = 0; s < n_series; ++s) {
    Rng r(seed * 1000 + s);
    Series ser;
    ser.labels = "\"__name__\":\"ping_rtt_ms\",\"target\":\"host" + std::to_string(s) + "\"";
    ser.prom = "ping_rtt_ms{target=\"host" + std::to_string(s) + "\"}";
    const double base = std::exp(r.uniform(std::log(0.3), std::log(80.0)));
    const double noise = r.uniform(0.01, 0.05);
    for (std::int64_t i = 0; i * 1000 < kDayMs; ++i) {
      double v = base * (1 + noise * std::fabs(r.normal()));
      if (r.chance(0.01)) v += r.uniform(0, 3 * base);
      ser.samples.push_back({jittered(r, start + i * 1000, 4, 40), round_to(v, 3)});
    }
    out.push_back(std::move(ser));
  }
  return out;
}

std::vector<Series> gen_counter(std::int64_t start, int n_series, std::uint64_t seed) {
  std::vector<Series> out;
  for (int s = 0; s < n_series; ++s) {
    Rng r(seed * 1000 + s);
    Series ser;
    ser.labels = "\"__name__\":\"if_in_octets\",\"if\":\"" + std::to_string(s) + "\"";
    ser.prom = "if_in_octets{if=\"" + std::to_string(s) + "\"}";
    const double rate = std::exp(r.uniform(std::log(1e2), std::log(1e6)));  // bytes/s
    const double phase = r.uniform(0, 6.283185307179586);
    const bool wraps32 = r.chance(0.5);
    double c = wraps32 ? r.uniform(0, 4294967296.0) : r.uniform(0, 1e12);
    if (!wraps32 && r.chance(0.1)) c += 9007199254740992.0;  // beyond 2^53
    c = std::floor(c);
    const std::int64_t reset_at = r.chance(0.3) ? r.int_in(0, 8639) : -1;
    for (std::int64_t i = 0; i * 10'000 < kDayMs; ++i) {
      const double diurnal = 1 + 0.5 * std::sin(phase + 6.283185307179586 * i / 8640.0);
      c += std::round(rate * 10 * diurnal * std::exp(0.4 * r.normal()));
      if (wraps32 && c >= 4294967296.0) c -= 4294967296.0;
      if (i == reset_at) c = 0;
      ser.samples.push_back({jittered(r, start + i * 10'000, 9, 200), c});
    }
    out.push_back(std::move(ser));
  }
  return out;
}

std::vector<Series> gen_gauge(std::int64_t start, int n_series, std::uint64_t seed) {
  std::vector<Series> out;
  for (int s = 0; s < n_series; ++s) {
    Rng r(seed * 1000 + s);
    Series ser;
    const int kind = s % 10;  // 0-2 temperature, 3-4 cpu %, 5-6 disk %, 7-8 constant, 9 status
    static const char* kNames[] = {"temp_c",   "temp_c",   "temp_c",   "cpu_pct", "cpu_pct",
                                   "disk_pct", "disk_pct", "if_speed", "up",      "oper_status"};
    ser.labels =
        std::string("\"__name__\":\"") + kNames[kind] + "\",\"id\":\"" + std::to_string(s) + "\"";
    ser.prom = std::string(kNames[kind]) + "{id=\"" + std::to_string(s) + "\"}";
    double x = kind <= 2 ? r.uniform(20, 70) : kind <= 4 ? r.uniform(3, 60) : r.uniform(5, 95);
    const double target = x;
    const double konst = kind == 7 ? 1e9 : 1;
    double status = 1;
    for (std::int64_t i = 0; i * 15'000 < kDayMs; ++i) {
      double v;
      if (kind <= 2) {
        x += 0.03 * r.normal() + 0.002 * (target - x);
        v = round_to(x, 1);
      } else if (kind <= 4) {
        v = std::round(std::clamp(x + 4 * r.normal(), 0.0, 100.0));
      } else if (kind <= 6) {
        x = std::min(100.0, x + 0.0005 + 0.002 * r.normal());
        v = round_to(x, 2);
      } else if (kind <= 8) {
        v = konst;
      } else {
        if (r.chance(0.002)) status = status == 1 ? 2 : 1;
        v = status;
      }
      ser.samples.push_back({jittered(r, start + i * 15'000, 9, 200), v});
    }
    out.push_back(std::move(ser));
  }
  return out;
}

// Cuts a series into chunks the way the store will: kTargetChunkSamples or kTargetChunkSpanMs.
std::vector<std::span<const Sample>> chunks_of(const std::vector<Sample>& s) {
  std::vector<std::span<const Sample>> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    while (j < s.size() && j - i < tt::tsdb::kTargetChunkSamples &&
           s[j].t - s[i].t < tt::tsdb::kTargetChunkSpanMs)
      ++j;
    out.emplace_back(s.data() + i, j - i);
    i = j;
  }
  return out;
}

void write_vm_import(const std::vector<Series>& all, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  char buf[64];
  for (const auto& ser : all) {
    f << "{\"metric\":{" << ser.labels << "},\"values\":[";
    for (std::size_t i = 0; i < ser.samples.size(); ++i) {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ser.samples[i].v);
      f << (i ? "," : "") << std::string_view(buf, end - buf);
    }
    f << "],\"timestamps\":[";
    for (std::size_t i = 0; i < ser.samples.size(); ++i) f << (i ? "," : "") << ser.samples[i].t;
    f << "]}\n";
  }
}

// Prometheus text exposition with millisecond timestamps, series of one metric name together
// (OpenMetrics wants each family contiguous); values printed shortest-round-trip.
void write_prom_text(const std::vector<Series>& all, const std::string& path) {
  std::vector<const Series*> order;
  for (const auto& ser : all) order.push_back(&ser);
  std::stable_sort(order.begin(), order.end(), [](const Series* a, const Series* b) {
    return a->prom.substr(0, a->prom.find('{')) < b->prom.substr(0, b->prom.find('{'));
  });
  std::ofstream f(path, std::ios::binary);
  char buf[64];
  std::string line;
  for (const Series* ser : order)
    for (const auto& smp : ser->samples) {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, smp.v);
      line.assign(ser->prom)
          .append(" ")
          .append(buf, end)
          .append(" ")
          .append(std::to_string(smp.t))
          .append("\n");
      f << line;
    }
}

// CPU time of this thread, so a busy machine does not distort the speeds much.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t start = 0;
  std::string out_dir, prom_dir;
  double scale = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--start-ms" && i + 1 < argc)
      start = std::stoll(argv[++i]);
    else if (a == "--out-dir" && i + 1 < argc)
      out_dir = argv[++i];
    else if (a == "--prom-dir" && i + 1 < argc)
      prom_dir = argv[++i];
    else if (a == "--scale" && i + 1 < argc)
      scale = std::stod(argv[++i]);
  }
  if (start == 0) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    start = (now - 2 * kDayMs) / 3'600'000 * 3'600'000;
  }
  struct Class {
    const char* name;
    std::vector<Series> data;
  };
  const auto n = [&](int base) { return std::max(1, static_cast<int>(base * scale)); };
  Class classes[] = {{"ping", gen_ping(start, n(40), 1)},
                     {"counter", gen_counter(start, n(400), 2)},
                     {"gauge", gen_gauge(start, n(600), 3)}};
  std::printf("%-8s %9s %8s %9s %10s %10s\n", "class", "samples", "chunks", "B/sample", "enc Ms/s",
              "dec Ms/s");
  for (auto& c : classes) {
    std::vector<std::string> blobs;
    std::size_t samples = 0, bytes = 0;
    double t = cpu_seconds();
    for (const auto& ser : c.data)
      for (auto ch : chunks_of(ser.samples)) {
        blobs.push_back(tt::tsdb::encode_chunk(ch));
        samples += ch.size();
        bytes += blobs.back().size();
      }
    const double enc_s = cpu_seconds() - t;
    // Verify every chunk round-trips bit-exactly, then time decoding.
    std::size_t b = 0;
    for (const auto& ser : c.data)
      for (auto ch : chunks_of(ser.samples)) {
        auto r = tt::tsdb::decode_chunk(blobs[b++]);
        bool same = r.ok() && r->size() == ch.size();
        for (std::size_t i = 0; same && i < ch.size(); ++i)
          same = (*r)[i].t == ch[i].t && std::memcmp(&(*r)[i].v, &ch[i].v, sizeof(double)) == 0;
        if (!same) {
          std::fprintf(stderr, "round trip FAILED in class %s\n", c.name);
          return 1;
        }
      }
    std::size_t decoded = 0;
    int reps = 0;
    t = cpu_seconds();
    double dec_s = 0;
    do {
      for (const auto& blob : blobs) decoded += tt::tsdb::decode_chunk(blob)->size();
      ++reps;
      dec_s = cpu_seconds() - t;
    } while (dec_s < 1.0);
    std::printf("%-8s %9zu %8zu %9.4f %10.1f %10.1f\n", c.name, samples, blobs.size(),
                static_cast<double>(bytes) / samples, samples / enc_s / 1e6, decoded / dec_s / 1e6);
    if (!out_dir.empty()) write_vm_import(c.data, out_dir + "/" + c.name + ".jsonl");
    if (!prom_dir.empty()) write_prom_text(c.data, prom_dir + "/" + c.name + ".prom");
  }
  return 0;
}
