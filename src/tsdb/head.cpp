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

// Returns where the bytes written end.
char* put_value(char* out, std::uint8_t& tag, std::uint64_t x) {
  if (x == 0) return out;
  const int trailing = std::countr_zero(x) / 8, leading = std::countl_zero(x) / 8;
  const int n = 8 - trailing - leading;
  tag |= static_cast<std::uint8_t>(trailing << 4 | n);
  for (int i = 0; i < n; ++i) *out++ = static_cast<char>(x >> (8 * (trailing + i)));
  return out;
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
  char coded[1 + kMaxVarintBytes + 8];  // the tag, the varint, the value's bytes
  char* end = coded + 1;
  if (!(tag & kSameDelta))
    end = detail::put_varint(end, detail::zigzag(wrapping_sub(delta, m_delta)));
  end = put_value(end, tag,
                  std::bit_cast<std::uint64_t>(s.v) ^ std::bit_cast<std::uint64_t>(m_last.v));
  coded[0] = static_cast<char>(tag);
  const auto n = static_cast<std::uint32_t>(end - coded);
  if (m_used + n > m_capacity) {
    const std::uint32_t capacity = std::max({32u, 2 * m_capacity, m_used + n});
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (m_used > 0) std::memcpy(grown.get(), m_bytes.get(), m_used);
    m_bytes = std::move(grown);
    m_capacity = capacity;
  }
  std::memcpy(m_bytes.get() + m_used, coded, n);
  m_used += n;
  m_delta = m_size == 0 ? 0 : delta;
  m_last = s;
  ++m_size;
}

std::vector<Sample> SampleTail::samples() const {
  std::vector<Sample> out;
  out.reserve(m_size);
  detail::ByteReader in(bytes());
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
  detail::ByteReader in(bytes());
  const std::uint8_t tag = in.byte();
  const TimeMs t = detail::unzigzag(in.varint());
  return {t, std::bit_cast<double>(get_value(in, tag))};
}

void SampleTail::clear() {
  m_bytes.reset();
  m_used = m_capacity = 0;
  m_last = {};
  m_delta = 0;
  m_size = 0;
}

const HeadSamples::Rare& HeadSamples::rare() const {
  static const Rare none;
  return m_rare ? *m_rare : none;
}

HeadSamples::Rare& HeadSamples::rare_mut() {
  if (!m_rare) m_rare = std::make_unique<Rare>();
  return *m_rare;
}

TimeMs HeadSamples::first_t() const {
  TimeMs t = 0;
  if (m_disk)
    t = m_disk_first_t;
  else if (!blocks().empty())
    t = blocks().front().min_t;
  else
    t = rare().runs.empty() ? m_tail.front().t : rare().runs.front().front().t;
  return rare().late.empty() ? t : std::min(t, rare().late.front().t);
}

TimeMs HeadSamples::last_t() const {
  if (!m_tail.empty()) return m_tail.back().t;
  if (!rare().runs.empty()) return rare().runs.back().back().t;
  return blocks().empty() ? m_disk_last_t : blocks().back().max_t;
}

std::size_t HeadSamples::plain_samples() const {
  std::size_t n = m_tail.size() + rare().late.size();
  for (const auto& r : rare().runs) n += r.size();
  return n;
}

std::size_t HeadSamples::memory_bytes() const {
  std::size_t n = sizeof(*this) + m_tail.memory_bytes();
  if (!m_rare) return n;
  n += sizeof(Rare) + m_rare->blocks.capacity() * sizeof(Block) +
       m_rare->late.capacity() * sizeof(Sample);
  for (const auto& b : m_rare->blocks) n += b.encoded.capacity();
  for (const auto& r : m_rare->runs) n += sizeof(r) + r.capacity() * sizeof(Sample);
  return n;
}

