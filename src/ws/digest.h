// ws/digest.h — the two encodings the opening handshake needs (RFC 6455 section 4): SHA-1 and
// base64. Our own rather than OpenSSL's: its SHA1() fetches the algorithm from its default
// provider, which loads about 1.4 MB of code and tables into `telltale agent`, a process that
// needs nothing else from OpenSSL. Not for security: the handshake's digest is a check that the
// peer speaks WebSocket. Pure; safe from any thread.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace tt::ws {

// SHA-1 (RFC 3174) of `data`.
std::array<unsigned char, 20> sha1(std::string_view data);

// Standard base64 (RFC 4648 section 4), padded with "=".
std::string base64(std::span<const unsigned char> bytes);

}  // namespace tt::ws
