// core/random.h — identifiers and secrets from the OS's CSPRNG.
#pragma once

#include <string>
#include <vector>

namespace tt {

std::vector<unsigned char> random_bytes(std::size_t n_bytes);
// n random bytes as lowercase hex (2n characters).
std::string random_hex(std::size_t n_bytes);
// n random bytes as unpadded base64url.
std::string random_token(std::size_t n_bytes);

}  // namespace tt
