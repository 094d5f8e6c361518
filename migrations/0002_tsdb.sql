-- Schema 2: the time-series store. Samples arrive in an in-memory head (made durable by the
-- append log in DATA/tsdb/) and are cut into compressed chunks, one row per chunk.

-- Every series ever written. `labels` is the canonical text of its sorted label set
-- (name="value",... with __name__ first), which is also how queries find it after a restart.
CREATE TABLE series (
  id         INTEGER PRIMARY KEY,
  labels     TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

-- Compressed samples (see src/tsdb/codec.h). Chunks of one series may overlap when old data is
-- backfilled; for equal timestamps the chunk with the higher seq wins. A rowid table on purpose:
-- its pages hold up to ~4 KB of a row and fill overflow pages completely, where a WITHOUT ROWID
-- table keeps ~1 KB in the tree and wastes most of the last overflow page of every chunk.
CREATE TABLE chunks (
  id        INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL,
  min_t     INTEGER NOT NULL,
  max_t     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  data      BLOB NOT NULL
);
CREATE INDEX chunks_series ON chunks(series_id, min_t);
CREATE INDEX chunks_max_t ON chunks(max_t);

-- Downsampled tiers: per bucket of `tier` ms, the min, max, sum, count and last value, stored as
-- compressed columns (see src/tsdb/rollup.h), one row per series and span.
CREATE TABLE rollups (
  id        INTEGER PRIMARY KEY,
  tier      INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  min_t     INTEGER NOT NULL,
  max_t     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  data      BLOB NOT NULL
);
CREATE INDEX rollups_series ON rollups(tier, series_id, min_t);
CREATE INDEX rollups_max_t ON rollups(tier, max_t);
