// tsdb/dense_table.h — values by series id. Ids are assigned in turn, so a table of fixed pages
// indexed by id costs each series its value alone (a hash map's node and bucket cost 40 bytes
// more, at tens of thousands of series megabytes), keeps references valid as it grows and never
// copies its values to grow. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tt::tsdb {

template <class T>
class DenseTable {
 public:
  static constexpr std::size_t kPage = 1024;

  // The value of `id` (>= 0), default-constructed (with the rest of its page) on first use.
  T& operator[](std::int64_t id) {
    const auto i = static_cast<std::size_t>(id);
    if (i / kPage >= m_pages.size()) m_pages.resize(i / kPage + 1);
    auto& page = m_pages[i / kPage];
    if (!page) page = std::make_unique<T[]>(kPage);
    return page[i % kPage];
  }
  // nullptr when no value of its page was ever used.
  const T* find(std::int64_t id) const {
    const auto i = static_cast<std::size_t>(id);
    if (id < 0 || i / kPage >= m_pages.size() || !m_pages[i / kPage]) return nullptr;
    return &m_pages[i / kPage][i % kPage];
  }
  // f(id, value) for every value of the pages in use, in id order.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t p = 0; p < m_pages.size(); ++p)
      if (m_pages[p])
        for (std::size_t i = 0; i < kPage; ++i)
          f(static_cast<std::int64_t>(p * kPage + i), m_pages[p][i]);
  }
  std::size_t memory_bytes() const {
    std::size_t n = m_pages.capacity() * sizeof(m_pages[0]);
    for (const auto& page : m_pages)
      if (page) n += kPage * sizeof(T);
    return n;
  }

 private:
  std::vector<std::unique_ptr<T[]>> m_pages;
};

}  // namespace tt::tsdb
