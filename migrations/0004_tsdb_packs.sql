-- Schema 4: chunk and rollup blobs are packed. A row per blob left its last overflow page partly
-- empty (0.1-0.15 bytes per sample); the blobs of one cut are now concatenated into packs of up
-- to ~1 MiB, and chunks and rollups become index rows pointing into a pack.

-- Concatenated blobs of one tier (0 = raw chunks, else the rollup tier in ms), so a whole pack
-- expires with its tier. max_t is the newest time any member covers: retention drops the pack
-- once it is past, by which time every member's index row is gone too.
CREATE TABLE packs (
  id    INTEGER PRIMARY KEY,
  tier  INTEGER NOT NULL,
  max_t INTEGER NOT NULL,
  data  BLOB NOT NULL
);
CREATE INDEX packs_tier_max_t ON packs(tier, max_t);

-- Rows of the previous release become packs of one blob each (chunks keep their ids; rollups
-- are numbered after them).
INSERT INTO packs(id, tier, max_t, data) SELECT id, 0, max_t, data FROM chunks;
INSERT INTO packs(id, tier, max_t, data)
  SELECT id + (SELECT coalesce(max(id), 0) FROM chunks), tier, max_t, data FROM rollups;

-- Compressed samples (src/tsdb/codec.h) at pack_bytes bytes from pack_offset in a pack. Chunks
-- of one series may overlap when old data is backfilled; for equal timestamps the chunk with
-- the higher seq wins.
CREATE TABLE chunks_packed (
  id          INTEGER PRIMARY KEY,
  series_id   INTEGER NOT NULL,
  min_t       INTEGER NOT NULL,
  max_t       INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  pack_id     INTEGER NOT NULL,
  pack_offset INTEGER NOT NULL,
  pack_bytes  INTEGER NOT NULL
);
INSERT INTO chunks_packed SELECT id, series_id, min_t, max_t, seq, id, 0, length(data) FROM chunks;
DROP TABLE chunks;
ALTER TABLE chunks_packed RENAME TO chunks;
CREATE INDEX chunks_series ON chunks(series_id, min_t);
CREATE INDEX chunks_max_t ON chunks(max_t);

-- Downsampled tiers (src/tsdb/rollup.h), one blob per series and span, in packs of their tier.
CREATE TABLE rollups_packed (
  id          INTEGER PRIMARY KEY,
  tier        INTEGER NOT NULL,
  series_id   INTEGER NOT NULL,
  min_t       INTEGER NOT NULL,
  max_t       INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  pack_id     INTEGER NOT NULL,
  pack_offset INTEGER NOT NULL,
  pack_bytes  INTEGER NOT NULL
);
INSERT INTO rollups_packed
  SELECT id, tier, series_id, min_t, max_t, seq, id + (SELECT coalesce(max(id), 0) FROM chunks), 0,
         length(data)
  FROM rollups;
DROP TABLE rollups;
ALTER TABLE rollups_packed RENAME TO rollups;
CREATE INDEX rollups_series ON rollups(tier, series_id, min_t);
CREATE INDEX rollups_max_t ON rollups(tier, max_t);
