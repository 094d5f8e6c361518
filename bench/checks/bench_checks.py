#!/usr/bin/env python3
"""Check benchmarks (python3 stdlib only), started by bench/checks/run.sh:

1. CPU of 1,000 ICMP checks at 1 s (one packet each) beside `fping -l` pinging the same 1,000
   addresses of 127.0.0.0/8 at the same rate, over the same measured window. fping runs in a
   network namespace of its own (when root), so neither pinger's raw socket also receives the
   other's 1,000 replies a second.
2. CPU and RSS of 5,000 HTTP checks at 10 s against a local server beside Debian's
   prometheus-blackbox-exporter probing the same URLs at the same rate (driven by this script).
3. Scheduling lateness (p50/p99 from telltale_scheduler_lateness_seconds) with 10,000 checks.

Telltale's CPU includes storing every result (samples, outcome stretches): that is its real cost.
Everything listens on and probes 127.0.0.0/8 only."""

import datetime
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from procs import (OUT, ROOT, commands, cpu_s, logger, rss_kib, start, start_blackbox, stop,  # noqa: E402
                   stop_all, Telltale, blackbox_driver)

RESULTS = os.path.join(ROOT, "bench", "CHECKS_RESULTS.md")
HOST = "127.0.0.1"
SCALE = float(os.environ.get("BENCH_CHECKS_SCALE", "1"))
WINDOW_S = int(os.environ.get("BENCH_CHECKS_WINDOW_S", "30"))
log = logger("bench-checks")


def loopback_targets(n, base=1):
    """n distinct addresses of 127.0.0.0/8 (all answered by the loopback interface)."""
    return [f"127.{base + i // 250}.0.{i % 250 + 1}" for i in range(n)]


def measure(procs_by_name, seconds):
    before = {k: cpu_s(p.pid) for k, p in procs_by_name.items()}
    t0 = time.time()
    rss_max = {k: 0 for k in procs_by_name}
    while time.time() - t0 < seconds:
        time.sleep(1)
        for k, p in procs_by_name.items():
            rss_max[k] = max(rss_max[k], rss_kib(p.pid))
    wall = time.time() - t0
    return {k: (cpu_s(p.pid) - before[k]) / wall for k, p in procs_by_name.items()}, rss_max, wall


