// Chunk codec, format version 1. All multi-byte integers are LEB128 varints unless stated;
// "zz" means zigzag-mapped. A blob is:
//
//   u8  version            = 1
//   u8  modes              = ts_mode | value_mode << 2   (other bits zero)
//   varint count           n, 0 <= n <= kMaxChunkSamples
//   zz varint t0           if n >= 1: first timestamp (ms)
//   varint span            if n >= 2: last - first timestamp (ms), >= 1
//   timestamp section      if ts_mode == 1 (only when n >= 3): varint length, then an IntSeq of
//                          the n-2 inner grid residuals x_i = t_i - t0 - i*step, i in [1, n-2],
//                          step = round(span / (n-1)). ts_mode == 0: every x_i is 0 (regular).
//   value section          to the end of the blob (n >= 1):
//     value_mode 0 (const):   u64le the bit pattern shared by every value
//     value_mode 1 (decimal): u8 k (0..18); varint e; e exceptions (varint index gap, u64le bits);
//                             IntSeq of n mantissas m_i, value = double(m_i) / 10^k unless the
//                             index is an exception (then its bits; its mantissa is filler)
//     value_mode 2 (raw):     IntSeq of the n bit patterns as int64
//
// IntSeq (a sequence of m int64, wrapping arithmetic):
//   u8 order | center << 2     order 0: y_i = d_i; 1: y_i = y_{i-1} + d_i; 2: y_i = y_{i-1} +
//                              e_i, e_i = e_{i-1} + d_i (y_{-1} = e_{-1} = 0).
//                              center 0: d_i = (unzz(u_i) + base) << shift;
//                              center 1: d_i = (u_i + base) << shift.
//   u8 shift (0..63), zz varint base
//   code table: varint first token, varint span K; K == 1: that token only, zero code bits;
//               K >= 2: ceil(K/2) bytes of 4-bit code lengths (low nibble first, 0 = unused)
//               forming a complete prefix code of at most 11 bits; codes are canonical
//               Huffman (shorter first, then by token), sent bit-reversed.
//   bit stream (LSB first) to the section end, zero-padded to a byte: m values u_i as tokens,
//   each code followed by its extra bits. Tokens 0..15: u = token. Tokens 16..135: u of bit
//   width w in 5..64, token = 16 + 2*(w-5) + (bit w-2 of u), extra = the low w-2 bits. Tokens
//   136..155 (j = token - 135): a run of 2^j + extra (j bits) values u = 0.
//
// The encoder tries every order and centering and keeps the smallest; decimal mode takes the k
// that trades exceptions against mantissa digits best, and raw mode is kept if smaller.
#include "tsdb/codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "tsdb/bitstream.h"

