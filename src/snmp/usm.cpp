// DES has only OpenSSL's deprecated low-level API outside the legacy provider; using it keeps the
// process's provider configuration untouched.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "snmp/usm.h"

#include <fmt/format.h>
#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/options.h"

namespace tt::snmp {

namespace {

const EVP_MD* md_of(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::md5:
      return EVP_md5();
    case AuthProtocol::sha1:
      return EVP_sha1();
    case AuthProtocol::sha224:
      return EVP_sha224();
    case AuthProtocol::sha256:
      return EVP_sha256();
    case AuthProtocol::sha384:
      return EVP_sha384();
    case AuthProtocol::sha512:
      return EVP_sha512();
    case AuthProtocol::none:
      break;
  }
  return nullptr;
}

std::size_t priv_key_length(PrivProtocol p) {
  switch (p) {
    case PrivProtocol::des:
      return 16;  // 8 of key, 8 of pre-IV
    case PrivProtocol::aes128:
      return 16;
    case PrivProtocol::aes192:
      return 24;
    case PrivProtocol::aes256:
      return 32;
    case PrivProtocol::none:
      break;
  }
  return 0;
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string hash(AuthProtocol p, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md_of(p), nullptr);
  return {reinterpret_cast<const char*>(out), n};
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

Error decryption_failed(std::string why) {
  return Error{ErrorKind::validation,
               "SNMP_DECRYPTION_FAILED",
               std::move(why),
               {{"priv_password", "does not decrypt"}},
               {}};
}

const EVP_CIPHER* aes_of(PrivProtocol p) {
  return p == PrivProtocol::aes128   ? EVP_aes_128_cfb128()
         : p == PrivProtocol::aes192 ? EVP_aes_192_cfb128()
                                     : EVP_aes_256_cfb128();
}

// RFC 3826 3.1.2.1: IV = engineBoots || engineTime || salt (64 bits).
std::string aes_cfb(const UsmKeys& k, std::uint32_t boots, std::uint32_t time,
                    std::string_view salt, std::string_view in, bool enc) {
  std::string iv;
  put_be32(iv, boots);
  put_be32(iv, time);
  iv.append(salt);
  std::string out(in.size(), '\0');
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  int n = 0, m = 0;
  EVP_CipherInit_ex(ctx.get(), aes_of(k.priv), nullptr,
                    reinterpret_cast<const unsigned char*>(k.priv_key.data()),
                    reinterpret_cast<const unsigned char*>(iv.data()), enc ? 1 : 0);
  EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                   reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &m);
  return out;
}

// RFC 3414 8.1.1: key = first 8 bytes, IV = pre-IV (last 8 bytes) XOR salt.
std::string des_cbc(const UsmKeys& k, std::string_view salt, std::string_view in, bool enc) {
  DES_cblock key, iv;
  std::memcpy(key, k.priv_key.data(), 8);
  for (int i = 0; i < 8; ++i)
    iv[i] = static_cast<unsigned char>(k.priv_key[8 + static_cast<std::size_t>(i)] ^
                                       salt[static_cast<std::size_t>(i)]);
  DES_key_schedule schedule;
  DES_set_key_unchecked(&key, &schedule);
  std::string out(in.size(), '\0');
  DES_ncbc_encrypt(reinterpret_cast<const unsigned char*>(in.data()),
                   reinterpret_cast<unsigned char*>(out.data()), static_cast<long>(in.size()),
                   &schedule, &iv, enc ? DES_ENCRYPT : DES_DECRYPT);
  return out;
}

}  // namespace

namespace {
constexpr EnumNames<AuthProtocol, 7> kAuthNames{
    {"none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"}};
constexpr EnumNames<PrivProtocol, 5> kPrivNames{{"none", "des", "aes", "aes192", "aes256"}};
}  // namespace

std::string_view to_string(AuthProtocol p) { return kAuthNames.name(p); }
std::string_view to_string(PrivProtocol p) { return kPrivNames.name(p); }

// "none" is no protocol to choose: a user without one leaves the field out.
std::optional<AuthProtocol> auth_protocol_from(std::string_view name) {
  auto p = kAuthNames.parse(name);
  return p == AuthProtocol::none ? std::nullopt : p;
}

std::optional<PrivProtocol> priv_protocol_from(std::string_view name) {
  auto p = kPrivNames.parse(name);
  return p == PrivProtocol::none ? std::nullopt : p;
}

std::vector<std::string> auth_protocol_names() {
  auto names = kAuthNames.names();
  names.erase(names.begin());
  return names;
}

std::vector<std::string> priv_protocol_names() {
  auto names = kPrivNames.names();
  names.erase(names.begin());
  return names;
}

std::size_t mac_length(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::md5:
    case AuthProtocol::sha1:
      return 12;
    case AuthProtocol::sha224:
      return 16;
    case AuthProtocol::sha256:
      return 24;
    case AuthProtocol::sha384:
      return 32;
    case AuthProtocol::sha512:
      return 48;
    case AuthProtocol::none:
      break;
  }
  return 0;
}

