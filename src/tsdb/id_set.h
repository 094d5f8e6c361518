// tsdb/id_set.h — the series index's ids by the hash of their labels: open addressing with
// linear probing, 8 bytes a slot (the id and 32 bits of the hash), at most three quarters full.
// Probes compare labels only where those 32 bits match, and growing needs no hashing. A
// std::unordered_set took about 40 bytes a series (a node of next pointer, id and cached hash,
// and its bucket); this takes 11 to 22, 16 on average. Not thread-safe: SeriesIndex locks
// around it.
#pragma once

#include <cstdint>
#include <vector>

namespace tt::tsdb {

class IdSet {
 public:
  using Id = std::int64_t;  // 1 to 2^32 - 1: ids are assigned in turn from 1

  // The id in the set whose hash is `hash` and for which same(id) holds; 0 when none.
  template <class Same>
  Id find(std::size_t hash, Same&& same) const {
    if (m_slots.empty()) return 0;
    const std::uint32_t h = fold(hash);
    for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
      const std::uint64_t slot = m_slots[i];
      if (slot == 0) return 0;
      if (slot >> 32 == h && same(static_cast<Id>(slot & 0xffffffffu)))
        return static_cast<Id>(slot & 0xffffffffu);
    }
  }
  // Adds `id`, which is not in the set.
  void insert(std::size_t hash, Id id) {
    if ((m_size + 1) * 4 > m_slots.size() * 3) grow();
    place(static_cast<std::uint64_t>(fold(hash)) << 32 | static_cast<std::uint32_t>(id));
    ++m_size;
  }
  // Removes `id`, added with `hash`; nothing when it is not there.
  void erase(std::size_t hash, Id id) {
    if (m_slots.empty()) return;
    const std::uint64_t want =
        static_cast<std::uint64_t>(fold(hash)) << 32 | static_cast<std::uint32_t>(id);
    std::size_t i = home(want);
    for (; m_slots[i] != want; i = (i + 1) & mask())
      if (m_slots[i] == 0) return;
    // Backward shift: each later slot of the run moves into the hole unless its home lies
    // cyclically after the hole (then it is already as near its home as it can be).
    for (std::size_t j = (i + 1) & mask(); m_slots[j] != 0; j = (j + 1) & mask()) {
      const std::size_t k = home(m_slots[j]);
      if (((j - k) & mask()) >= ((j - i) & mask())) {
        m_slots[i] = m_slots[j];
        i = j;
      }
    }
    m_slots[i] = 0;
    --m_size;
  }
  std::size_t size() const { return m_size; }
  std::size_t memory_bytes() const { return m_slots.capacity() * sizeof(std::uint64_t); }

 private:
  static std::uint32_t fold(std::size_t hash) {
    return static_cast<std::uint32_t>(hash ^ (static_cast<std::uint64_t>(hash) >> 32));
  }
  std::size_t mask() const { return m_slots.size() - 1; }
  std::size_t home(std::uint64_t slot) const { return (slot >> 32) & mask(); }
  void place(std::uint64_t slot) {
    std::size_t i = home(slot);
    while (m_slots[i] != 0) i = (i + 1) & mask();
    m_slots[i] = slot;
  }
  void grow() {
    std::vector<std::uint64_t> old(m_slots.empty() ? 16 : m_slots.size() * 2, 0);
    old.swap(m_slots);
    for (std::uint64_t slot : old)
      if (slot != 0) place(slot);
  }

  std::vector<std::uint64_t> m_slots;  // 0: empty; a power of two long
  std::size_t m_size = 0;
};

}  // namespace tt::tsdb
