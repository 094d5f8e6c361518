-- Schema 11: the SNMPv3 users the trap receiver accepts, as snmptrapd's `createUser -e`. A
-- trap's sender is the authoritative engine, so a user is known by the sender's engine id and its
-- name, and its keys are localised to that engine id. The passwords are kept as typed (USM needs
-- them to derive the keys); the API never returns them.
CREATE TABLE snmp_trap_users (
  id            INTEGER PRIMARY KEY,
  engine_id     BLOB NOT NULL,   -- the sender's snmpEngineID, 5 to 32 bytes
  user          TEXT NOT NULL,
  auth_protocol TEXT NOT NULL CHECK (auth_protocol IN ('none', 'md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512')),
  auth_password TEXT NOT NULL DEFAULT '',
  priv_protocol TEXT NOT NULL CHECK (priv_protocol IN ('none', 'des', 'aes', 'aes192', 'aes256')),
  priv_password TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (engine_id, user)
);
