#include "core/random.h"

#include <sys/random.h>

#include <stdexcept>
#include <vector>

namespace tt {

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> buf(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(buf.data() + got, n - got, 0);
    if (r < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<std::size_t>(r);
  }
  return buf;
}

std::string random_hex(std::size_t n_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : random_bytes(n_bytes)) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string random_token(std::size_t n_bytes) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto bytes = random_bytes(n_bytes);
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace tt
