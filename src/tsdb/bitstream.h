// tsdb/bitstream.h — internal to the chunk codec and the heads' tails: LSB-first bit packing
// and a bounds-checked byte reader (varints and zigzag are core/varint.h's). The matching bit
// reader lives next to its only (hot) loop in codec.cpp.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/varint.h"

namespace tt::tsdb::detail {

// Appends bits to a byte string, least significant bit first.
class BitWriter {
 public:
  explicit BitWriter(std::string& out) : m_out(out) {}

  // Appends the low `n` bits of `bits` (n <= 64; higher bits of `bits` must be zero).
  void put(std::uint64_t bits, unsigned n) {
    if (n > 32) {
      put32(bits & 0xffffffffu, 32);
      bits >>= 32;
      n -= 32;
    }
    put32(bits, n);
  }

  // Flushes the partial last byte (padded with zero bits). Call once, at the end.
  void finish() {
    while (m_fill > 0) {
      m_out.push_back(static_cast<char>(m_acc & 0xff));
      m_acc >>= 8;
      m_fill = m_fill > 8 ? m_fill - 8 : 0;
    }
  }

 private:
  void put32(std::uint64_t bits, unsigned n) {  // n <= 32
    m_acc |= bits << m_fill;
    m_fill += n;
    if (m_fill >= 32) {
      char b[4];
      for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((m_acc >> (8 * i)) & 0xff);
      m_out.append(b, 4);
      m_acc >>= 32;
      m_fill -= 32;
    }
  }

  std::string& m_out;
  std::uint64_t m_acc = 0;
  unsigned m_fill = 0;  // valid bits in m_acc, < 32 between calls
};

using tt::put_varint;
using tt::unzigzag;
using tt::zigzag;

// Sequential reader of a byte range with bounds checks; every failure latches `ok() == false`
// and later reads return zeros.
class ByteReader {
 public:
  explicit ByteReader(std::string_view s) : m_s(s) {}

  std::uint64_t varint() {
    std::string_view rest = m_s.substr(m_pos);
    std::uint64_t v = 0;
    if (!get_varint(rest, v)) return fail();
    m_pos = m_s.size() - rest.size();
    return v;
  }
  std::uint8_t byte() {
    if (m_pos >= m_s.size()) return static_cast<std::uint8_t>(fail());
    return static_cast<std::uint8_t>(m_s[m_pos++]);
  }
  std::uint64_t u64le() {
    if (m_s.size() - m_pos < 8) return fail();
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_s[m_pos + i])) << (8 * i);
    m_pos += 8;
    return v;
  }
  std::string_view bytes(std::uint64_t n) {
    if (n > m_s.size() - m_pos) {
      fail();
      return {};
    }
    const std::string_view r = m_s.substr(m_pos, n);
    m_pos += n;
    return r;
  }
  std::string_view rest() { return bytes(m_s.size() - m_pos); }

  bool ok() const { return m_ok; }
  bool at_end() const { return m_pos == m_s.size(); }

 private:
  std::uint64_t fail() {
    m_ok = false;
    m_pos = m_s.size();
    return 0;
  }
  std::string_view m_s;
  std::size_t m_pos = 0;
  bool m_ok = true;
};

inline void put_u64le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u32le(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// The caller checks that 4 bytes are there.
inline std::uint32_t get_u32le(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace tt::tsdb::detail
