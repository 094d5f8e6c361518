#include "tsdb/head.h"

#include <algorithm>

#include "core/log.h"
#include "tsdb/codec.h"

namespace tt::tsdb {

void merge_samples(std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (b.empty()) return;
  if (a.empty() || b.front().t > a.back().t) {
    a.insert(a.end(), b.begin(), b.end());
    return;
  }
  std::vector<Sample> out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].t < b[j].t)) out.push_back(a[i++]);
    else if (i == a.size() || b[j].t < a[i].t) out.push_back(b[j++]);
    else {
      out.push_back(b[j++]);
      ++i;
    }
  }
  a.swap(out);
}

TimeMs HeadSamples::first_t() const { return m_blocks.empty() ? m_tail.front().t : m_blocks.front().min_t; }

TimeMs HeadSamples::last_t() const { return m_tail.empty() ? m_blocks.back().max_t : m_tail.back().t; }

std::size_t HeadSamples::memory_bytes() const {
  std::size_t n = sizeof(*this) + m_blocks.capacity() * sizeof(Block) + m_tail.capacity() * sizeof(Sample);
  for (const auto& b : m_blocks) n += b.encoded.capacity();
  return n;
}

void HeadSamples::append(const Sample& s) {
  m_tail.push_back(s);
  ++m_size;
  if (m_tail.size() < kBlockSamples) return;
  // A tail left plain by Blocks::defer is encoded in blocks of the usual size too.
  std::size_t at = 0;
  for (; m_tail.size() - at >= kBlockSamples; at += kBlockSamples) {
    std::span<const Sample> block(m_tail.data() + at, kBlockSamples);
    m_blocks.push_back({block.front().t, block.back().t, encode_chunk(block, Effort::fast)});
    m_blocks.back().encoded.shrink_to_fit();
  }
  m_tail.erase(m_tail.begin(), m_tail.begin() + static_cast<std::ptrdiff_t>(at));
  if (m_tail.capacity() > 2 * kBlockSamples) m_tail.shrink_to_fit();  // else 1 KiB a series at most
}

void HeadSamples::merge(std::span<const Sample> samples, Blocks blocks) {
  if (samples.empty()) return;
  if (m_size == 0 || samples.front().t > last_t()) {
    if (blocks == Blocks::defer) {
      m_tail.insert(m_tail.end(), samples.begin(), samples.end());
      m_size += samples.size();
      return;
    }
    for (const auto& s : samples) append(s);
    return;
  }
  // Out of order: rare (late pushes, backfill within the head), so rebuild from plain samples.
  auto all = copy();
  merge_samples(all, std::vector<Sample>(samples.begin(), samples.end()));
  clear();
  if (blocks == Blocks::defer) {
    m_size = all.size();
    m_tail = std::move(all);
    return;
  }
  for (const auto& s : all) append(s);
}

std::vector<Sample> HeadSamples::copy(TimeMs from, TimeMs to) const {
  std::vector<Sample> out;
  auto keep = [&](const Sample& s) { return s.t >= from && s.t <= to; };
  for (const auto& b : m_blocks) {
    if (b.max_t < from || b.min_t > to) continue;
    // Encoded by this process from valid samples: a failure here is a bug, not bad input.
    auto decoded = decode_chunk(b.encoded);
    if (!decoded.ok()) {
      log::error("tsdb: a head block does not decode: {}", decoded.error().message);
      continue;
    }
    for (const auto& s : decoded.value())
      if (keep(s)) out.push_back(s);
  }
  for (const auto& s : m_tail)
    if (keep(s)) out.push_back(s);
  return out;
}

void HeadSamples::clear() {
  std::vector<Block>().swap(m_blocks);
  std::vector<Sample>().swap(m_tail);
  m_size = 0;
}

}  // namespace tt::tsdb
