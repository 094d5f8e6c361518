#include "auth/password.h"

#include <sodium.h>

#include <cstdlib>
#include <mutex>
#include <semaphore>

#include "core/log.h"
#include "core/random.h"

namespace tt::auth {

namespace {

constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024u * 1024u;

// Bounds the memory argon2 may take at once: each hash or verify holds kMemLimit.
std::counting_semaphore<2>& hash_slots() {
  static std::counting_semaphore<2> slots(2);
  return slots;
}

struct SlotGuard {
  SlotGuard() { hash_slots().acquire(); }
  ~SlotGuard() { hash_slots().release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
};

bool name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

}  // namespace

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      log::error("auth: libsodium failed to initialise");
      std::abort();
    }
  });
}

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  int rc;
  {
    SlotGuard slot;
    rc = crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                               crypto_pwhash_ALG_ARGON2ID13);
  }
  if (rc != 0) {
    return Error::make(ErrorKind::internal, "HASH_FAILED",
                       "could not hash the password (out of memory)");
  }
  return std::string(out);
}

bool verify_password(std::string_view password, const std::string& encoded_hash) {
  ensure_sodium();
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
  SlotGuard slot;
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(const std::string& encoded_hash) {
  ensure_sodium();
  return crypto_pwhash_str_needs_rehash(encoded_hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

void verify_dummy_password(std::string_view password) {
  static const std::string dummy = [] {
    auto h = hash_password(random_token(16));
    return h.ok() ? h.value() : std::string();
  }();
  (void)verify_password(password, dummy);
}

Error field_error(std::string field, std::string message) {
  Error e =
      Error::make(ErrorKind::validation, "VALIDATION_FAILED", "invalid " + field + ": " + message);
  e.fields.push_back(FieldError{std::move(field), std::move(message)});
  return e;
}

Result<void> validate_password(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return field_error("password", "must be 8 to 1024 bytes long");
  }
  return ok();
}

bool is_valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameChars) return false;
  for (char c : name) {
    if (!name_char_ok(c)) return false;
  }
  return true;
}

Result<void> validate_user_name(std::string_view name) {
  if (!is_valid_user_name(name)) {
    return field_error("name", "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@', '-'");
  }
  return ok();
}

Sha256 sha256(std::string_view data) {
  ensure_sodium();
  Sha256 out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  ensure_sodium();
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tt::auth
