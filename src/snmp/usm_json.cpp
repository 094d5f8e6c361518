#include "snmp/usm_json.h"

namespace tt::snmp {

namespace {
constexpr double kMaxUsmNameLen = 32;  // SnmpAdminString (SIZE(1..32)) of usmUserName
}  // namespace

const OptionSpecs& usm_fields() {
  using T = OptionType;
  // net-snmp refuses shorter passphrases (RFC 3414 11.2 recommends at least 8).
  const auto password = [](const char* name, const char* help) {
    return OptionSpec{.name = name,
                      .type = T::string,
                      .help = help,
                      .min = 8,
                      .max = 255,
                      .secret = true,
                      .message = "must be a string of 8 to 255 bytes"};
  };
  static const OptionSpecs specs{
      {.name = "user",
       .type = T::string,
       .help = "the USM user name",
       .min = 1,
       .max = kMaxUsmNameLen,
       .message = "must be a string of 1 to 32 bytes"},
      {.name = "auth_protocol",
       .type = T::choice,
       .help = "authentication, with auth_password",
       .choices = auth_protocol_names()},
      password("auth_password", "the authentication passphrase"),
      {.name = "priv_protocol",
       .type = T::choice,
       .help = "privacy (encryption), with priv_password; needs authentication",
       .choices = priv_protocol_names()},
      password("priv_password", "the privacy passphrase"),
  };
  return specs;
}

UsmUser usm_user_from(const nlohmann::json& valid) {
  UsmUser u;
  u.name = valid.value("user", "");
  u.auth = auth_protocol_from(valid.value("auth_protocol", "none")).value_or(AuthProtocol::none);
  u.auth_password = valid.value("auth_password", "");
  u.priv = priv_protocol_from(valid.value("priv_protocol", "none")).value_or(PrivProtocol::none);
  u.priv_password = valid.value("priv_password", "");
  return u;
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
