#include "fleet/seqs.h"

#include <algorithm>
#include <charconv>

namespace tt::fleet {

namespace {

std::optional<std::uint64_t> read_number(std::string_view& text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return n;
}

}  // namespace

std::optional<SeqSet> SeqSet::parse(std::uint64_t floor, std::string_view text) {
  SeqSet set(floor);
  std::uint64_t last = floor;
  while (!text.empty()) {
    if (!set.m_ranges.empty()) {
      if (text.front() != ',') return std::nullopt;
      text.remove_prefix(1);
    }
    auto first = read_number(text);
    if (!first || text.empty() || text.front() != '-') return std::nullopt;
    text.remove_prefix(1);
    auto end = read_number(text);
    // Apart from the floor and from each other (last + 1 would have merged), ascending.
    if (!end || *first > *end || *first <= last || *first - last == 1 ||
        set.m_ranges.size() == kMaxRanges)
      return std::nullopt;
    set.m_ranges.emplace_back(*first, *end);
    last = *end;
  }
  return set;
}

bool SeqSet::contains(std::uint64_t seq) const {
  if (seq <= m_floor) return true;
  auto it = std::upper_bound(m_ranges.begin(), m_ranges.end(), seq,
                             [](std::uint64_t s, const auto& r) { return s < r.first; });
  return it != m_ranges.begin() && seq <= std::prev(it)->second;
}

void SeqSet::add(std::uint64_t seq) {
  // The first range starting after seq; the one before it (if any) ends before seq.
  auto next = std::upper_bound(m_ranges.begin(), m_ranges.end(), seq,
                               [](std::uint64_t s, const auto& r) { return s < r.first; });
  const bool joins_prev = next != m_ranges.begin() && std::prev(next)->second + 1 == seq;
  const bool joins_next = next != m_ranges.end() && next->first == seq + 1;
  if (joins_prev && joins_next) {
    std::prev(next)->second = next->second;
    m_ranges.erase(next);
  } else if (joins_prev) {
    std::prev(next)->second = seq;
  } else if (joins_next) {
    next->first = seq;
  } else {
    m_ranges.insert(next, {seq, seq});
  }
  settle();
}

void SeqSet::raise_floor(std::uint64_t floor) {
  if (floor <= m_floor) return;
  m_floor = floor;
  std::erase_if(m_ranges, [floor](const auto& r) { return r.second <= floor; });
  settle();
}

void SeqSet::settle() {
  while (!m_ranges.empty() &&
         (m_ranges.front().first <= m_floor + 1 || m_ranges.size() > kMaxRanges)) {
    m_floor = std::max(m_floor, m_ranges.front().second);
    m_ranges.erase(m_ranges.begin());
  }
}

std::string SeqSet::ranges() const {
  std::string out;
  for (const auto& [first, last] : m_ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    out += '-';
    out += std::to_string(last);
  }
  return out;
}

}  // namespace tt::fleet