namespace tt::tsdb {

namespace {

using detail::BitWriter;
using detail::ByteReader;
using detail::put_u64le;
using detail::put_varint;
using detail::unzigzag;
using detail::zigzag;

constexpr std::uint8_t kFormatVersion = 1;
constexpr unsigned kMaxDecimalExp = 18;
constexpr unsigned kMaxCodeLen = 11;

// Token alphabet.
constexpr unsigned kLiteralTokens = 16;
constexpr unsigned kSubBits = 1;  // bits below the top bit that a value token carries
constexpr unsigned kValueTokens = kLiteralTokens + (60 << kSubBits);  // widths 5..64
constexpr unsigned kRunTokens = 20;                                   // runs of 2^1 .. 2^21-1 zeros
constexpr unsigned kNumTokens = kValueTokens + kRunTokens;
constexpr unsigned kMinRun = 2;

struct TokenInfo {
  std::uint64_t base;  // value token: u without extra bits; run token: run length without extra
  std::uint8_t extra;  // number of extra bits
};

constexpr std::array<TokenInfo, kNumTokens> make_token_info() {
  std::array<TokenInfo, kNumTokens> t{};
  for (unsigned i = 0; i < kLiteralTokens; ++i) t[i] = {i, 0};
  for (unsigned w = 5; w <= 64; ++w)
    for (unsigned sub = 0; sub < (1u << kSubBits); ++sub)
      t[kLiteralTokens + ((w - 5) << kSubBits) + sub] = {
          std::uint64_t{(1u << kSubBits) | sub} << (w - 1 - kSubBits),
          static_cast<std::uint8_t>(w - 1 - kSubBits)};
  for (unsigned j = 1; j <= kRunTokens; ++j)
    t[kValueTokens + j - 1] = {std::uint64_t{1} << j, static_cast<std::uint8_t>(j)};
  return t;
}
constexpr auto kTokenInfo = make_token_info();

inline unsigned value_token(std::uint64_t u) {
  if (u < kLiteralTokens) return static_cast<unsigned>(u);
  const unsigned w = static_cast<unsigned>(std::bit_width(u));
  return kLiteralTokens + ((w - 5) << kSubBits) +
         static_cast<unsigned>((u >> (w - 1 - kSubBits)) & ((1u << kSubBits) - 1));
}
inline unsigned run_token(std::uint64_t len) {  // len >= 2
  return kValueTokens + static_cast<unsigned>(std::bit_width(len)) - 2;
}

constexpr std::array<double, kMaxDecimalExp + 1> make_pow10() {
  std::array<double, kMaxDecimalExp + 1> p{};
  double v = 1;
  for (auto& x : p) {
    x = v;
    v *= 10;
  }
  return p;
}
constexpr auto kPow10 = make_pow10();

Error corrupt(std::string_view what) {
  return Error::make(ErrorKind::internal, std::string(kChunkCorrupt),
                     "chunk blob is corrupt: " + std::string(what));
}

std::uint64_t bits_of(double v) { return std::bit_cast<std::uint64_t>(v); }

// ---- Huffman -------------------------------------------------------------------------------

// Code lengths (<= kMaxCodeLen) for the used symbols of `freq`; 0 for unused ones. With a
// single used symbol its length is 0 (it costs no bits).
void build_code_lengths(const std::array<std::uint32_t, kNumTokens>& freq_in,
                        std::array<std::uint8_t, kNumTokens>& len) {
  len.fill(0);
  std::array<std::uint64_t, kNumTokens> freq{};
  unsigned used = 0;
  for (unsigned i = 0; i < kNumTokens; ++i) {
    freq[i] = freq_in[i];
    used += freq[i] != 0;
  }
  if (used <= 1) return;
  // Encoders try several candidate tables per block, so this runs often: fixed storage, no heap.
  std::array<int, 2 * kNumTokens> parent;
  std::array<int, kNumTokens> leaf_of;
  using Item = std::pair<std::uint64_t, int>;  // weight, node; a min-heap by weight
  std::array<Item, kNumTokens> heap;
  for (;;) {
    int nodes = 0;
    std::size_t size = 0;
    for (unsigned i = 0; i < kNumTokens; ++i) {
      if (!freq[i]) continue;
      leaf_of[i] = nodes;
      parent[nodes] = -1;
      heap[size++] = {freq[i], nodes++};
    }
    const auto by_weight = [](const Item& a, const Item& b) { return a > b; };
    std::make_heap(heap.begin(), heap.begin() + size, by_weight);
    auto pop = [&] {
      std::pop_heap(heap.begin(), heap.begin() + size, by_weight);
      return heap[--size];
    };
    while (size > 1) {
      const Item a = pop();
      const Item b = pop();
      const int id = nodes++;
      parent[id] = -1;
      parent[a.second] = id;
      parent[b.second] = id;
      heap[size++] = {a.first + b.first, id};
      std::push_heap(heap.begin(), heap.begin() + size, by_weight);
    }
    unsigned max_len = 0;
    for (unsigned i = 0; i < kNumTokens; ++i) {
      if (!freq[i]) continue;
      unsigned d = 0;
      for (int n = leaf_of[i]; parent[n] >= 0; n = parent[n]) ++d;
      len[i] = static_cast<std::uint8_t>(std::min(d, 255u));
      max_len = std::max(max_len, d);
    }
    if (max_len <= kMaxCodeLen) return;
    for (auto& f : freq)
      if (f) f = (f + 1) / 2;  // flatten and retry; converges to a balanced tree (depth <= 9)
  }
}

// Canonical codes, bit-reversed for LSB-first emission.
void canonical_codes(const std::array<std::uint8_t, kNumTokens>& len,
                     std::array<std::uint16_t, kNumTokens>& code) {
  std::array<unsigned, kMaxCodeLen + 2> count{};
  for (auto l : len) ++count[l];
  count[0] = 0;
  std::array<unsigned, kMaxCodeLen + 2> next{};
  unsigned c = 0;
  for (unsigned l = 1; l <= kMaxCodeLen; ++l) {
    c = (c + count[l - 1]) << 1;
    next[l] = c;
  }
  for (unsigned s = 0; s < kNumTokens; ++s) {
    const unsigned l = len[s];
    code[s] = 0;
    if (!l) continue;
    const unsigned v = next[l]++;
    unsigned r = 0;
    for (unsigned b = 0; b < l; ++b) r |= ((v >> b) & 1u) << (l - 1 - b);
    code[s] = static_cast<std::uint16_t>(r);
  }
}

// The token range a code table covers: first used token and count up to the last used one.
struct TableSpan {
  unsigned first = 0, count = 0;
};
TableSpan table_span(const std::array<std::uint32_t, kNumTokens>& freq) {
  unsigned lo = kNumTokens, hi = 0;
  for (unsigned i = 0; i < kNumTokens; ++i)
    if (freq[i]) {
      lo = std::min(lo, i);
      hi = i;
    }
  if (lo == kNumTokens) return {0, 1};  // no tokens at all (m == 0): a dummy single-token table
  return {lo, hi - lo + 1};
}

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_code_table(std::string& out, TableSpan span,
                    const std::array<std::uint8_t, kNumTokens>& len) {
  put_varint(out, span.first);
  put_varint(out, span.count);
  if (span.count < 2) return;
  for (unsigned i = 0; i < span.count; i += 2) {
    const unsigned lo = len[span.first + i];
    const unsigned hi = i + 1 < span.count ? len[span.first + i + 1] : 0;
    out.push_back(static_cast<char>(lo | (hi << 4)));
  }
}

struct DecodeEntry {
  std::uint16_t sym;
  std::uint8_t len;
  std::uint8_t extra;
};

struct DecodeTable {
  unsigned bits = 0;  // lookup width (max code length); entries[0, 2^bits) are valid
  std::array<DecodeEntry, std::size_t{1} << kMaxCodeLen> entries;
};

bool read_code_table(ByteReader& in, DecodeTable& t) {
  const std::uint64_t first = in.varint();
  const std::uint64_t count = in.varint();
  if (!in.ok() || count == 0 || first >= kNumTokens || count > kNumTokens - first) return false;
  if (count == 1) {
    t.bits = 0;
    t.entries[0] = {static_cast<std::uint16_t>(first), 0, kTokenInfo[first].extra};
    return true;
  }
  std::array<std::uint8_t, kNumTokens> len{};
  unsigned max_len = 0;
  for (unsigned i = 0; i < count; i += 2) {
    const std::uint8_t b = in.byte();
    len[first + i] = b & 0x0f;
    const bool last_odd = i + 1 == count;
    if (last_odd && (b >> 4)) return false;  // the unused high nibble must be zero
    if (!last_odd) len[first + i + 1] = b >> 4;
  }
  if (!in.ok()) return false;
  std::uint64_t kraft = 0;  // in units of 2^-kMaxCodeLen
  for (unsigned s = 0; s < kNumTokens; ++s) {
    if (len[s] > kMaxCodeLen) return false;
    if (len[s]) {
      kraft += std::uint64_t{1} << (kMaxCodeLen - len[s]);
      max_len = std::max<unsigned>(max_len, len[s]);
    }
  }
  if (kraft != (std::uint64_t{1} << kMaxCodeLen)) return false;  // incomplete or oversubscribed
  std::array<std::uint16_t, kNumTokens> code{};
  canonical_codes(len, code);
  t.bits = max_len;
  const std::size_t size = std::size_t{1} << max_len;
  for (unsigned s = 0; s < kNumTokens; ++s) {
    if (!len[s]) continue;
    for (std::size_t i = code[s]; i < size; i += std::size_t{1} << len[s])
      t.entries[i] = {static_cast<std::uint16_t>(s), len[s], kTokenInfo[s].extra};
  }
  return true;
}

// ---- IntSeq --------------------------------------------------------------------------------

// Residuals (before centering) of `y` for a difference order, wrapping.
void differences(std::span<const std::int64_t> y, unsigned order, std::vector<std::uint64_t>& d) {
  d.resize(y.size());
  std::uint64_t prev = 0, prevd = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const auto v = static_cast<std::uint64_t>(y[i]);
    if (order == 0) {
      d[i] = v;
    } else if (order == 1) {
      d[i] = v - prev;
    } else {
      const std::uint64_t dd = v - prev;
      d[i] = dd - prevd;
      prevd = dd;
    }
    prev = v;
  }
}

struct SeqPlan {
  unsigned order = 0, center = 0, shift = 0;
  std::int64_t base = 0;
  std::size_t bytes = 0;
};

// Calls on_token(token, extra_bits) for each token coding `u`.
template <typename F>
void tokenize(const std::vector<std::uint64_t>& u, F&& on_token) {
  const std::size_t m = u.size();
  for (std::size_t i = 0; i < m;) {
    if (u[i] == 0) {
      std::size_t j = i + 1;
      while (j < m && u[j] == 0) ++j;
      std::size_t run = j - i;
      i = j;
      while (run >= kMinRun) {
        const std::size_t piece =
            std::min<std::size_t>(run, (std::size_t{1} << (kRunTokens + 1)) - 1);
        const unsigned t = run_token(piece);
        on_token(t, piece - kTokenInfo[t].base);
        run -= piece;
      }
      for (; run > 0; --run) on_token(0u, 0u);
      continue;
    }
    const unsigned t = value_token(u[i]);
    on_token(t, u[i] - kTokenInfo[t].base);
    ++i;
  }
}

void centered(const std::vector<std::uint64_t>& r, unsigned center, std::int64_t base,
              std::vector<std::uint64_t>& u) {
  u.resize(r.size());
  const auto b = static_cast<std::uint64_t>(base);
  if (center == 0)
    for (std::size_t i = 0; i < r.size(); ++i) u[i] = zigzag(static_cast<std::int64_t>(r[i] - b));
  else
    for (std::size_t i = 0; i < r.size(); ++i) u[i] = r[i] - b;
}

// Encodes y as an IntSeq, choosing the order and centering that give the fewest bytes
// (thorough: a Huffman table per candidate), or (fast) the order whose residuals around their
// median have the fewest significant bits, centred on the median, with one table.
void encode_int_seq(std::span<const std::int64_t> y, std::string& out, Effort effort) {
  std::vector<std::uint64_t> r, sorted, u;
  SeqPlan best;
  best.bytes = SIZE_MAX;
  for (unsigned order = 0; order <= 2; ++order) {
    differences(y, order, r);
    std::uint64_t all = 0;
    for (auto v : r) all |= v;
    const unsigned shift = all ? static_cast<unsigned>(std::countr_zero(all)) : 0;
    for (auto& v : r) v = static_cast<std::uint64_t>(static_cast<std::int64_t>(v) >> shift);
    // Bases from the residuals past the seeds (the first `order` residuals are outliers).
    sorted.assign(r.begin() + std::min<std::size_t>(order, r.size()), r.end());
    std::int64_t median = 0, low = 0;
    if (!sorted.empty()) {
      auto as_signed = [](std::uint64_t a, std::uint64_t b) {
        return static_cast<std::int64_t>(a) < static_cast<std::int64_t>(b);
      };
      const auto mid = sorted.begin() + sorted.size() / 2;
      std::nth_element(sorted.begin(), mid, sorted.end(), as_signed);
      median = static_cast<std::int64_t>(*mid);
      // The low quantile is among the smaller half the median left in front of it; below 256
      // residuals it is the smallest. The same value as a selection over all of them, for less.
      const auto low_at = sorted.begin() + sorted.size() / 256;
      if (low_at == sorted.begin()) {
        low = static_cast<std::int64_t>(*std::min_element(sorted.begin(), mid + 1, as_signed));
      } else {
        std::nth_element(sorted.begin(), low_at, mid, as_signed);
        low = static_cast<std::int64_t>(*low_at);
      }
    }
    for (unsigned center = 0; center <= 1; ++center) {
      const std::int64_t base = center == 0 ? median : low;
      centered(r, center, base, u);
      std::array<std::uint32_t, kNumTokens> freq{};
      std::uint64_t extra_bits = 0, tokens = 0;
      tokenize(u, [&](unsigned t, std::uint64_t) {
        ++freq[t];
        ++tokens;
        extra_bits += kTokenInfo[t].extra;
      });
      std::uint64_t bits = extra_bits;
      if (effort ==
          Effort::fast) {  // the entropy of the tokens: what a Huffman code nearly reaches
        double h = 0;
        for (unsigned t = 0; t < kNumTokens; ++t)
          if (freq[t]) h += freq[t] * std::log2(static_cast<double>(tokens) / freq[t]);
        bits += static_cast<std::uint64_t>(h);
      } else {
        std::array<std::uint8_t, kNumTokens> len;
        build_code_lengths(freq, len);
        for (unsigned t = 0; t < kNumTokens; ++t) bits += std::uint64_t{freq[t]} * len[t];
      }
      const TableSpan span = table_span(freq);
      const std::size_t bytes = 2 + varint_size(zigzag(base)) + varint_size(span.first) +
                                varint_size(span.count) +
                                (span.count >= 2 ? (span.count + 1) / 2 : 0) + (bits + 7) / 8;
      if (bytes < best.bytes) best = {order, center, shift, base, bytes};
    }
  }
  differences(y, best.order, r);
  for (auto& v : r) v = static_cast<std::uint64_t>(static_cast<std::int64_t>(v) >> best.shift);
  centered(r, best.center, best.base, u);
  std::array<std::uint32_t, kNumTokens> freq{};
  tokenize(u, [&](unsigned t, std::uint64_t) { ++freq[t]; });
  std::array<std::uint8_t, kNumTokens> len;
  build_code_lengths(freq, len);
  std::array<std::uint16_t, kNumTokens> code;
  canonical_codes(len, code);
  out.push_back(static_cast<char>(best.order | (best.center << 2)));
  out.push_back(static_cast<char>(best.shift));
  put_varint(out, zigzag(best.base));
  const TableSpan span = table_span(freq);
  put_code_table(out, span, len);
  BitWriter w(out);
  tokenize(u, [&](unsigned t, std::uint64_t extra) {
    w.put(code[t], len[t]);
    w.put(extra, kTokenInfo[t].extra);
  });
  w.finish();
}

// IntSeq decoder. Reads a copy of the bit stream padded with kPadBytes zero bytes so the
// branchless 8-byte refill loads never leave it (see decode_body for the bound). The hot loop
// keeps all state in locals (stores to the output could otherwise alias members).
constexpr std::size_t kPadBytes = 32;

inline std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

class IntSeqReader {
 public:
  // Parses the header and code table of an IntSeq filling `section`. False if malformed.
  bool open(std::string_view section) {
    ByteReader in(section);
    const std::uint8_t mode = in.byte();
    const std::uint8_t shift = in.byte();
    m_base = static_cast<std::uint64_t>(unzigzag(in.varint()));
    if (!in.ok() || (mode & 3) > 2 || (mode >> 3) != 0 || shift > 63) return false;
    m_order = mode & 3;
    m_offset = (mode >> 2) & 1;
    m_shift = shift;
    if (!read_code_table(in, m_table)) return false;
    m_bits = in.rest();
    return true;
  }

