// cli/ — commands that run without a server: account administration straight on the data
// directory's database (safe beside a running server: SQLite serialises the writers).
#pragma once

#include <iosfwd>
#include <string>

namespace tt::cli {

// `telltale user add`: the password is read from `in` (first line). Returns the exit code.
int user_add(const std::string& data_dir, const std::string& name, const std::string& role,
             std::istream& in);

// `telltale token create`: prints the token alone on the last line of stdout.
int token_create(const std::string& data_dir, const std::string& user, const std::string& label,
                 const std::string& expires);

}  // namespace tt::cli