bool HeadSamples::insert_between(std::span<const Sample> samples) {
  if (!rare().runs.empty()) return false;
  Rare& r = rare_mut();
  auto& held = r.blocks;
  // The first block after the samples; the one before it must end before them, and whatever
  // follows (that block, else the tail) must start after them. The blocks on disk end before
  // them (set_aside_late).
  auto next = std::upper_bound(held.begin(), held.end(), samples.back().t,
                               [](TimeMs t, const Block& b) { return t < b.min_t; });
  if (next != held.begin() && std::prev(next)->max_t >= samples.front().t) return false;
  const TimeMs after = next != held.end() ? next->min_t
                       : m_tail.empty()   ? INT64_MIN
                                          : m_tail.front().t;
  if (after <= samples.back().t) return false;
  const auto at = static_cast<std::size_t>(next - held.begin());
  m_size += static_cast<std::uint32_t>(samples.size());
  // The newest place a run went in front of: the live samples, when a backlog comes in behind.
  r.backlog_front = r.backlog_front == INT64_MAX ? after : std::max(r.backlog_front, after);
  // A backlog comes a few samples an append. They gather in one block kept plain, encoded once
  // it holds a block's worth: encoded blocks of a few samples would cost tens of bytes a sample,
  // and re-encoding a block at each append the CPU of many.
  if (r.plain_block == kNoBlock || r.plain_block + 1 != at) {
    seal_plain_block();
    held.insert(held.begin() + static_cast<std::ptrdiff_t>(at),
                Block{samples.front().t, samples.front().t, {}});
    r.plain_block = static_cast<std::uint32_t>(at);
  }
  Block& block = held[r.plain_block];
  block.encoded.append(reinterpret_cast<const char*>(samples.data()), samples.size_bytes());
  block.max_t = samples.back().t;
  if (block.encoded.size() >= kBlockSamples * sizeof(Sample)) seal_plain_block();
  return true;
}

void HeadSamples::seal_plain_block() {
  if (!m_rare || m_rare->plain_block == kNoBlock) return;
  Block& block = m_rare->blocks[m_rare->plain_block];
  block.encoded = encode_chunk(samples_of(m_rare->plain_block), Effort::fast);
  block.encoded.shrink_to_fit();
  m_rare->plain_block = kNoBlock;
}