  // Decodes exactly m values into out[0, m). False if the stream is corrupt, truncated or has
  // anything but zero padding after the last value.
  bool read_all(std::int64_t* out, std::size_t m) const {
    const auto data = std::make_unique_for_overwrite<unsigned char[]>(m_bits.size() + kPadBytes);
    std::memcpy(data.get(), m_bits.data(), m_bits.size());
    std::memset(data.get() + m_bits.size(), 0, kPadBytes);
    switch (m_order * 2 + (m_offset ? 1 : 0)) {
      case 0:
        return decode_body<0, false>(data.get(), out, m);
      case 1:
        return decode_body<0, true>(data.get(), out, m);
      case 2:
        return decode_body<1, false>(data.get(), out, m);
      case 3:
        return decode_body<1, true>(data.get(), out, m);
      case 4:
        return decode_body<2, false>(data.get(), out, m);
      default:
        return decode_body<2, true>(data.get(), out, m);
    }
  }

 private:
  template <unsigned kOrder, bool kOffset>
  bool decode_body(const unsigned char* data, std::int64_t* out, std::size_t m) const {
    const std::size_t size = m_bits.size();
    const DecodeEntry* entries = m_table.entries.data();
    const std::uint64_t mask = (std::uint64_t{1} << m_table.bits) - 1;
    const std::uint64_t base = m_base;
    const unsigned shift = m_shift;
    const unsigned char* p = data;
    std::uint64_t buf = 0;
    unsigned count = 0;  // valid bits in buf
    std::uint64_t prev = 0, prevd = 0;
    std::size_t i = 0;
    const auto refill = [&] {
      buf |= load_le64(p) << count;
      p += (63 - count) >> 3;
      count |= 56;
    };
    const auto consume = [&](unsigned n) {
      buf >>= n;
      count -= n;
    };
    const auto emit = [&](std::uint64_t u) {
      const std::uint64_t r = (kOffset ? u : static_cast<std::uint64_t>(unzigzag(u))) + base;
      const std::uint64_t d = r << shift;
      if constexpr (kOrder == 0) {
        out[i] = static_cast<std::int64_t>(d);
      } else if constexpr (kOrder == 1) {
        prev += d;
        out[i] = static_cast<std::int64_t>(prev);
      } else {
        prevd += d;
        prev += prevd;
        out[i] = static_cast<std::int64_t>(prev);
      }
      ++i;
    };
    while (i < m) {
      // Past the real data: truncated or corrupt. The check keeps p <= data + size + 8 here,
      // so the refills below (at most three, advancing <= 7 bytes each) stay in the padding.
      if (static_cast<std::size_t>(p - data) * 8 - count > size * 8) return false;
      refill();
      const DecodeEntry e = entries[buf & mask];
      std::uint64_t extra;
      const unsigned total = e.len + e.extra;
      if (total <= 56) [[likely]] {
        extra = (buf >> e.len) & ((std::uint64_t{1} << e.extra) - 1);
        consume(total);
      } else {  // extra bits of a value >= 2^45: take them in two steps
        consume(e.len);
        refill();
        extra = buf & 0xffffffffu;
        consume(32);
        refill();
        const unsigned rest = e.extra - 32;
        extra |= (buf & ((std::uint64_t{1} << rest) - 1)) << 32;
        consume(rest);
      }
      if (e.sym < kValueTokens) [[likely]] {
        emit(kTokenInfo[e.sym].base | extra);
      } else {
        const std::uint64_t run = kTokenInfo[e.sym].base | extra;
        if (run > m - i) return false;
        for (std::uint64_t k = 0; k < run; ++k) emit(0);
      }
    }
    const std::size_t consumed = static_cast<std::size_t>(p - data) * 8 - count;
    if (consumed > size * 8 || size * 8 - consumed >= 8) return false;
    return consumed == size * 8 || (data[size - 1] >> (consumed & 7)) == 0;
  }

