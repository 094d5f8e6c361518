-- Schema 13: nodes by address. The trap recorder names the node of each trap's sender inside the
-- writer's transaction; without an index that is a scan of every node per sender and batch.
CREATE INDEX nodes_address ON nodes(address);
