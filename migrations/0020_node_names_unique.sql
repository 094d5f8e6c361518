-- Schema 20: a node's name is unique across types. The name is the `node` label of its series,
-- alerts and maintenance windows; while names were unique per type only, a router and a VM both
-- named gw1 shared charts, alerts and windows. The oldest node keeps a shared name; each later
-- one becomes "<name>-<type>" ("<name>-<type>-<id>" if that is taken), and the series that are
-- provably its own follow it: its checks' (check names are unique), its agent's (job="node") and
-- the traps sent from its address. Series both nodes wrote into stay with the name's keeper.

CREATE TEMP TABLE node_renames (
  id        INTEGER PRIMARY KEY,
  old       TEXT NOT NULL,
  new       TEXT NOT NULL,
  address   TEXT NOT NULL,
  agent     INTEGER NOT NULL,
  old_label TEXT NOT NULL DEFAULT '',  -- ',node="<name>",' as in canonical series labels
  new_label TEXT NOT NULL DEFAULT ''
);

INSERT INTO node_renames (id, old, new, address, agent)
SELECT n.id, n.name, n.name || '-' || n.type, n.address, n.identity IS NOT NULL
  FROM nodes n
 WHERE EXISTS (SELECT 1 FROM nodes o WHERE o.name = n.name AND o.id < n.id);

UPDATE node_renames SET new = new || '-' || id WHERE new IN (SELECT name FROM nodes);

-- Label values are escaped as the series index writes them: backslash and double quote.
UPDATE node_renames
   SET old_label = ',node="' || replace(replace(old, '\', '\\'), '"', '\"') || '",',
       new_label = ',node="' || replace(replace(new, '\', '\\'), '"', '\"') || '",';

-- Keeper: the node that keeps the name (the oldest of that name).
CREATE TEMP TABLE series_moves (series_id INTEGER PRIMARY KEY, node_id INTEGER NOT NULL);

INSERT OR IGNORE INTO series_moves
SELECT s.id, r.id
  FROM node_renames r
  JOIN checks c ON c.node_id = r.id
  JOIN series s ON instr(s.labels || ',', r.old_label) > 0
               AND instr(s.labels || ',',
                         ',check="' || replace(replace(c.name, '\', '\\'), '"', '\"') || '",') > 0;

INSERT OR IGNORE INTO series_moves
SELECT s.id, r.id
  FROM node_renames r
  JOIN series s ON instr(s.labels || ',', r.old_label) > 0
               AND instr(s.labels || ',', ',job="node",') > 0
 WHERE r.agent
   AND NOT EXISTS (SELECT 1 FROM nodes k WHERE k.name = r.old AND k.id < r.id
                                           AND k.identity IS NOT NULL);

INSERT OR IGNORE INTO series_moves
SELECT s.id, r.id
  FROM node_renames r
  JOIN series s ON s.labels LIKE '__name__="snmp\_traps",%' ESCAPE '\'
               AND instr(s.labels || ',', r.old_label) > 0
               AND instr(s.labels || ',',
                         ',source="' || replace(replace(r.address, '\', '\\'), '"', '\"') || '",') > 0
 WHERE r.address <> ''
   AND NOT EXISTS (SELECT 1 FROM nodes k WHERE k.name = r.old AND k.id <> r.id
                                           AND k.address = r.address);

-- OR IGNORE: a series that already has the new labels (a node of that name long deleted) keeps
-- its own, and the moved one stays under the old name.
UPDATE OR IGNORE series
   SET labels = (SELECT rtrim(replace(series.labels || ',', r.old_label, r.new_label), ',')
                   FROM series_moves m JOIN node_renames r ON r.id = m.node_id
                  WHERE m.series_id = series.id)
 WHERE id IN (SELECT series_id FROM series_moves);

UPDATE nodes SET name = (SELECT new FROM node_renames r WHERE r.id = nodes.id)
 WHERE id IN (SELECT id FROM node_renames);

INSERT INTO audit_log (at, actor, action, target, details)
SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'system', 'node.rename', new,
       json_object('id', id, 'before', old, 'after', new,
                   'why', 'node names are unique across types since schema 20')
  FROM node_renames;

DROP TABLE series_moves;
DROP TABLE node_renames;

CREATE UNIQUE INDEX nodes_name ON nodes(name);