  DecodeTable m_table;
  std::uint64_t m_base = 0;
  unsigned m_shift = 0, m_order = 0;
  bool m_offset = false;
  std::string_view m_bits;  // borrowed from the blob
};

// ---- Values --------------------------------------------------------------------------------

enum class TsMode : std::uint8_t { regular = 0, residuals = 1 };
enum class ValueMode : std::uint8_t { constant = 0, decimal = 1, raw = 2 };

inline double decimal_value(std::int64_t m, unsigned k) {
  return static_cast<double>(m) / kPow10[k];
}

// The mantissa m with decimal_value(m, k) bit-identical to v, if there is one in int64 range.
bool to_mantissa(double v, unsigned k, std::int64_t& m) {
  const double s = v * kPow10[k];
  if (!(std::fabs(s) < 9.2e18)) return false;  // also rejects NaN and Inf
  m = static_cast<std::int64_t>(std::nearbyint(s));
  return bits_of(decimal_value(m, k)) == bits_of(v);
}

// Smallest k such that v == m / 10^k bit-exactly for an integer m, or -1.
int min_decimal_exp(double v) {
  std::int64_t m;
  for (unsigned k = 0; k <= kMaxDecimalExp; ++k)
    if (to_mantissa(v, k, m)) return static_cast<int>(k);
  return -1;
}

// Appends the decimal value section, or returns false if decimal mode does not fit.
bool encode_decimal(std::span<const Sample> s, std::string& out, Effort effort,
                    std::size_t& n_exceptions, unsigned& exp) {
  const std::size_t n = s.size();
  std::vector<int> ks(n);
  std::array<std::size_t, kMaxDecimalExp + 2> hist{};  // hist[k + 1], hist[0] = not decimal
  for (std::size_t i = 0; i < n; ++i) {
    ks[i] = min_decimal_exp(s[i].v);
    ++hist[static_cast<std::size_t>(ks[i] + 1)];
  }
  // Pick k trading exceptions (~9 bytes each) against wider mantissas (~3.3 bits per digit).
  double best_cost = 1e300;
  int best_k = -1;
  std::size_t within = 0;
  for (unsigned k = 0; k <= kMaxDecimalExp; ++k) {
    within += hist[k + 1];
    if (within == 0) continue;
    const double cost =
        static_cast<double>(n - within) * 72.0 + static_cast<double>(within) * 3.3 * k;
    if (cost < best_cost) {
      best_cost = cost;
      best_k = static_cast<int>(k);
    }
  }
  if (best_k < 0) return false;
  const auto k = static_cast<unsigned>(best_k);
  std::vector<std::int64_t> mant(n);
  std::vector<std::size_t> exceptions;
  std::int64_t prev = 0;
  bool have_prev = false;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t m = 0;
    const bool ok = ks[i] >= 0 && static_cast<unsigned>(ks[i]) <= k && to_mantissa(s[i].v, k, m);
    if (ok) {
      if (!have_prev) {  // leading exceptions take the first mantissa as filler
        for (auto e : exceptions) mant[e] = m;
        have_prev = true;
      }
      prev = m;
      mant[i] = m;
    } else {
      exceptions.push_back(i);
      mant[i] = prev;
    }
  }
  if (!have_prev) return false;
  n_exceptions = exceptions.size();
  exp = k;
  out.push_back(static_cast<char>(k));
  put_varint(out, exceptions.size());
  std::size_t last = 0;
  for (std::size_t j = 0; j < exceptions.size(); ++j) {
    put_varint(out, j == 0 ? exceptions[j] : exceptions[j] - last - 1);
    last = exceptions[j];
    put_u64le(out, bits_of(s[exceptions[j]].v));
  }
  encode_int_seq(mant, out, effort);
  return true;
}

