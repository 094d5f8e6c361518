// core/varint.h — LEB128 varints: 7 bits a byte, low bits first, the high bit set on every
// byte but the last. Written by the chunk codec, the append log and packed label sets.
#pragma once

#include <cstdint>
#include <string>

namespace tt {

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace tt
