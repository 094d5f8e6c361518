// Test helpers for collect/: samples as a map from `name{label="value",...}` to value, so a
// case reads as the Prometheus text it stands for, and the fixture trees' roots.
#pragma once

#include <map>
#include <string>

#include "collect/collect.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

namespace tt::collect::test {

inline std::string key(const Sample& s) {
  std::string k = s.name;
  if (s.labels.empty()) return k;
  k += '{';
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    k += (i ? "," : "") + s.labels[i].name + "=\"" + s.labels[i].value + '"';
  return k + '}';
}

inline std::map<std::string, double> by_key(const Samples& samples) {
  std::map<std::string, double> m;
  for (const auto& s : samples) m[key(s)] = s.value;
  return m;
}

// Only the samples whose name starts with `prefix`.
inline std::map<std::string, double> by_key(const Samples& samples, const std::string& prefix) {
  std::map<std::string, double> m;
  for (const auto& s : samples)
    if (s.name.starts_with(prefix)) m[key(s)] = s.value;
  return m;
}

inline std::string fixture(const std::string& dir) {
  return std::string(TELLTALE_SOURCE_DIR) + "/tests/fixtures/collect/" + dir;
}

inline Roots fixture_roots() {
  Roots r;
  r.procfs = fixture("proc");
  r.sysfs = fixture("sys");
  r.rootfs = fixture("rootfs");
  r.docker_socket.clear();  // not this machine's engine, if it has one
  return r;
}

}  // namespace tt::collect::test
