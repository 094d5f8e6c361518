-- Schema 21: queries pinned to a node's page (the Explore page pins them), each drawn there as a
-- chart. A pin is part of its node: it goes when the node does.
CREATE TABLE node_pins (
  id         INTEGER PRIMARY KEY,
  node_id    INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  query      TEXT NOT NULL,                  -- PromQL, an instant vector or a scalar
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX node_pins_node ON node_pins(node_id, id);
