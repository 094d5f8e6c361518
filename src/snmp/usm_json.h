// snmp/usm_json.h — the SNMPv3 user fields of a request body (user, auth_protocol, auth_password,
// priv_protocol, priv_password), declared once for wherever people type a v3 user: device
// discovery and the trap receiver's users. Pure code.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "core/options.h"
#include "core/result.h"
#include "snmp/usm.h"

namespace tt::snmp {

// The five fields, to append to a resource's table.
const OptionSpecs& usm_fields();

// The user a decoded body names (fields absent stay empty, protocols none).
UsmUser usm_user_from(const nlohmann::json& valid);

// What one field needs of another: `user` present, a protocol with its password and the other
// way round, privacy only with authentication (USM has no privacy without it).
void check_usm_fields(const nlohmann::json& body, std::vector<FieldError>& errs);

}  // namespace tt::snmp
