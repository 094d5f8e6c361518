// core/utf8.h — UTF-8 validation for text from outside (request parameters, ingested labels):
// RFC 3629, so no overlong forms, no surrogates, nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tt {

// How many bytes at the start of `s` are valid UTF-8: s.size() when all are, else the offset of
// the first invalid sequence.
std::size_t valid_utf8_prefix(std::string_view s);

inline bool valid_utf8(std::string_view s) { return valid_utf8_prefix(s) == s.size(); }

// Appends code point `cp` (at most U+10FFFF, no surrogate) as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace tt
