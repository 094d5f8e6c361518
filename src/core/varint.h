// core/varint.h — LEB128 varints: 7 bits a byte, low bits first, the high bit set on every
// byte but the last; zigzag maps signed values to unsigned so small magnitudes stay short. Used
// by the chunk codec, the append log and packed label sets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tt {

inline constexpr std::size_t kMaxVarintBytes = 10;

// Writes v at `out`, which has room for kMaxVarintBytes, and returns where it ends.
inline char* put_varint(char* out, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) *out++ = static_cast<char>((v & 0x7f) | 0x80);
  *out++ = static_cast<char>(v);
  return out;
}

// Byte by byte rather than through a buffer and the overload above: GCC 12 cannot bound that
// loop and warns of the buffer's end.
inline void put_varint(std::string& out, std::uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
}

// Takes one varint off the front of `in`. False for a truncated one, one past 64 bits or one
// longer than needed (every writer here writes the shortest form, so decoded bytes re-encode
// the same); `in` is then left anywhere.
inline bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && b > 1) return false;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return b != 0 || shift == 0;
  }
  return false;
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

}  // namespace tt