std::string password_to_key(AuthProtocol p, std::string_view password) {
  if (password.empty()) return {};
  constexpr std::size_t kExpanded = 1048576;
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md_of(p), nullptr);
  // The password repeated to 1 MB, fed in blocks of 64 bytes as RFC 3414 A.2.1 does.
  unsigned char block[64];
  std::size_t at = 0;
  for (std::size_t count = 0; count < kExpanded; count += sizeof block) {
    for (auto& b : block) b = static_cast<unsigned char>(password[at++ % password.size()]);
    EVP_DigestUpdate(ctx.get(), block, sizeof block);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &n);
  return {reinterpret_cast<const char*>(out), n};
}

std::string localize_key(AuthProtocol p, std::string_view ku, std::string_view engine_id) {
  std::string in;
  in.reserve(ku.size() * 2 + engine_id.size());
  in.append(ku).append(engine_id).append(ku);
  return hash(p, in);
}

UsmMasterKeys master_keys(const UsmUser& user) {
  UsmMasterKeys m;
  m.auth = user.auth;
  m.priv = user.priv;
  if (user.auth == AuthProtocol::none) return m;
  m.auth_ku = password_to_key(user.auth, user.auth_password);
  if (user.priv != PrivProtocol::none) m.priv_ku = password_to_key(user.auth, user.priv_password);
  return m;
}

UsmKeys localized_keys(const UsmMasterKeys& master, std::string_view engine_id) {
  UsmKeys k;
  k.auth = master.auth;
  k.priv = master.priv;
  if (master.auth == AuthProtocol::none) return k;
  k.auth_key = localize_key(master.auth, master.auth_ku, engine_id);
  if (master.priv == PrivProtocol::none) return k;
  k.priv_key = localize_key(master.auth, master.priv_ku, engine_id);
  // draft-blumenthal-aes-usm-04 3.1.2.1: while too short, append the hash of the key so far.
  const std::size_t need = priv_key_length(master.priv);
  while (k.priv_key.size() < need) k.priv_key += hash(master.auth, k.priv_key);
  k.priv_key.resize(need);
  return k;
}

std::string authenticate(const UsmKeys& k, std::string_view whole_message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md_of(k.auth), k.auth_key.data(), static_cast<int>(k.auth_key.size()),
       reinterpret_cast<const unsigned char*>(whole_message.data()), whole_message.size(), out, &n);
  return {reinterpret_cast<const char*>(out), std::min<std::size_t>(n, mac_length(k.auth))};
}

std::string encrypt(const UsmKeys& k, std::uint32_t boots, std::uint32_t time, std::uint64_t salt,
                    std::string_view plain, std::string& priv_params) {
  priv_params.clear();
  if (k.priv == PrivProtocol::des) {
    // RFC 3414 8.1.1.1: salt = engineBoots || a local 32-bit counter; pad to the block size.
    put_be32(priv_params, boots);
    put_be32(priv_params, static_cast<std::uint32_t>(salt));
    std::string padded(plain);
    padded.resize((plain.size() + 7) / 8 * 8, '\0');
    return des_cbc(k, priv_params, padded, true);
  }
  put_be32(priv_params, static_cast<std::uint32_t>(salt >> 32));
  put_be32(priv_params, static_cast<std::uint32_t>(salt));
  return aes_cfb(k, boots, time, priv_params, plain, true);
}

Result<std::string> decrypt(const UsmKeys& k, std::uint32_t boots, std::uint32_t time,
                            std::string_view priv_params, std::string_view cipher) {
  if (priv_params.size() != 8)
    return decryption_failed(
        fmt::format("msgPrivacyParameters of {} bytes (8 required)", priv_params.size()));
  if (k.priv == PrivProtocol::des) {
    if (cipher.size() % 8 != 0)
      return decryption_failed(
          fmt::format("DES data of {} bytes is not a multiple of 8", cipher.size()));
    return des_cbc(k, priv_params, cipher, false);
  }
  return aes_cfb(k, boots, time, priv_params, cipher, false);
}

std::string seal(MessageV3 m, const UsmKeys& k, const ScopedPdu& s, std::uint64_t salt) {
  const std::string plain = encode(s);
  if (m.flags & kFlagPriv)
    m.scoped =
        encrypt(k, static_cast<std::uint32_t>(m.usm.engine_boots),
                static_cast<std::uint32_t>(m.usm.engine_time), salt, plain, m.usm.priv_params);
  else
    m.scoped = plain;
  const std::size_t mac = (m.flags & kFlagAuth) ? mac_length(k.auth) : 0;
  m.usm.auth_params.assign(mac, '\0');
  std::size_t at = 0;
  std::string wire = encode(m, &at);
  if (mac) wire.replace(at, mac, authenticate(k, wire));
  return wire;
}

}  // namespace tt::snmp
