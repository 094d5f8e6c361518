// The handshake's SHA-1 and base64 (ws/digest.h): the RFCs' vectors, and OpenSSL's results for
// every length around the padding's block boundaries.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <string>

#include "ws/digest.h"

using namespace tt::ws;

namespace {

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::span<const unsigned char> bytes_of(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("ws digest: SHA-1 of RFC 3174's test vectors") {
  CHECK(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(hex(sha1(std::string(1'000'000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  CHECK(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("ws digest: SHA-1 and base64 agree with OpenSSL at every length up to 200 bytes") {
  std::string data;
  for (int n = 0; n <= 200; ++n) {
    CAPTURE(n);
    unsigned char expected[SHA_DIGEST_LENGTH];
    SHA1(bytes_of(data).data(), data.size(), expected);
    CHECK(hex(sha1(data)) == hex(expected));
    std::string encoded(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                    bytes_of(data).data(), static_cast<int>(data.size()));
    encoded.resize(static_cast<std::size_t>(len));
    CHECK(base64(bytes_of(data)) == encoded);
    data += static_cast<char>(n * 37 + 11);
  }
}

TEST_CASE("ws digest: base64 of RFC 4648's test vectors") {
  CHECK(base64(bytes_of("")) == "");
  CHECK(base64(bytes_of("f")) == "Zg==");
  CHECK(base64(bytes_of("fo")) == "Zm8=");
  CHECK(base64(bytes_of("foo")) == "Zm9v");
  CHECK(base64(bytes_of("foob")) == "Zm9vYg==");
  CHECK(base64(bytes_of("fooba")) == "Zm9vYmE=");
  CHECK(base64(bytes_of("foobar")) == "Zm9vYmFy");
}
