// backup/ — a data directory's backups: written by `telltale backup`, by serve on a schedule
// and before it migrates the schema; read back by `telltale restore`.
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
// The caller holds the data directory's lock (app::DataDirLock), so no server runs on it, and
// the files are swapped in with renames.
//
// Errors: BACKUP_NO_DATABASE, BACKUP_IO; RESTORE_NOT_A_BACKUP, RESTORE_IO, DB_TOO_NEW.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tt::backup {

// How far a backup is: bytes of the database copy compressed so far, of all. The copy itself is
// one step (SQLite's backup of one snapshot: stepping it page by page would start over at each
// commit of a running server), so progress is told while it is compressed, which takes longest.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Writes the backup of `data_dir` to `out` (through out.tmp and a rename, synced). Returns
// its size in bytes.
Result<std::uint64_t> write(const std::string& data_dir, const std::string& out,
                            const Progress& progress = {});

// Replaces the database and the log of `data_dir` with the backup's, once it is checked.
Result<void> restore(const std::string& in, const std::string& data_dir);

// DIR/NAME-YYYYMMDD-HHMMSS.backup, the time now in UTC: names that sort by time.
std::string timestamped_path(const std::string& dir, std::string_view name);

}  // namespace tt::backup
