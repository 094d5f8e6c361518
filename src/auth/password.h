// auth/password.h — password hashing (argon2id via libsodium), secret digests and the input
// rules for user names and passwords. All functions are thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tt::auth {

inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;
inline constexpr std::size_t kMaxUserNameChars = 64;

// Initialises libsodium once per process; aborts if it cannot (no safe way to continue).
void ensure_sodium();

// argon2id, opslimit 2, memlimit 19 MiB (OWASP's minimum; ~19 MiB peak per hash, so at most
// two hashes run at once to bound memory on small machines). Returns libsodium's encoded string.
// Fails with internal HASH_FAILED when memory cannot be had.
[[nodiscard]] Result<std::string> hash_password(std::string_view password);
// False for a wrong password or a malformed hash.
bool verify_password(std::string_view password, const std::string& encoded_hash);
// True when the hash was made with other parameters than hash_password() uses now.
bool password_needs_rehash(const std::string& encoded_hash);
// Spends the same time as verify_password() on a hash that matches nothing: used for unknown
// users so response times do not reveal which names exist.
void verify_dummy_password(std::string_view password);

// validation VALIDATION_FAILED with field "password" unless 8..1024 bytes.
[[nodiscard]] Result<void> validate_password(std::string_view password);
// validation VALIDATION_FAILED with field "name" unless 1..64 of [A-Za-z0-9._@-].
[[nodiscard]] Result<void> validate_user_name(std::string_view name);
bool is_valid_user_name(std::string_view name);

using Sha256 = std::array<unsigned char, 32>;
Sha256 sha256(std::string_view data);

// Constant-time equality; false when lengths differ (length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

// Error::make(validation, VALIDATION_FAILED, ...) with one field error.
Error field_error(std::string field, std::string message);

}  // namespace tt::auth
