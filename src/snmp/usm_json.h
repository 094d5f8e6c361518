// snmp/usm_json.h — the SNMPv3 user fields of a request body (user, auth_protocol, auth_password,
// priv_protocol, priv_password), validated the same way wherever people type a v3 user: device
// discovery and the trap receiver's users. Pure code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "snmp/usm.h"

namespace tt::snmp {

// Decodes `key` into `u` when it is one of the five fields (a problem goes to `errs`); false for
// any other key.
bool decode_usm_field(const std::string& key, const nlohmann::json& v, UsmUser& u,
                      std::vector<FieldError>& errs);

// What one field needs of another: `user` present, a protocol with its password and the other
// way round, privacy only with authentication (USM has no privacy without it).
void check_usm_fields(const nlohmann::json& body, std::vector<FieldError>& errs);

}  // namespace tt::snmp
