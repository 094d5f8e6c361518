-- Schema 23: chunks by their pack. Heads cut early for memory go into packs of their own tier
-- (unmerged, -1), which maintenance merges into long chunks; this index finds a pack's chunks
-- without scanning every chunk row.
CREATE INDEX chunks_pack ON chunks(pack_id);