def lateness_quantiles(text):
    buckets = []
    for m in re.finditer(r'^telltale_scheduler_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M):
        le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
        buckets.append((le, float(m.group(2))))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0

    def q(p):
        want = p * total
        prev_le, prev_c = 0.0, 0.0
        for le, c in buckets:
            if c >= want:
                if le == float("inf"):
                    return prev_le
                return prev_le + (le - prev_le) * ((want - prev_c) / max(c - prev_c, 1e-9))
            prev_le, prev_c = le, c
        return float("nan")
    return q(0.5), q(0.99), int(total)


def bench_icmp(rows):
    n = int(1000 * SCALE)
    targets = loopback_targets(n)
    tt = Telltale("tt-icmp")
    tt.create_checks([{"name": f"icmp-{i}", "kind": "icmp", "target": t, "interval": "1s", "timeout": "900ms",
                       "options": {"packets": 1}} for i, t in enumerate(targets)])
    netns = []
    if os.geteuid() == 0:
        ns = f"telltale-bench-{os.getpid()}"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        netns = ["ip", "netns", "exec", ns]  # execs fping: the pid measured is fping's
    fping = start("fping", [*netns, "fping", "-l", "-q", "-p", "1000", "-i", "1", "-t", "900", *targets])
    time.sleep(10)  # every check scheduled, heads warm
    cpu, rss, wall = measure({"telltale": tt.proc, "fping": fping}, WINDOW_S)
    m = tt.metrics()
    runs = sum(float(v) for v in re.findall(r'^telltale_check_runs_total\{kind="icmp",outcome="up"\} (\S+)$', m, re.M))
    p50, p99, count = lateness_quantiles(m)
    stop(fping)
    if netns:
        subprocess.run(["ip", "netns", "delete", netns[3]], check=False)
    stop(tt.proc)
    rows["icmp"] = dict(n=n, cpu=cpu, rss=rss, wall=wall, runs=runs, p50=p50, p99=p99)
    log(f"icmp: telltale {cpu['telltale']:.3f} CPU s/s, fping {cpu['fping']:.3f}")


def bench_http(rows):
    n = int(5000 * SCALE)
    target = Telltale("tt-target")  # a C++ server answering /healthz, so the target is not the bottleneck
    url = f"http://{HOST}:{target.port}/healthz"
    urls = [url + f"?i={i}" for i in range(n)]
    tt = Telltale("tt-http")
    tt.create_checks([{"name": f"http-{i}", "kind": "http", "target": u, "interval": "10s", "timeout": "5s"}
                      for i, u in enumerate(urls)])
    bb, bb_port = start_blackbox()
    stop_driver = threading.Event()
    # The same rate as the checks: every URL once per 10 s, spread evenly.
    blackbox_driver(bb_port, urls, 10.0, stop_driver)
    time.sleep(12)
    cpu, rss, wall = measure({"telltale": tt.proc, "blackbox": bb}, WINDOW_S)
    stop_driver.set()
    m = tt.metrics()
    p50, p99, count = lateness_quantiles(m)
    for p in (bb, tt.proc, target.proc):
        stop(p)
    rows["http"] = dict(n=n, cpu=cpu, rss=rss, wall=wall, p50=p50, p99=p99)
    log(f"http: telltale {cpu['telltale']:.3f} CPU s/s {rss['telltale']} KiB, blackbox {cpu['blackbox']:.3f} {rss['blackbox']} KiB")


def bench_lateness(rows):
    n = int(10000 * SCALE)
    tt = Telltale("tt-sched")
    tt.create_checks([{"name": f"s-{i}", "kind": "icmp", "target": t, "interval": "10s", "timeout": "2s",
                       "options": {"packets": 1}} for i, t in enumerate(loopback_targets(n, base=20))])
    time.sleep(10)
    before = lateness_quantiles(tt.metrics())
    cpu, rss, wall = measure({"telltale": tt.proc}, WINDOW_S)
    p50, p99, count = lateness_quantiles(tt.metrics())
    stop(tt.proc)
    rows["sched"] = dict(n=n, cpu=cpu, rss=rss, p50=p50, p99=p99, count=count - before[2])
    log(f"lateness: p50 {p50 * 1000:.2f} ms p99 {p99 * 1000:.2f} ms over {count} runs")


def main():
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    rows = {}
    bench_icmp(rows)
    bench_http(rows)
    bench_lateness(rows)
    version = subprocess.run(["fping", "-v"], capture_output=True, text=True).stdout.strip()
    bbv = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "prometheus-blackbox-exporter"], capture_output=True,
                         text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    i, h, s = rows["icmp"], rows["http"], rows["sched"]
    ratio_i = i["cpu"]["telltale"] / max(i["cpu"]["fping"], 1e-9)
    ratio_h = h["cpu"]["telltale"] / max(h["cpu"]["blackbox"], 1e-9)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Telltale check benchmarks", "",
        f"Run {now} by `bash bench/checks/run.sh` in {time.time() - t0:.0f} s, telltale {commit} (Release), "
        f"{version}, prometheus-blackbox-exporter {bbv}; {os.cpu_count()} CPUs. CPU is utime+stime from "
        f"`/proc/PID/stat` over the same {WINDOW_S} s window for both processes, after a warm-up; every target is in "
        "127.0.0.0/8. Telltale's CPU includes storing each result (samples in the time-series store, outcome "
        "stretches, state).", "",
        "| workload | telltale CPU s/s | peer | peer CPU s/s | telltale / peer | target | telltale RSS max | peer RSS max |",
        "|---|---|---|---|---|---|---|---|",
        f"| {i['n']:,} ICMP checks at 1 s, 1 packet | {i['cpu']['telltale']:.3f} | `fping -l -p 1000 -i 1` | "
        f"{i['cpu']['fping']:.3f} | {ratio_i:.2f}× | ≤ 1.0× **{'PASS' if ratio_i <= 1.0 else 'MISS'}** | "
        f"{i['rss']['telltale'] / 1024:.1f} MiB | {i['rss']['fping'] / 1024:.1f} MiB |",
        f"| {h['n']:,} HTTP checks at 10 s | {h['cpu']['telltale']:.3f} | blackbox_exporter `/probe` at the same rate | "
        f"{h['cpu']['blackbox']:.3f} | {ratio_h:.2f}× | (none) | {h['rss']['telltale'] / 1024:.1f} MiB | "
        f"{h['rss']['blackbox'] / 1024:.1f} MiB |", "",
        "Scheduling lateness (time from a run's slot to its start, `telltale_scheduler_lateness_seconds`):", "",
        "| checks | interval | runs measured | p50 | p99 | CPU s/s | RSS max |",
        "|---|---|---|---|---|---|---|",
        f"| {i['n']:,} ICMP | 1 s | {int(i['runs']):,} (up) | {i['p50'] * 1000:.2f} ms | {i['p99'] * 1000:.2f} ms | "
        f"{i['cpu']['telltale']:.3f} | {i['rss']['telltale'] / 1024:.1f} MiB |",
        f"| {h['n']:,} HTTP | 10 s | | {h['p50'] * 1000:.2f} ms | {h['p99'] * 1000:.2f} ms | {h['cpu']['telltale']:.3f} | "
        f"{h['rss']['telltale'] / 1024:.1f} MiB |",
        f"| {s['n']:,} ICMP | 10 s | {s['count']:,} | {s['p50'] * 1000:.2f} ms | {s['p99'] * 1000:.2f} ms | "
        f"{s['cpu']['telltale']:.3f} | {s['rss']['telltale'] / 1024:.1f} MiB |", "",
        "Quantiles are interpolated inside the histogram's buckets (0.5 ms … 10 s).", "",
        "Commands:", "", "```", *commands, "```", ""]
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {RESULTS}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
