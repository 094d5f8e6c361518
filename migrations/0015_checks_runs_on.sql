-- Schema 15: checks that run on an agent. The hub keeps scheduling such a check, and sends each run
-- to the agent of the `runs_on` node, which runs the probe from its host (a site behind NAT, a
-- second vantage point) and answers with what it saw. No foreign key: a check whose host was
-- deleted stays, and its runs say that no agent answers, as they do while its agent is offline.
ALTER TABLE checks ADD COLUMN runs_on INTEGER;