std::vector<Sample> HeadSamples::samples_of(std::size_t block) const {
  const std::string& bytes = blocks()[block].encoded;
  if (rare().plain_block == block) {
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

bool HeadSamples::write_block(BlockFile& disk, TimeMs min_t, TimeMs max_t,
                              const std::string& encoded) {
  auto ref = disk.write(encoded, m_disk);
  if (!ref.ok()) return false;
  if (!m_disk) m_disk_first_t = min_t;
  m_disk = ref.value();
  m_disk_last_t = max_t;
  return true;
}

void HeadSamples::seal_tail() {
  const Sample first = m_tail.front(), last = m_tail.back();
  std::string encoded = encode_chunk(m_tail.samples(), Effort::fast);
  m_tail.clear();
  encoded.shrink_to_fit();
  rare_mut().blocks.push_back({first.t, last.t, std::move(encoded)});
}

bool HeadSamples::spill(BlockFile& disk, bool newest_too) {
  // Behind a backlog the next samples may go between the blocks held (and only a backlog makes
  // a plain block); deferred runs are cut at the next pass anyway.
  if (m_rare && (!m_rare->runs.empty() || m_rare->backlog_front != INT64_MAX)) return false;
  if (newest_too && !m_tail.empty()) seal_tail();
  if (!m_rare) return false;
  auto& held = m_rare->blocks;
  std::size_t written = 0;
  for (; written < held.size(); ++written)
    if (!write_block(disk, held[written].min_t, held[written].max_t, held[written].encoded)) break;
  // What could not be written stays, after what was: the order holds.
  held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(written));
  drop_rare_if_unused();
  return written > 0;
}

void HeadSamples::drop_rare_if_unused() {
  if (m_rare && m_rare->blocks.empty() && m_rare->runs.empty() && m_rare->late.empty() &&
      m_rare->backlog_front == INT64_MAX)
    m_rare.reset();
}

void HeadSamples::append(const Sample& s) {
  m_tail.push(s);
  ++m_size;
  // Behind deferred runs the tail grows too: blocks must precede the runs in time.
  if (m_tail.size() >= kBlockSamples && rare().runs.empty()) seal_tail();
}

std::span<const Sample> HeadSamples::set_aside_late(std::span<const Sample> samples, bool due) {
  if (!m_disk || samples.front().t > m_disk_last_t) return samples;
  auto split = first_after(samples.begin(), samples.end(), m_disk_last_t);
  m_size += static_cast<std::uint32_t>(split - samples.begin());
  Rare& r = rare_mut();
  merge_samples(r.late, std::vector<Sample>(samples.begin(), split));
  r.late_due = r.late_due || due;
  // Older than every block on disk: a backlog replayed behind live samples that filled a block
  // before it came. Its cut leaves the live samples in the head, as for insert_between's.
  if (std::prev(split)->t < m_disk_first_t)
    r.backlog_front =
        std::max(r.backlog_front == INT64_MAX ? INT64_MIN : r.backlog_front, m_disk_first_t);
  return {split, samples.end()};
}

void HeadSamples::merge(std::span<const Sample> samples, Blocks blocks) {
  if (samples.empty()) return;
  if (blocks == Blocks::defer)
    return merge(std::vector<Sample>(samples.begin(), samples.end()), blocks);
  if (m_size == 0 || samples.front().t > last_t()) {
    for (const auto& s : samples) append(s);
    return;
  }
  samples = set_aside_late(samples, false);
  if (samples.empty() || insert_between(samples)) return;
  // Out of order and overlapping: rare (late pushes into a block), so rebuild what is in memory
  // from plain samples.
  auto all = take_memory();
  merge_samples(all, std::vector<Sample>(samples.begin(), samples.end()));
  for (const auto& s : all) append(s);
}

void HeadSamples::merge(std::vector<Sample>&& samples, Blocks blocks) {
  if (samples.empty()) return;
  if (blocks == Blocks::encode) return merge(std::span<const Sample>(samples), blocks);
  const auto rest = set_aside_late(samples, true).size();
  samples.erase(samples.begin(), samples.end() - static_cast<std::ptrdiff_t>(rest));
  if (samples.empty()) return;
  if (m_size != 0 && samples.front().t <= last_t()) {  // out of order: one run of everything
    auto all = take_memory();
    merge_samples(all, samples);
    samples = std::move(all);
  }
  if (!m_tail.empty()) {
    rare_mut().runs.push_back(m_tail.samples());
    m_tail.clear();
  }
  m_size += static_cast<std::uint32_t>(samples.size());
  rare_mut().runs.push_back(std::move(samples));
}

std::vector<Sample> HeadSamples::take_memory() {
  std::vector<Sample> out;
  for (std::size_t i = 0; i < blocks().size(); ++i) {
    auto block = samples_of(i);
    out.insert(out.end(), block.begin(), block.end());
  }
  for (const auto& r : rare().runs) out.insert(out.end(), r.begin(), r.end());
  if (!m_tail.empty()) {
    auto tail = m_tail.samples();
    out.insert(out.end(), tail.begin(), tail.end());
  }
  clear_memory();
  m_size -= static_cast<std::uint32_t>(out.size());  // what stays is on disk or set aside
  return out;
}

Result<void> HeadSamples::read_disk(const BlockFile& disk, TimeMs from, TimeMs to,
                                    std::vector<Sample>& out) const {
  // Newest first, along the chain, until a block starts at or before `from`.
  std::vector<std::vector<Sample>> blocks;
  for (BlockRef ref = m_disk; ref;) {
    BlockRef prev;
    auto bytes = TT_TRY(disk.read(ref, prev));
    auto samples = TT_TRY(decode_chunk(bytes));
    if (samples.empty()) break;
    const bool last = samples.front().t <= from;
    std::erase_if(samples, [&](const Sample& s) { return s.t < from || s.t > to; });
    if (!samples.empty()) blocks.push_back(std::move(samples));
    if (last) break;
    ref = prev;
  }
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
    out.insert(out.end(), it->begin(), it->end());
  return {};
}

Result<std::vector<Sample>> HeadSamples::copy(const BlockFile* disk, TimeMs from, TimeMs to) const {
  std::vector<Sample> out;
  auto keep = [&](const Sample& s) { return s.t >= from && s.t <= to; };
  if (m_disk && m_disk_last_t >= from && m_disk_first_t <= to) {
    if (!disk) return Error::make(ErrorKind::internal, "INTERNAL", "a head's blocks are on disk");
    TT_TRY(read_disk(*disk, from, to, out));
  }
  for (std::size_t i = 0; i < blocks().size(); ++i) {
    if (blocks()[i].max_t < from || blocks()[i].min_t > to) continue;
    for (const auto& s : samples_of(i))
      if (keep(s)) out.push_back(s);
  }
  for (const auto& r : rare().runs) {
    if (r.back().t < from || r.front().t > to) continue;
    for (const auto& s : r)
      if (keep(s)) out.push_back(s);
  }
  if (!m_tail.empty() && m_tail.back().t >= from)
    for (const auto& s : m_tail.samples())
      if (keep(s)) out.push_back(s);
  if (!rare().late.empty()) {
    std::vector<Sample> late;
    for (const auto& s : rare().late)
      if (keep(s)) late.push_back(s);
    merge_samples(out, late);
  }
  return out;
}

void HeadSamples::clear_memory() {
  m_tail.clear();
  if (!m_rare) return;
  std::vector<Block>().swap(m_rare->blocks);
  std::vector<std::vector<Sample>>().swap(m_rare->runs);
  m_rare->plain_block = kNoBlock;
}

void HeadSamples::clear() {
  clear_memory();
  m_rare.reset();
  m_disk = {};
  m_disk_first_t = m_disk_last_t = 0;
  m_size = 0;
}

}  // namespace tt::tsdb