void encode_raw(std::span<const Sample> s, std::string& out, Effort effort) {
  std::vector<std::int64_t> y(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) y[i] = static_cast<std::int64_t>(bits_of(s[i].v));
  encode_int_seq(y, out, effort);
}

std::uint64_t grid_step(std::uint64_t span, std::size_t n) {  // n >= 3: round(span / (n-1))
  const std::uint64_t d = n - 1;
  return span / d + ((span % d) * 2 >= d ? 1 : 0);
}

struct Header {
  TsMode ts_mode = TsMode::regular;
  ValueMode value_mode = ValueMode::constant;
  std::uint32_t count = 0;
  std::int64_t t0 = 0;
  std::uint64_t span = 0;
};

Result<Header> read_header(ByteReader& in) {
  Header h;
  if (in.byte() != kFormatVersion || !in.ok()) return corrupt("unknown format version");
  const std::uint8_t modes = in.byte();
  const std::uint64_t count = in.varint();
  if (!in.ok()) return corrupt("truncated header");
  if ((modes & 3) > 1 || ((modes >> 2) & 3) > 2 || (modes >> 4)) return corrupt("unknown mode");
  h.ts_mode = static_cast<TsMode>(modes & 3);
  h.value_mode = static_cast<ValueMode>((modes >> 2) & 3);
  if (count > kMaxChunkSamples) return corrupt("sample count too large");
  h.count = static_cast<std::uint32_t>(count);
  if (count >= 1) h.t0 = unzigzag(in.varint());
  if (count >= 2) {
    h.span = in.varint();
    const std::uint64_t room =
        static_cast<std::uint64_t>(INT64_MAX) - static_cast<std::uint64_t>(h.t0);
    if (h.span == 0 || h.span > room || h.span < count - 1) return corrupt("bad time span");
  }
  if (!in.ok()) return corrupt("truncated header");
  if (count < 3 && h.ts_mode != TsMode::regular) return corrupt("unexpected timestamp section");
  if (count == 0 && modes != 0) return corrupt("modes on an empty chunk");
  return h;
}

}  // namespace

