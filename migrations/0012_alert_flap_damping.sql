-- Schema 12: flap damping of alert rules. A label set that fired `flap_fires` times within
-- `flap_window_ms` is flapping: it stays firing until it has been gone for a whole window (0:
-- no damping, as Prometheus). The flag is stored on the alert at its firing, so a restart keeps it.
ALTER TABLE alert_rules ADD COLUMN flap_fires INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_rules ADD COLUMN flap_window_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
