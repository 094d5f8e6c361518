// cli/backup.h — `telltale backup` and `telltale restore` (backup/backup.h does the work).
#pragma once

#include <string>

namespace tt::cli {

// Both return the process exit code: 0, 1 when the backup or the restore failed (said on
// stderr; a restore then replaced nothing), 2 for arguments they cannot use. A restore holds the
// data directory's lock, so it refuses a directory a server runs on.
int backup(const std::string& data_dir, const std::string& out_path);
int restore(const std::string& in_path, const std::string& data_dir);

}  // namespace tt::cli