std::string encode_chunk(std::span<const Sample> samples, Effort effort) {
  const std::size_t n = samples.size();
  assert(n <= kMaxChunkSamples);
  assert(std::adjacent_find(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
           return a.t >= b.t;
         }) == samples.end());
  std::string out;
  out.reserve(32 + n);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(0);  // modes, patched below
  put_varint(out, n);
  if (n == 0) return out;
  const std::int64_t t0 = samples[0].t;
  put_varint(out, zigzag(t0));
  std::uint8_t modes = 0;
  if (n >= 2) {
    const std::uint64_t span =
        static_cast<std::uint64_t>(samples[n - 1].t) - static_cast<std::uint64_t>(t0);
    put_varint(out, span);
    if (n >= 3) {
      const std::uint64_t step = grid_step(span, n);
      std::vector<std::int64_t> x(n - 2);
      bool regular = true;
      for (std::size_t i = 1; i + 1 < n; ++i) {
        x[i - 1] = static_cast<std::int64_t>(static_cast<std::uint64_t>(samples[i].t) -
                                             static_cast<std::uint64_t>(t0) - i * step);
        regular = regular && x[i - 1] == 0;
      }
      if (!regular) {
        modes |= static_cast<std::uint8_t>(TsMode::residuals);
        std::string section;
        encode_int_seq(x, section, effort);
        put_varint(out, section.size());
        out += section;
      }
    }
  }
  const std::uint64_t first_bits = bits_of(samples[0].v);
  bool constant = true;
  for (const auto& s : samples) constant = constant && bits_of(s.v) == first_bits;
  if (constant) {
    put_u64le(out, first_bits);
  } else {
    // Decimal mode unless the raw bit patterns are smaller; raw is only tried when decimal
    // needs many digits or exceptions (else it cannot win: the encoder is the slow side).
    std::string dec, raw;
    std::size_t n_exceptions = 0;
    unsigned k = 0;
    const bool decimal = encode_decimal(samples, dec, effort, n_exceptions, k);
    if (!decimal || k > 9 || n_exceptions * 16 > n) encode_raw(samples, raw, effort);
    if (decimal && (raw.empty() || dec.size() <= raw.size())) {
      modes |= static_cast<std::uint8_t>(ValueMode::decimal) << 2;
      out += dec;
    } else {
      modes |= static_cast<std::uint8_t>(ValueMode::raw) << 2;
      out += raw;
    }
  }
  out[1] = static_cast<char>(modes);
  return out;
}

