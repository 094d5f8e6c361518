#include "tsdb/head.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/log.h"
#include "tsdb/bitstream.h"
#include "tsdb/codec.h"
#include "tsdb/merge.h"

namespace tt::tsdb {

void merge_samples(std::vector<Sample>& a, const std::vector<Sample>& b) {
  merge_sorted(
      a, b, [](const Sample& s) { return s.t; }, [](const Sample&, const Sample& s) { return s; });
}

namespace {

// Tag byte: kSameDelta, the value XOR's trailing zero bytes (bits 4-6), its bytes written
// (bits 0-3). Close values share sign, exponent and the top of the mantissa, so the XOR has
// leading zero bytes; small integers and repeats of a few decimals have trailing ones too.
constexpr std::uint8_t kSameDelta = 0x80;

void put_value(std::string& out, std::uint8_t& tag, std::uint64_t x) {
  if (x == 0) return;
  const int trailing = std::countr_zero(x) / 8, leading = std::countl_zero(x) / 8;
  const int n = 8 - trailing - leading;
  tag |= static_cast<std::uint8_t>(trailing << 4 | n);
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>(x >> (8 * (trailing + i))));
}

std::uint64_t get_value(detail::ByteReader& in, std::uint8_t tag) {
  const int trailing = (tag >> 4) & 7, n = tag & 0x0f;
  std::uint64_t x = 0;
  for (int i = 0; i < n; ++i) x |= std::uint64_t{in.byte()} << (8 * (trailing + i));
  return x;
}

// Deltas wrap (two's complement) rather than overflow: any int64 timestamps round-trip.
TimeMs wrapping_sub(TimeMs a, TimeMs b) {
  return static_cast<TimeMs>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
TimeMs wrapping_add(TimeMs a, TimeMs b) {
  return static_cast<TimeMs>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

void SampleTail::push(const Sample& s) {
  const TimeMs delta = m_size == 0 ? s.t : wrapping_sub(s.t, m_last.t);
  std::uint8_t tag = m_size > 1 && delta == m_delta ? kSameDelta : 0;
  const std::size_t at = m_bytes.size();
  m_bytes.push_back(0);  // the tag, known once the value is written
  if (!(tag & kSameDelta))
    detail::put_varint(m_bytes, detail::zigzag(wrapping_sub(delta, m_delta)));
  put_value(m_bytes, tag,
            std::bit_cast<std::uint64_t>(s.v) ^ std::bit_cast<std::uint64_t>(m_last.v));
  m_bytes[at] = static_cast<char>(tag);
  m_delta = m_size == 0 ? 0 : delta;
  m_last = s;
  ++m_size;
}

std::vector<Sample> SampleTail::samples() const {
  std::vector<Sample> out;
  out.reserve(m_size);
  detail::ByteReader in(m_bytes);
  Sample prev{};
  TimeMs delta = 0;
  for (std::uint32_t n = 0; n < m_size; ++n) {
    const std::uint8_t tag = in.byte();
    if (!(tag & kSameDelta)) delta = wrapping_add(delta, detail::unzigzag(in.varint()));
    prev = {wrapping_add(prev.t, delta),
            std::bit_cast<double>(get_value(in, tag) ^ std::bit_cast<std::uint64_t>(prev.v))};
    if (n == 0) delta = 0;  // the first sample's "delta" is its time
    out.push_back(prev);
  }
  return out;
}

Sample SampleTail::front() const {
  detail::ByteReader in(m_bytes);
  const std::uint8_t tag = in.byte();
  const TimeMs t = detail::unzigzag(in.varint());
  return {t, std::bit_cast<double>(get_value(in, tag))};
}

void SampleTail::clear() {
  std::string().swap(m_bytes);
  m_last = {};
  m_delta = 0;
  m_size = 0;
}

TimeMs HeadSamples::first_t() const {
  if (!m_blocks.empty()) return m_blocks.front().min_t;
  return m_runs.empty() ? m_tail.front().t : m_runs.front().front().t;
}

TimeMs HeadSamples::last_t() const {
  if (!m_tail.empty()) return m_tail.back().t;
  return m_runs.empty() ? m_blocks.back().max_t : m_runs.back().back().t;
}

std::size_t HeadSamples::plain_samples() const {
  std::size_t n = m_tail.size();
  for (const auto& r : m_runs) n += r.size();
  return n;
}

std::size_t HeadSamples::memory_bytes() const {
  std::size_t n = sizeof(*this) + m_blocks.capacity() * sizeof(Block) + m_tail.memory_bytes();
  for (const auto& b : m_blocks) n += b.encoded.capacity();
  for (const auto& r : m_runs) n += sizeof(r) + r.capacity() * sizeof(Sample);
  return n;
}

bool HeadSamples::insert_between(std::span<const Sample> samples) {
  if (!m_runs.empty()) return false;
  // The first block after the samples; the one before it must end before them, and whatever
  // follows (that block, else the tail) must start after them.
  auto next = std::upper_bound(m_blocks.begin(), m_blocks.end(), samples.back().t,
                               [](TimeMs t, const Block& b) { return t < b.min_t; });
  if (next != m_blocks.begin() && std::prev(next)->max_t >= samples.front().t) return false;
  const TimeMs after = next != m_blocks.end() ? next->min_t
                       : m_tail.empty()       ? INT64_MIN
                                              : m_tail.front().t;
  if (after <= samples.back().t) return false;
  const auto at = static_cast<std::size_t>(next - m_blocks.begin());
  m_size += static_cast<std::uint32_t>(samples.size());
  // The newest place a run went in front of: the live samples, when a backlog comes in behind.
  m_backlog_front = m_backlog_front == INT64_MAX ? after : std::max(m_backlog_front, after);
  // A backlog comes a few samples an append. They gather in one block kept plain, encoded once
  // it holds a block's worth: encoded blocks of a few samples would cost tens of bytes a sample,
  // and re-encoding a block at each append the CPU of many.
  if (m_plain_block == kNoBlock || m_plain_block + 1 != at) {
    seal_plain_block();
    m_blocks.insert(m_blocks.begin() + static_cast<std::ptrdiff_t>(at),
                    Block{samples.front().t, samples.front().t, {}});
    m_plain_block = static_cast<std::uint32_t>(at);
  }
  Block& block = m_blocks[m_plain_block];
  block.encoded.append(reinterpret_cast<const char*>(samples.data()), samples.size_bytes());
  block.max_t = samples.back().t;
  if (block.encoded.size() >= kBlockSamples * sizeof(Sample)) seal_plain_block();
  return true;
}

void HeadSamples::seal_plain_block() {
  if (m_plain_block == kNoBlock) return;
  Block& block = m_blocks[m_plain_block];
  block.encoded = encode_chunk(samples_of(m_plain_block), Effort::fast);
  block.encoded.shrink_to_fit();
  m_plain_block = kNoBlock;
}

std::vector<Sample> HeadSamples::samples_of(std::size_t block) const {
  const std::string& bytes = m_blocks[block].encoded;
  if (m_plain_block == block) {
    std::vector<Sample> out(bytes.size() / sizeof(Sample));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(Sample));
    return out;
  }
  // Encoded by this process from valid samples: a failure here is a bug, not bad input.
  auto decoded = decode_chunk(bytes);
  if (!decoded.ok()) {
    log::error("tsdb: a head block does not decode: {}", decoded.error().message);
    return {};
  }
  return std::move(decoded.value());
}

void HeadSamples::append(const Sample& s) {
  m_tail.push(s);
  ++m_size;
  // Behind deferred runs the tail grows too: blocks must precede the runs in time.
  if (m_tail.size() < kBlockSamples || !m_runs.empty()) return;
  m_blocks.push_back(
      {m_tail.front().t, m_tail.back().t, encode_chunk(m_tail.samples(), Effort::fast)});
  m_blocks.back().encoded.shrink_to_fit();
  m_tail.clear();
}

void HeadSamples::merge(std::span<const Sample> samples, Blocks blocks) {
  if (samples.empty()) return;
  if (blocks == Blocks::defer)
    return merge(std::vector<Sample>(samples.begin(), samples.end()), blocks);
  if (m_size == 0 || samples.front().t > last_t()) {
    for (const auto& s : samples) append(s);
    return;
  }
  if (insert_between(samples)) return;
  // Out of order and overlapping: rare (late pushes into a block), so rebuild from plain samples.
  auto all = copy();
  merge_samples(all, std::vector<Sample>(samples.begin(), samples.end()));
  clear();
  for (const auto& s : all) append(s);
}

void HeadSamples::merge(std::vector<Sample>&& samples, Blocks blocks) {
  if (samples.empty()) return;
  if (blocks == Blocks::encode) return merge(std::span<const Sample>(samples), blocks);
  if (m_size != 0 && samples.front().t <= last_t()) {  // out of order: one run of everything
    auto all = copy();
    merge_samples(all, samples);
    clear();
    samples = std::move(all);
  }
  if (!m_tail.empty()) {
    m_runs.push_back(m_tail.samples());
    m_tail.clear();
  }
  m_size += static_cast<std::uint32_t>(samples.size());
  m_runs.push_back(std::move(samples));
}

std::vector<Sample> HeadSamples::copy(TimeMs from, TimeMs to) const {
  std::vector<Sample> out;
  auto keep = [&](const Sample& s) { return s.t >= from && s.t <= to; };
  for (std::size_t i = 0; i < m_blocks.size(); ++i) {
    if (m_blocks[i].max_t < from || m_blocks[i].min_t > to) continue;
    for (const auto& s : samples_of(i))
      if (keep(s)) out.push_back(s);
  }
  for (const auto& r : m_runs) {
    if (r.back().t < from || r.front().t > to) continue;
    for (const auto& s : r)
      if (keep(s)) out.push_back(s);
  }
  if (!m_tail.empty() && m_tail.back().t >= from)
    for (const auto& s : m_tail.samples())
      if (keep(s)) out.push_back(s);
  return out;
}

void HeadSamples::clear() {
  std::vector<Block>().swap(m_blocks);
  std::vector<std::vector<Sample>>().swap(m_runs);
  m_tail.clear();
  m_size = 0;
  m_backlog_front = INT64_MAX;
  m_plain_block = kNoBlock;
}

}  // namespace tt::tsdb
