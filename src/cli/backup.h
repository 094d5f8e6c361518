// cli/backup.h — `telltale backup` and `telltale restore`, straight on a data directory.
//
// A backup is one gzip-compressed SQLite database: an online, consistent copy of the data
// directory's database (SQLite's backup API, beside a running server: it reads one snapshot of
// the WAL) holding, in a table of its own (telltale_backup_files), the time-series append log's
// segments (DATA/tsdb/*.log: the samples not yet cut into chunks). The segments are copied
// before the database, so a sample a cut moves from the log into the database in between is in
// one or both, never in neither (a restored server skips what its chunks already hold); samples
// that arrive during the backup may be missing from it.
//
// A restore checks the whole file before it replaces anything: gzip's checksum, SQLite's
// integrity_check, the schema version (not newer than this binary's) and the segments' names.
// It holds the data directory's lock (app::DataDirLock), so it refuses a running server's
// directory, and swaps the files in with renames.
#pragma once

#include <string>

namespace tt::cli {

// Both return the process exit code: 0, 1 when the backup or the restore failed (said on
// stderr, nothing replaced), 2 for arguments they cannot use.
int backup(const std::string& data_dir, const std::string& out_path);
int restore(const std::string& in_path, const std::string& data_dir);

}  // namespace tt::cli
