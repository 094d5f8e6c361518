// The fields a failed result's error names, in the order it names them (empty when it succeeded).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/result.h"

namespace tt::test {

template <typename T>
std::vector<std::string> fields_of(const Result<T>& r) {
  std::vector<std::string> out;
  if (!r.ok())
    for (const auto& f : r.error().fields) out.push_back(f.field);
  return out;
}

// The same, sorted: for errors whose order says nothing.
template <typename T>
std::vector<std::string> sorted_fields_of(const Result<T>& r) {
  auto out = fields_of(r);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tt::test
