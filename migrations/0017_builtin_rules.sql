-- Schema 17: built-in alert rules. A rule made from one of Telltale's built-in definitions
-- (alerts/builtin.h) keeps that definition's key; it is an ordinary rule in every other way
-- (edited, disabled, deleted like any). Which keys a database has already been given is kept in
-- `settings` ('alerts.builtin.<key>'), not here: a rule the user deleted is not made again.
ALTER TABLE alert_rules ADD COLUMN builtin TEXT;
