#include "core/series.h"

#include <atomic>
#include <cstring>

#include "core/varint.h"

namespace tt {

namespace {

// FNV-1a over the labels' hashes: the same for a LabelSet and its packed form.
constexpr std::size_t kTextAt = sizeof(std::uint64_t);  // after the cached id

struct LabelHasher {
  std::size_t h = 0xcbf29ce484222325ull;
  void add(std::string_view name, std::string_view value) {
    std::hash<std::string_view> hs;
    h = (h ^ hs(name)) * 0x100000001b3ull;
    h = (h ^ hs(value)) * 0x100000001b3ull;
  }
};

}  // namespace

PackedLabels::PackedLabels(const LabelSet& sorted) {
  std::string text(kTextAt + sizeof(std::uint32_t), '\0');
  for (const auto& l : sorted) {
    put_varint(text, l.name.size());
    text += l.name;
    put_varint(text, l.value.size());
    text += l.value;
  }
  const auto size = static_cast<std::uint32_t>(text.size() - kTextAt - sizeof(std::uint32_t));
  std::memcpy(text.data() + kTextAt, &size, sizeof size);
  // Words, so that the id is aligned for atomic access.
  auto data = std::make_shared_for_overwrite<std::uint64_t[]>((text.size() + 7) / 8);
  std::memcpy(data.get(), text.data(), text.size());
  m_data = std::move(data);
}

std::string_view PackedLabels::bytes() const {
  if (!m_data) return {};
  const char* p = reinterpret_cast<const char*>(m_data.get()) + kTextAt;
  std::uint32_t size = 0;
  std::memcpy(&size, p, sizeof size);
  return {p + sizeof size, size};
}

std::int64_t PackedLabels::cached_id() const {
  if (!m_data) return 0;
  return static_cast<std::int64_t>(
      std::atomic_ref<std::uint64_t>(m_data[0]).load(std::memory_order_relaxed));
}

void PackedLabels::cache_id(std::int64_t id) const {
  if (m_data)
    std::atomic_ref<std::uint64_t>(m_data[0]).store(static_cast<std::uint64_t>(id),
                                                    std::memory_order_relaxed);
}

std::string_view PackedLabels::take(std::string_view& rest) {
  std::uint64_t n = 0;
  get_varint(rest, n);  // written by the constructor: always whole
  auto s = rest.substr(0, n);
  rest.remove_prefix(n);
  return s;
}

LabelSet PackedLabels::unpack() const {
  LabelSet out;
  for_each([&](std::string_view n, std::string_view v) {
    out.push_back({std::string(n), std::string(v)});
  });
  return out;
}

std::string_view PackedLabels::value_of(std::string_view name) const {
  std::string_view out;
  for_each([&](std::string_view n, std::string_view v) {
    if (n == name) out = v;
  });
  return out;
}

bool PackedLabels::equals(const LabelSet& sorted) const {
  std::size_t i = 0;
  bool same = true;
  for_each([&](std::string_view n, std::string_view v) {
    same = same && i < sorted.size() && sorted[i].name == n && sorted[i].value == v;
    ++i;
  });
  return same && i == sorted.size();
}

std::size_t PackedLabels::memory_bytes() const {
  // The control block (a vtable pointer and two counts) and the words share one allocation,
  // which malloc rounds up to 16 bytes after its own 8.
  if (!m_data) return 0;
  const std::size_t words = (kTextAt + sizeof(std::uint32_t) + bytes().size() + 7) / 8 * 8;
  return (sizeof(void*) + 8 + words + 8 + 15) / 16 * 16;
}

std::size_t hash_labels(const LabelSet& sorted) {
  LabelHasher h;
  for (const auto& l : sorted) h.add(l.name, l.value);
  return h.h;
}

std::size_t hash_labels(const PackedLabels& labels) {
  LabelHasher h;
  labels.for_each([&](std::string_view n, std::string_view v) { h.add(n, v); });
  return h.h;
}

}  // namespace tt
