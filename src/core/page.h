// core/page.h — pagination shared by every list: page numbers from 1, bounded page sizes.
#pragma once

#include <cstdint>
#include <vector>

namespace tt {

struct PageRequest {
  static constexpr int kMaxPerPage = 500;
  int page = 1;       // 1-based
  int per_page = 50;  // 1..kMaxPerPage
  std::int64_t offset() const { return static_cast<std::int64_t>(page - 1) * per_page; }
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
  PageRequest request;
};

}  // namespace tt
