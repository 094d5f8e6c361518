// cli/setup_code.h — `telltale setup-code`: the first-run setup code of the server running on a
// data directory, which the server keeps in DATA/setup-code (auth::setup_code_path) until setup
// is done.
#pragma once

#include <string>

namespace tt::cli {

// Prints the code on stdout and returns 0; else 1 with SETUP_CODE_NONE (setup is done, or no
// server runs on the directory) or SETUP_CODE_UNREADABLE (not the server's user, nor root) on
// stderr.
int setup_code(const std::string& data_dir);

}  // namespace tt::cli
