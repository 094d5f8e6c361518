// auth/ — accounts and access: users and roles, argon2id passwords, login sessions, API tokens,
// first-run setup and the audit log. The API layer calls it to authenticate each request and to
// manage accounts; the CLI calls it directly (as Principal::Via::cli). No HTTP in here.
#pragma once

#include "auth/password.h"
#include "auth/rate_limiter.h"
#include "auth/roles.h"
#include "auth/service.h"
