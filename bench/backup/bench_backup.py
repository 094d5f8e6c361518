"""Driver of bench/backup/run.sh (python3 stdlib only): a server with 10 M samples and 10,000
checks, backed up by `telltale backup` while a client reads the API, beside `sqlite3 .backup`
plus `zstd` of the same data directory. Writes bench/BACKUP_RESULTS.md."""

import datetime
import http.client
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import procs  # noqa: E402

log = procs.logger("backup-bench")
RESULTS = os.path.join(procs.ROOT, "bench", "BACKUP_RESULTS.md")
SERIES = int(os.environ.get("BENCH_BACKUP_SERIES", "1000"))
SAMPLES = int(os.environ.get("BENCH_BACKUP_SAMPLES", "10000"))  # per series: 10 M in all
CHECKS = int(os.environ.get("BENCH_BACKUP_CHECKS", "10000"))
STEP_MS = 60_000


def fill(server):
    log(f"{CHECKS} checks")
    server.create_checks({"name": f"check-{i}", "kind": "http", "target": f"http://10.9.{i // 250}.{i % 250}/",
                          "interval": "1m", "enabled": False} for i in range(CHECKS))
    log(f"{SERIES} series x {SAMPLES} samples")
    start = int(time.time() * 1000) - SAMPLES * STEP_MS
    conn = http.client.HTTPConnection(procs.HOST, server.port, timeout=120)
    per_batch = max(1, 200_000 // SAMPLES)  # series per request: about 200,000 samples each
    for first in range(0, SERIES, per_batch):
        lines = []
        for s in range(first, min(SERIES, first + per_batch)):
            value = 20.0 + (s % 17)
            for k in range(SAMPLES):
                value += ((k * 7919 + s) % 21 - 10) / 100
                lines.append(f'bench_temp{{sensor="s{s}",site="site{s % 10}"}} {value:.2f} {start + k * STEP_MS}\n')
        conn.request("POST", "/api/v1/import/prometheus", "".join(lines).encode(),
                     {"Authorization": "Bearer " + server.token, "Content-Type": "text/plain"})
        r = conn.getresponse()
        r.read()
        if r.status not in (200, 204):
            raise RuntimeError(f"import: {r.status}")
    conn.close()


def latencies(server, stop, out):
    """GET /api/v1/checks?per_page=50 one after another until `stop`; each time in ms."""
    conn = http.client.HTTPConnection(procs.HOST, server.port, timeout=60)
    while not stop.is_set():
        t = time.perf_counter()
        conn.request("GET", "/api/v1/checks?per_page=50", headers={"Authorization": "Bearer " + server.token})
        conn.getresponse().read()
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.01)
    conn.close()


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def timed(args):
    procs.commands.append(" ".join(args).replace(procs.WORK, "$TMP"))
    t = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t


def size(*paths):
    return sum(os.path.getsize(p) for p in paths)


def main():
    os.makedirs(procs.OUT, exist_ok=True)
    server = procs.Telltale("server", ["--max-body", str(64 << 20)])
    fill(server)
    data = server.data
    time.sleep(2)

    baseline = []
    stop = threading.Event()
    t = threading.Thread(target=latencies, args=(server, stop, baseline))
    t.start()
    time.sleep(15)
    stop.set()
    t.join()

    during = []
    stop = threading.Event()
    t = threading.Thread(target=latencies, args=(server, stop, during))
    t.start()
    out = os.path.join(procs.WORK, "telltale.backup")
    backup_s = timed([procs.BINARY, "backup", "--data", data, "--out", out])
    stop.set()
    t.join()
    backup_bytes = size(out)

    # The peer: SQLite's own online backup of the same database, and zstd (its default level)
    # of it and of the time-series log's segments, which a backup of the directory needs too.
    peer_db = os.path.join(procs.WORK, "peer.db")
    segments = [os.path.join(data, "tsdb", f) for f in sorted(os.listdir(os.path.join(data, "tsdb")))
                if f.endswith(".log")]
    t0 = time.perf_counter()
    timed(["sqlite3", os.path.join(data, "telltale.db"), f".backup {peer_db}"])
    peer_files = []
    for path in [peer_db, *segments]:
        peer_files.append(os.path.join(procs.WORK, os.path.basename(path) + ".zst"))
        timed(["zstd", "-q", "-f", path, "-o", peer_files[-1]])
    peer_s = time.perf_counter() - t0
    peer_bytes = size(*peer_files)
    raw_bytes = size(os.path.join(data, "telltale.db"), *segments)

    R = {
        "raw": raw_bytes, "backup_s": backup_s, "backup_bytes": backup_bytes,
        "peer_s": peer_s, "peer_bytes": peer_bytes,
        "p50_base": p(baseline, 0.5), "p99_base": p(baseline, 0.99), "n_base": len(baseline),
        "p50_during": p(during, 0.5), "p99_during": p(during, 0.99), "n_during": len(during),
    }
    write(R)
    procs.stop_all()


def write(R):
    mib = lambda b: f"{b / 2**20:.1f} MiB"
    lines = [
        "# Backup benchmark",
        "",
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC with `bash bench/backup/run.sh` "
        f"on {os.cpu_count()} cores: a server holding {SERIES * SAMPLES:,} samples ({SERIES:,} series, one a "
        f"minute) and {CHECKS:,} checks; its data directory {mib(R['raw'])} (database and the log's segments).",
        "",
        "| | time | size | size / data directory |",
        "|---|---|---|---|",
        f"| `telltale backup` (online copy, gzip -6, one file) | {R['backup_s']:.1f} s | {mib(R['backup_bytes'])} | "
        f"{R['backup_bytes'] / R['raw']:.3f} |",
        f"| `sqlite3 .backup` + `zstd` (default level, one file per input) | {R['peer_s']:.1f} s | "
        f"{mib(R['peer_bytes'])} | {R['peer_bytes'] / R['raw']:.3f} |",
        f"| ratio Telltale / peer | {R['backup_s'] / R['peer_s']:.2f}x | {R['backup_bytes'] / R['peer_bytes']:.2f}x | |",
        "",
        "The API while it runs (`GET /api/v1/checks?per_page=50`, one after another with 10 ms between):",
        "",
        "| | requests | p50 | p99 |",
        "|---|---|---|---|",
        f"| without a backup (15 s) | {R['n_base']} | {R['p50_base']:.1f} ms | {R['p99_base']:.1f} ms |",
        f"| during `telltale backup` | {R['n_during']} | {R['p50_during']:.1f} ms | {R['p99_during']:.1f} ms |",
        "",
        "Commands:",
        "",
        *[f"    {c}" for c in procs.commands],
        "",
    ]
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
