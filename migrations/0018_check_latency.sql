-- Schema 18: the sum of the runs' latencies (seconds: a ping's round-trip time, an HTTP request's
-- total time) per stretch of outcomes, so that a check's average response over any window comes
-- from the stretches alone, as its uptime does, without reading the time-series store. NULL for
-- stretches written before and for down stretches (a failed run's time is its timeout).
ALTER TABLE check_outcomes ADD COLUMN latency_sum REAL;
