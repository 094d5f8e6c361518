#include "snmp/usm_json.h"

namespace tt::snmp {

namespace {
constexpr std::size_t kMaxUsmNameLen = 32;  // SnmpAdminString (SIZE(1..32)) of usmUserName
}  // namespace

bool decode_usm_field(const std::string& key, const nlohmann::json& v, UsmUser& u,
                      std::vector<FieldError>& errs) {
  if (key == "user") {
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > kMaxUsmNameLen)
      errs.push_back({key, "must be a string of 1 to 32 bytes"});
    else
      u.name = v.get<std::string>();
  } else if (key == "auth_protocol") {
    auto p = v.is_string() ? auth_protocol_from(v.get<std::string>()) : std::nullopt;
    if (!p || *p == AuthProtocol::none)
      errs.push_back({key, "must be one of md5, sha, sha224, sha256, sha384, sha512"});
    else
      u.auth = *p;
  } else if (key == "priv_protocol") {
    auto p = v.is_string() ? priv_protocol_from(v.get<std::string>()) : std::nullopt;
    if (!p || *p == PrivProtocol::none)
      errs.push_back({key, "must be one of des, aes, aes192, aes256"});
    else
      u.priv = *p;
  } else if (key == "auth_password" || key == "priv_password") {
    // net-snmp refuses shorter passphrases (RFC 3414 11.2 recommends at least 8).
    if (!v.is_string() || v.get_ref<const std::string&>().size() < 8 ||
        v.get_ref<const std::string&>().size() > 255)
      errs.push_back({key, "must be a string of 8 to 255 bytes"});
    else
      (key == "auth_password" ? u.auth_password : u.priv_password) = v.get<std::string>();
  } else {
    return false;
  }
  return true;
}

void check_usm_fields(const nlohmann::json& body, std::vector<FieldError>& errs) {
  if (!body.contains("user")) errs.push_back({"user", "is required with version 3"});
  if (body.contains("auth_protocol") != body.contains("auth_password"))
    errs.push_back({body.contains("auth_protocol") ? "auth_password" : "auth_protocol",
                    "is required with the other"});
  if (body.contains("priv_protocol") != body.contains("priv_password"))
    errs.push_back({body.contains("priv_protocol") ? "priv_password" : "priv_protocol",
                    "is required with the other"});
  if (body.contains("priv_protocol") && !body.contains("auth_protocol"))
    errs.push_back(
        {"priv_protocol", "needs auth_protocol too: USM has no privacy without authentication"});
}

}  // namespace tt::snmp
