// Shared by the store's unit tests: a data directory with the project's schema, a writer,
// readers, a manual clock and a Store whose append log uses the given file system.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/random.h"
#include "db/database.h"
#include "tsdb/store.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

namespace tt::tsdb::test {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline query::Matcher name_is(const char* name) {
  return query::make_matcher("__name__", query::MatchOp::equal, name).value();
}

// A data directory with the project's schema; reopen() simulates a restart (or, without close,
// a kill -9: the heads are lost and must come back from the append log).
struct Fixture {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("tt-tsdb-" + random_hex(6));
  std::string db_path = (dir / "telltale.db").string();
  ManualClock clock{1'800'000'000'000};
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
  std::unique_ptr<Store> store;
  StoreOptions options;
  FileSystem& fs;  // the append log's

  // previous_release: only the schema of the release before packs, and no store opened yet.
  enum class Schema { current, previous_release };
  explicit Fixture(Schema schema = Schema::current, FileSystem& log_fs = posix_fs()) : fs(log_fs) {
    std::filesystem::create_directories(dir);
    migrate("0001_initial");
    migrate("0002_tsdb");
    options.log_dir = (dir / "tsdb").string();
    options.head_block_dir = (dir / "tsdb" / "heads").string();
    options.maintenance_period_ms = 3'600'000;  // tests drive flushes themselves
    if (schema == Schema::previous_release) return;
    migrate("0004_tsdb_packs");
    migrate("0023_chunks_pack");
    reopen(true);
  }
  void migrate(const char* name) {
    auto rw = db::open(db_path, db::Access::read_write).value();
    rw->exec(slurp(std::string(TELLTALE_SOURCE_DIR) + "/migrations/" + name + ".sql"));
  }
  ~Fixture() {
    store.reset();
    writer.reset();
    readers.reset();
    std::filesystem::remove_all(dir);
  }
  // while_down runs between the close and the open (a test's file system crashes there).
  void reopen(bool graceful, const std::function<void()>& while_down = {}) {
    // Without the final flush the heads live only in the append log, as after a kill -9.
    if (store) store->close(graceful ? Store::OnClose::flush : Store::OnClose::drop_heads);
    store.reset();
    if (writer) writer->stop();
    if (while_down) while_down();
    writer = std::make_unique<db::Writer>(db::open(db_path, db::Access::read_write).value());
    readers = std::make_unique<db::Readers>(db_path);
    store = std::make_unique<Store>(*writer, *readers, clock, options, fs);
    REQUIRE(store->open().ok());
  }
  static LabelSet labels(std::initializer_list<Label> ls) {
    LabelSet out(ls);
    sort_labels(out);
    return out;
  }
  std::vector<Sample> read(const char* name, TimeMs from = INT64_MIN, TimeMs to = INT64_MAX) {
    auto r = store->select({name_is(name)}, from, to);
    REQUIRE(r.ok());
    return r->empty() ? std::vector<Sample>{} : r->front().samples;
  }
};

}  // namespace tt::tsdb::test