Result<ChunkInfo> chunk_info(std::string_view blob) {
  ByteReader in(blob);
  auto h = read_header(in);
  if (!h.ok()) return std::move(h).error();
  if (h->count == 0) return ChunkInfo{0, 0, 0};
  return ChunkInfo{h->count, h->t0,
                   static_cast<TimeMs>(static_cast<std::uint64_t>(h->t0) + h->span)};
}

Result<std::vector<Sample>> decode_chunk(std::string_view blob) {
  ByteReader in(blob);
  auto hr = read_header(in);
  if (!hr.ok()) return std::move(hr).error();
  const Header h = *hr;
  const std::size_t n = h.count;
  std::vector<Sample> out(n);
  if (n == 0) {
    if (!in.at_end()) return corrupt("trailing bytes");
    return out;
  }
  // Open the sections: timestamps, then values (which run to the end of the blob).
  std::optional<IntSeqReader> ts;
  if (h.ts_mode == TsMode::residuals) {
    const std::string_view section = in.bytes(in.varint());
    if (!in.ok() || !ts.emplace().open(section)) return corrupt("bad timestamp section");
  }
  std::optional<IntSeqReader> vs;
  unsigned k = 0;  // decimal mode: value = mantissa / 10^k
  std::vector<std::pair<std::size_t, std::uint64_t>> exceptions;
  if (h.value_mode == ValueMode::constant) {
    const double v = std::bit_cast<double>(in.u64le());
    if (!in.ok()) return corrupt("bad constant value");
    for (auto& s : out) s.v = v;
  } else {
    if (h.value_mode == ValueMode::decimal) {
      k = in.byte();
      const std::uint64_t n_exc = in.varint();
      if (!in.ok() || k > kMaxDecimalExp || n_exc > n) return corrupt("bad decimal header");
      exceptions.reserve(n_exc);
      std::uint64_t pos = 0;
      for (std::uint64_t j = 0; j < n_exc; ++j) {
        const std::uint64_t gap = in.varint();
        const std::uint64_t bits = in.u64le();
        if (!in.ok() || gap >= n - pos) return corrupt("bad exception");
        pos += gap;
        exceptions.emplace_back(pos, bits);
        ++pos;
      }
    }
    if (!vs.emplace().open(in.rest())) return corrupt("bad value section");
  }
  // Timestamps: t_i = t0 + i*step + x_i for the inner ones, the last one from the header.
  const auto scratch = std::make_unique_for_overwrite<std::int64_t[]>(n);
  const auto t0 = static_cast<std::uint64_t>(h.t0);
  out[0].t = h.t0;
  if (n >= 3) {
    if (ts && !ts->read_all(scratch.get(), n - 2)) return corrupt("bad timestamp section");
    const std::uint64_t step = grid_step(h.span, n);
    std::uint64_t grid = t0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
      grid += step;
      out[i].t = static_cast<TimeMs>(grid + (ts ? static_cast<std::uint64_t>(scratch[i - 1]) : 0));
    }
  }
  if (n >= 2) out[n - 1].t = static_cast<TimeMs>(t0 + h.span);
  bool increasing = true;
  for (std::size_t i = 1; i < n; ++i) increasing &= out[i].t > out[i - 1].t;
  if (!increasing) return corrupt("timestamps not increasing");
  // Values.
  if (vs) {
    if (!vs->read_all(scratch.get(), n)) return corrupt("bad value section");
    if (h.value_mode == ValueMode::decimal) {
      const double scale = kPow10[k];
      for (std::size_t i = 0; i < n; ++i) out[i].v = static_cast<double>(scratch[i]) / scale;
      for (const auto& [i, bits] : exceptions) out[i].v = std::bit_cast<double>(bits);
    } else {
      for (std::size_t i = 0; i < n; ++i) out[i].v = std::bit_cast<double>(scratch[i]);
    }
  }
  if (!in.ok() || !in.at_end()) return corrupt("trailing bytes");
  return out;
}

}  // namespace tt::tsdb
