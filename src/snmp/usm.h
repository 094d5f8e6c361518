// snmp/usm.h — the SNMPv3 User-based Security Model (RFC 3414) with libcrypto: password to
// key and key localisation (RFC 3414 A.2; RFC 7860 for SHA-2), HMAC authentication (MD5 and
// SHA-1 truncated to 12 bytes, SHA-224/256/384/512 to 16/24/32/48 bytes), privacy DES-CBC
// (RFC 3414 8) and AES-CFB (RFC 3826 for 128 bits; for 192 and 256 bits the key extension of
// draft-blumenthal-aes-usm-04, which net-snmp calls AES-192/AES-256). Pure code: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "snmp/message.h"

namespace tt::snmp {

enum class AuthProtocol { none, md5, sha1, sha224, sha256, sha384, sha512 };
enum class PrivProtocol { none, des, aes128, aes192, aes256 };

// The API's names: "md5", "sha", "sha224", …; "des", "aes", "aes192", "aes256".
std::string_view to_string(AuthProtocol p);
std::string_view to_string(PrivProtocol p);
std::optional<AuthProtocol> auth_protocol_from(std::string_view name);
std::optional<PrivProtocol> priv_protocol_from(std::string_view name);
// The names one may choose, without "none" (which is leaving the protocol out).
std::vector<std::string> auth_protocol_names();
std::vector<std::string> priv_protocol_names();

// Bytes of the HMAC carried in msgAuthenticationParameters (0 for none).
std::size_t mac_length(AuthProtocol p);

// A v3 user as configured: its name and passwords, not yet localised to any agent.
struct UsmUser {
  std::string name;
  AuthProtocol auth = AuthProtocol::none;
  std::string auth_password;
  PrivProtocol priv = PrivProtocol::none;
  std::string priv_password;
  bool operator==(const UsmUser&) const = default;
};

// RFC 3414 A.2.1 / RFC 7860 4.1: Ku from a password (1 MB of it hashed).
std::string password_to_key(AuthProtocol p, std::string_view password);
// RFC 3414 A.2.2: Kul = H(Ku || engineID || Ku).
std::string localize_key(AuthProtocol p, std::string_view ku, std::string_view engine_id);

// A user's keys localised to one authoritative engine.
struct UsmKeys {
  AuthProtocol auth = AuthProtocol::none;
  PrivProtocol priv = PrivProtocol::none;
  std::string auth_key, priv_key;  // priv_key extended to what the cipher needs
};
// A user's keys before localisation (Ku of each password): the 2 MB of hashing, the same for
// every engine, so a poller of many agents computes them once per user and localises them per
// agent (a few hashes).
struct UsmMasterKeys {
  AuthProtocol auth = AuthProtocol::none;
  PrivProtocol priv = PrivProtocol::none;
  std::string auth_ku, priv_ku;
};
UsmMasterKeys master_keys(const UsmUser& user);
UsmKeys localized_keys(const UsmMasterKeys& master, std::string_view engine_id);
inline UsmKeys localized_keys(const UsmUser& user, std::string_view engine_id) {
  return localized_keys(master_keys(user), engine_id);
}

// The truncated HMAC of `whole_message` (whose authentication parameters are zeros).
std::string authenticate(const UsmKeys& k, std::string_view whole_message);

// Encrypts a scoped PDU; `salt` is the sender's counter (a new value per message). Sets
// `priv_params` to the msgPrivacyParameters to send.
std::string encrypt(const UsmKeys& k, std::uint32_t boots, std::uint32_t time, std::uint64_t salt,
                    std::string_view plain, std::string& priv_params);
// The wire form of `m` (its header and USM parameters) carrying `s`: encrypted with `k` when
// m.flags has kFlagPriv (`salt` as for encrypt), then authenticated when it has kFlagAuth.
std::string seal(MessageV3 m, const UsmKeys& k, const ScopedPdu& s, std::uint64_t salt);

// Decrypts; an error (SNMP_DECRYPTION_FAILED) when the parameters or lengths do not fit the
// cipher. Wrong keys give garbage, which the scoped PDU decoder then rejects.
Result<std::string> decrypt(const UsmKeys& k, std::uint32_t boots, std::uint32_t time,
                            std::string_view priv_params, std::string_view cipher);

}  // namespace tt::snmp
