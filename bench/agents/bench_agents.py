#!/usr/bin/env python3
"""Agent benchmarks (python3 stdlib only), started by bench/agents/run.sh:

1. `telltale agent` collecting this machine every 1 s and every 10 s and pushing to a hub, beside
   Debian's prometheus-node-exporter scraped at the same interval by Debian's Prometheus in agent
   mode (a scraper with a write-ahead log and nothing else): each process's CPU seconds per
   minute over the same window and its RSS (mean and peak of samples every 2 s). Targets: agent
   RSS <= 0.5x node_exporter's; agent CPU <= 0.5x node_exporter's plus the scraper's. The agent's
   CPU includes compressing, buffering (at its default --buffer-sync: no sync while the hub
   acknowledges in time) and sending; the hub's is not counted, as the scraper's storage is not.
2. The hub under `telltale sim`: 1,000 agents x 300 series every 10 s (BENCH_AGENTS_SCALE scales
   the agents), for BENCH_AGENTS_HUB_S seconds: hub CPU and RSS, the p50/p99/max time from a batch
   sent to its acknowledgement, and whether every sample sent was stored (the hub's
   telltale_ingest_samples_total against what sim sent).
3. Checks that run on an agent: 1,000 HTTP checks every 10 s made by one agent for its hub, beside
   Debian's prometheus-blackbox-exporter probing the same URLs at the same rate, and the same
   checks made by the hub itself: CPU per 1,000 runs of the agent, of the hub concluding the
   agent's answers, of the hub making them itself, and of blackbox_exporter.
4. Replay after an outage: a week of this machine's collections at 10 s (60,480 batches, values
   moving as counters and gauges do) in an agent's buffer, as a week without its hub leaves it;
   the agent starts and replays them while collecting live. The time until its first live
   collection is stored at the hub and until the whole week is, the hub's and the agent's CPU,
   and the hub's bytes per stored sample against the same samples imported in time order into a
   second hub (`/api/v1/import/prometheus`) in the same run: what replaying behind live samples
   costs the store.

BENCH_AGENTS_ONLY=replay runs only the last and replaces its section in the results."""

import datetime
import http.client
import json
import os
import re
import subprocess
import sys
import math
import struct
import threading
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from procs import (HOST, OUT, PIDFILE, ROOT, WORK, BINARY, cpu_s, free_port, logger, rss_kib,  # noqa: E402
                   start, start_blackbox, stop, stop_all, wait_http, write_bytes, Telltale, blackbox_driver)

RESULTS = os.path.join(ROOT, "bench", "AGENT_RESULTS.md")
SCALE = float(os.environ.get("BENCH_AGENTS_SCALE", "1"))
HUB_S = int(os.environ.get("BENCH_AGENTS_HUB_S", "120"))
WINDOWS = {1: int(os.environ.get("BENCH_AGENTS_WINDOW_1S", "60")),
           10: int(os.environ.get("BENCH_AGENTS_WINDOW_10S", "180"))}
CHECKS_WINDOW_S = int(os.environ.get("BENCH_AGENTS_CHECKS_WINDOW_S", "60"))
REPLAY_RECORDS = int(os.environ.get("BENCH_AGENTS_REPLAY_RECORDS", "60480"))
ONLY = os.environ.get("BENCH_AGENTS_ONLY", "")
log = logger("bench-agents")


class Sampler:
    """CPU over a window and RSS every 2 s, of several processes."""

    def __init__(self, pids):
        self.pids = pids
        self.rss = {n: [] for n in pids}

    def run(self, seconds):
        cpu0 = {n: cpu_s(p) for n, p in self.pids.items()}
        io0 = {n: write_bytes(p) for n, p in self.pids.items()}
        t0 = time.time()
        while time.time() - t0 < seconds:
            for n, p in self.pids.items():
                self.rss[n].append(rss_kib(p))
            time.sleep(2)
        elapsed = time.time() - t0
        return {n: {"cpu_s_per_min": (cpu_s(p) - cpu0[n]) * 60 / elapsed,
                    "rss_mean_kib": sum(self.rss[n]) / len(self.rss[n]),
                    "rss_peak_kib": max(self.rss[n]),
                    "written_bytes": write_bytes(p) - io0[n],
                    "seconds": elapsed}
                for n, p in self.pids.items()}


def agent_vs_node_exporter(hub, interval):
    ne_port, prom_port = free_port(), free_port()
    ne = start(f"node-exporter-{interval}s", ["prometheus-node-exporter", f"--web.listen-address={HOST}:{ne_port}"])
    wait_http(ne_port, "/metrics")
    cfg = os.path.join(WORK, f"prom-{interval}.yml")
    with open(cfg, "w") as f:
        f.write(f"global:\n  scrape_interval: {interval}s\n  scrape_timeout: {int(min(interval, 10) * 900)}ms\n"
                f"scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['{HOST}:{ne_port}']\n")
    prom = start(f"prometheus-agent-{interval}s",
                 ["prometheus", "--enable-feature=agent", f"--config.file={cfg}",
                  f"--storage.agent.path={os.path.join(WORK, f'prom-wal-{interval}')}",
                  f"--web.listen-address={HOST}:{prom_port}"])
    wait_http(prom_port, "/-/ready")
    agent = start(f"agent-{interval}s", [BINARY, "agent", "--hub", hub.url, "--token", hub.token,
                                         "--interval", f"{interval}s", "--buffer-dir",
                                         os.path.join(WORK, f"agent-buf-{interval}"),
                                         "--docker-socket", "/nonexistent.sock"])
    time.sleep(max(10, 3 * interval))  # registered, collecting, scraped, warm
    window = WINDOWS[interval]
    log(f"measuring agent and node_exporter at {interval} s for {window} s")
    m = Sampler({"agent": agent.pid, "node_exporter": ne.pid, "prometheus_agent": prom.pid}).run(window)
    collections = window / interval
    m["agent"]["written_per_collection"] = m["agent"]["written_bytes"] / collections
    series = len([l for l in subprocess.run([BINARY, "agent", "--once", "--print", "--docker-socket",
                                             "/nonexistent.sock"], capture_output=True, text=True).stdout.splitlines()
                  if l and not l.startswith("#")])
    scraped = 0
    try:
        c = http.client.HTTPConnection(HOST, ne_port, timeout=10)
        c.request("GET", "/metrics")
        scraped = len([l for l in c.getresponse().read().decode().splitlines() if l and not l.startswith("#")])
    except OSError:
        pass
    for p in (agent, prom, ne):
        stop(p)
    return {"interval": interval, "m": m, "agent_series": series, "node_exporter_series": scraped}


def hub_under_sim():
    hub = Telltale("hub-sim")
    agents = max(1, int(1000 * SCALE))
    hub_pid = hub.proc.pid
    log(f"hub: {agents} simulated agents x 300 series every 10 s for {HUB_S} s")
    cpu0 = cpu_s(hub_pid)
    sim = subprocess.Popen([BINARY, "sim", "--hub", hub.url, "--token", hub.token, "--agents", str(agents),
                            "--series", "300", "--interval", "10s", "--duration", f"{HUB_S}s", "--threads", "2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=WORK)
    with open(PIDFILE, "a") as f:
        f.write(f"{sim.pid}\n")
    rss = []
    lines = []
    t0 = time.time()
    while sim.poll() is None:
        rss.append(rss_kib(hub_pid))
        time.sleep(2)
    out, err = sim.communicate()
    lines = out.splitlines()
    elapsed = time.time() - t0
    hub_cpu = cpu_s(hub_pid) - cpu0
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    stored = hub.metric("telltale_ingest_samples_total")
    stop(hub.proc)
    return {"agents": agents, "summary": summary, "stored": stored, "hub_cpu_s": hub_cpu,
            "elapsed": elapsed, "rss_mean_kib": sum(rss) / max(1, len(rss)), "rss_peak_kib": max(rss or [0]),
            "sim_stdout": "\n".join(lines[-8:]), "sim_stderr": err[-2000:]}


def agent_node(hub):
    status, body = hub.request("GET", "/api/v1/nodes")
    nodes = [n for n in json.loads(body)["data"] if n["metadata"].get("agent_version")] if status == 200 else []
    return nodes[0]["id"] if nodes else None


def remote_checks():
    n = max(1, int(1000 * SCALE))
    target = Telltale("checks-target")  # answers /healthz in C++: the target is not the bottleneck
    urls = [f"{target.url}/healthz?i={i}" for i in range(n)]
    hub = Telltale("hub-checks")
    agent = start("agent-checks", [BINARY, "agent", "--hub", hub.url, "--token", hub.token, "--interval", "10s",
                                   "--buffer-dir", os.path.join(WORK, "agent-buf-checks"),
                                   "--docker-socket", "/nonexistent.sock"])
    deadline = time.time() + 30
    while (node := agent_node(hub)) is None and time.time() < deadline:
        time.sleep(0.2)
    hub.create_checks([{"name": f"http-{i}", "kind": "http", "target": u, "interval": "10s", "timeout": "5s",
                        "runs_on": node} for i, u in enumerate(urls)])

    def window(pids, counter):
        time.sleep(15)  # every check scheduled and run once
        runs0 = hub.metric(*counter)
        m = Sampler(pids).run(CHECKS_WINDOW_S)
        return m, hub.metric(*counter) - runs0

    log(f"checks: {n} HTTP checks every 10 s made by the agent for {CHECKS_WINDOW_S} s")
    remote, remote_runs = window({"agent": agent.pid, "hub": hub.proc.pid},
                                 ("telltale_agent_check_runs_total", 'outcome="answered"'))
    log("checks: the same made by the hub")
    ids = []
    for page in range(1, n // 500 + 2):
        ids += [c["id"] for c in json.loads(hub.request("GET", f"/api/v1/checks?per_page=500&page={page}")[1])["data"]]
    hub.send_all("PATCH", [(f"/api/v1/checks/{i}", {"runs_on": None}) for i in ids], 200)
    local, local_runs = window({"hub": hub.proc.pid}, ("telltale_check_runs_total", 'kind="http",outcome="up"'))
    stop(agent)
    stop(hub.proc)
    log("checks: blackbox_exporter probing the same URLs at the same rate")
    bb, bb_port = start_blackbox()
    stop_driver = threading.Event()
    blackbox_driver(bb_port, urls, 10.0, stop_driver)
    time.sleep(5)
    bb_m = Sampler({"blackbox": bb.pid}).run(CHECKS_WINDOW_S)
    stop_driver.set()
    stop(bb)
    stop(target.proc)
    per_k = lambda m, runs: m["cpu_s_per_min"] * m["seconds"] / 60 / max(1, runs) * 1000
    bb_runs = n * bb_m["blackbox"]["seconds"] / 10
    return {"n": n, "rows": [
        ("agent (makes the runs)", per_k(remote["agent"], remote_runs), remote["agent"]["rss_peak_kib"], remote_runs),
        ("hub (sends runs, concludes on the answers)", per_k(remote["hub"], remote_runs), remote["hub"]["rss_peak_kib"],
         remote_runs),
        ("hub (makes the runs itself)", per_k(local["hub"], local_runs), local["hub"]["rss_peak_kib"], local_runs),
        ("blackbox_exporter (probes)", per_k(bb_m["blackbox"], bb_runs), bb_m["blackbox"]["rss_peak_kib"], bb_runs)]}


def day_of_collections(n, end_ms):
    """n collections of this machine 10 s apart ending at end_ms, as Prometheus text: the agent's
    own collection, its counters growing and its gauges moving from one to the next."""
    text = subprocess.run([BINARY, "agent", "--once", "--print", "--docker-socket", "/nonexistent.sock"],
                          capture_output=True, text=True, check=True).stdout
    lines = []
    for i, line in enumerate(l for l in text.splitlines() if l and not l.startswith("#")):
        name, _, value = line.rpartition(" ")
        lines.append((name, float(value), name.split("{")[0].endswith("_total"), 1 + i % 97))
    for k in range(n):
        out = []
        for name, v, counter, step in lines:
            v = v + k * step if counter else round(v * (1 + 0.02 * math.sin(k / 30 + step)), 3)
            out.append(f"{name} {v!r}\n")
        yield end_ms - (n - 1 - k) * 10_000, "".join(out)


def write_buffer(directory, records, per_segment=20_000):
    """(seq, time, text) records as an agent's buffer holds them: segment files named by their
    first seq, records of [u32 length][u32 crc32 of seq and payload][u64 seq][zlib of the batch]."""
    os.makedirs(directory)
    f = None
    for i, (seq, t, text) in enumerate(records):
        if i % per_segment == 0:
            if f:
                f.close()
            f = open(os.path.join(directory, "%016x.seg" % seq), "wb")
        payload = zlib.compress(json.dumps({"type": "batch", "time": t, "prometheus": text}).encode())
        f.write(struct.pack("<IIQ", len(payload), zlib.crc32(struct.pack("<Q", seq) + payload), seq) + payload)
    f.close()


def data_bytes(directory):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(directory) for f in files)


def replay():
    hub = Telltale("hub-replay")
    start_ms = int(time.time() * 1000)
    day = list(day_of_collections(REPLAY_RECORDS, start_ms - 60_000))
    samples = REPLAY_RECORDS * day[0][1].count("\n")
    buf = os.path.join(WORK, "agent-buf-replay")
    write_buffer(buf, ((k + 1, t, text) for k, (t, text) in enumerate(day)))
    log(f"replay: {REPLAY_RECORDS} buffered collections ({samples} samples) to a hub")
    node_up = urllib.parse.urlencode({"match": 'up{job="node"}', "from": str(start_ms)})
    backlog_up = urllib.parse.urlencode({"match": 'up{job="node"}', "from": str(day[0][0]),
                                         "to": str(day[-1][0])})
    hub_cpu0 = cpu_s(hub.proc.pid)
    t0 = time.time()
    agent = start("agent-replay", [BINARY, "agent", "--hub", hub.url, "--token", hub.token, "--interval", "10s",
                                   "--buffer-dir", buf, "--docker-socket", "/nonexistent.sock"])
    live_s = stored_at_live = None
    rss = []
    while True:
        stored = hub.metric("telltale_ingest_batches_total", 'outcome="stored"')
        if live_s is None:
            status, body = hub.request("GET", "/api/v1/query_range?" + node_up)
            if status == 200 and json.loads(body)["data"]["series"]:
                live_s, stored_at_live = time.time() - t0, stored
        rss.append(rss_kib(hub.proc.pid))
        if stored >= REPLAY_RECORDS:  # live batches count too: done when the backlog's are all in
            status, body = hub.request("GET", "/api/v1/query_range?" + backlog_up)
            series = json.loads(body)["data"]["series"] if status == 200 else []
            if series and len(series[0]["timestamps"]) >= REPLAY_RECORDS:
                break
        if time.time() - t0 > 1800:
            raise RuntimeError("replay: not done in 30 min")
        time.sleep(0.2)
    done_s = time.time() - t0
    hub_cpu, agent_cpu = cpu_s(hub.proc.pid) - hub_cpu0, cpu_s(agent.pid)
    stop(agent)
    stop(hub.proc)  # a clean stop cuts every head into chunks
    replayed_bytes = data_bytes(hub.data)

    log("replay: the same samples imported in time order into a second hub")
    inorder = Telltale("hub-inorder")
    labels = 'instance="{0}",job="node",node="{0}"'.format(os.uname().nodename)
    inorder_rss = []
    inorder_t0 = time.time()
    for at in range(0, REPLAY_RECORDS, 64):
        if at % 1024 == 0:
            inorder_rss.append(rss_kib(inorder.proc.pid))
        text = []
        for t, body in day[at:at + 64]:
            for line in body.splitlines():
                name, _, value = line.rpartition(" ")
                name = name[:-1] + "," + labels + "}" if name.endswith("}") else name + "{" + labels + "}"
                text.append(f"{name} {value} {t}\n")
        c = http.client.HTTPConnection(HOST, inorder.port, timeout=60)
        c.request("POST", "/api/v1/import/prometheus", "".join(text).encode(),
                  {"Authorization": "Bearer " + inorder.token, "Content-Type": "text/plain"})
        r = c.getresponse()
        r.read()
        c.close()
        if r.status not in (200, 204):
            raise RuntimeError(f"import: {r.status}")
    inorder_s = time.time() - inorder_t0
    inorder_rss.append(rss_kib(inorder.proc.pid))
    stop(inorder.proc)
    inorder_bytes = data_bytes(inorder.data)
    return {"records": REPLAY_RECORDS, "samples": samples, "live_s": live_s, "stored_at_live": stored_at_live,
            "done_s": done_s, "hub_cpu_s": hub_cpu, "agent_cpu_s": agent_cpu, "rss_peak_kib": max(rss or [0]),
            "replayed_bytes": replayed_bytes, "inorder_bytes": inorder_bytes, "inorder_s": inorder_s,
            "inorder_rss_peak_kib": max(inorder_rss)}


def replay_section(r):
    live = (f"{r['live_s']:.1f} s after the agent started, with {r['stored_at_live']:.0f} of {r['records']:,} "
            "replayed batches stored by then" if r["live_s"] is not None else "NOT SEEN")
    return ["## Replay after an outage", "",
            f"Measured on {datetime.date.today()}. {r['records']:,} collections of this machine 10 s apart "
            f"({r['records'] * 10 / 86400:.1f} days, {r['samples']:,} samples, values moving as counters and gauges do) "
            "wait in an agent's buffer, as an outage of its hub leaves them; the agent starts, collects live every "
            "10 s and replays the backlog to a hub on loopback. Then the same samples are imported in time order "
            "into a second hub, for the bytes.", "",
            "| measure | value |", "|---|---|",
            f"| first live collection stored at the hub | {live} |",
            f"| whole backlog stored | {r['done_s']:.1f} s: {r['records'] * 10 / r['done_s']:.0f}x real time, "
            f"{r['samples'] / r['done_s']:,.0f} samples/s |",
            f"| hub CPU / agent CPU during the replay | {r['hub_cpu_s']:.1f} s / {r['agent_cpu_s']:.1f} s "
            f"({r['hub_cpu_s'] * 1e6 / r['samples']:.2f} / {r['agent_cpu_s'] * 1e6 / r['samples']:.2f} µs per sample) |",
            f"| hub RSS peak during the replay / during the import in order | {r['rss_peak_kib'] / 1024:.0f} / "
            f"{r['inorder_rss_peak_kib'] / 1024:.0f} MiB (the import took {r['inorder_s']:.0f} s, one request of "
            "64 collections at a time) |",
            f"| hub data after the replay / after the same samples imported in order | "
            f"{r['replayed_bytes'] / r['samples']:.2f} / {r['inorder_bytes'] / r['samples']:.2f} bytes per sample "
            f"({r['replayed_bytes'] / r['inorder_bytes']:.2f}x) |", ""]


def replace_section(lines):
    """The results file with the section under `lines`' heading replaced (or added)."""
    with open(RESULTS) as f:
        parts = f.read().rstrip("\n").split("\n## ")
    kept = [p for p in parts if not ("## " + p).startswith(lines[0])]
    with open(RESULTS, "w") as f:
        f.write("\n## ".join(kept) + "\n\n" + "\n".join(lines))


def pkg(p):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True)
    return r.stdout.strip() or "?"


def main():
    os.makedirs(OUT, exist_ok=True)
    if ONLY == "replay":
        replace_section(replay_section(replay()))
        log(f"wrote {RESULTS}")
        return
    hub = Telltale("hub")
    runs = [agent_vs_node_exporter(hub, i) for i in (1, 10)]
    stop(hub.proc)
    h = hub_under_sim()
    c = remote_checks()
    r = replay()
    write(runs, h, c, r)


def write(runs, h, c, r):
    L = ["# Agent results", "",
         f"Generated by `bash bench/agents/run.sh` on {datetime.date.today()} "
         f"({os.cpu_count()} cores; prometheus-node-exporter {pkg('prometheus-node-exporter')}, "
         f"prometheus {pkg('prometheus')}). Shared, noisy machine: read the ratios.", "",
         "## Agent beside node_exporter", "",
         "The agent collects this machine and pushes to a hub on loopback; node_exporter is scraped by "
         "Prometheus in agent mode at the same interval. CPU is seconds of CPU per minute over the same "
         "window; RSS sampled every 2 s.", "",
         "| interval | process | CPU s/min | RSS mean | RSS peak | series |", "|---|---|---|---|---|---|"]
    checks = []
    for r in runs:
        m = r["m"]
        for n in ("agent", "node_exporter", "prometheus_agent"):
            series = r["agent_series"] if n == "agent" else r["node_exporter_series"] if n == "node_exporter" else ""
            L.append(f"| {r['interval']} s | {n} | {m[n]['cpu_s_per_min']:.3f} | {m[n]['rss_mean_kib'] / 1024:.1f} MiB "
                     f"| {m[n]['rss_peak_kib'] / 1024:.1f} MiB | {series} |")
        rss_ratio = m["agent"]["rss_peak_kib"] / m["node_exporter"]["rss_peak_kib"]
        cpu_ratio = m["agent"]["cpu_s_per_min"] / (m["node_exporter"]["cpu_s_per_min"] + m["prometheus_agent"]["cpu_s_per_min"])
        checks.append((r["interval"], rss_ratio, cpu_ratio,
                       m["agent"]["cpu_s_per_min"] / max(1e-9, m["node_exporter"]["cpu_s_per_min"]),
                       m["agent"]["written_per_collection"]))
    L += ["", "| interval | agent RSS / node_exporter RSS (peak) | agent CPU / (node_exporter + scraper) | "
          "agent CPU / node_exporter | agent bytes written per collection |", "|---|---|---|---|---|"]
    for interval, rss_ratio, cpu_ratio, cpu_ne, written in checks:
        L.append(f"| {interval} s | {rss_ratio:.2f}x {'(target <= 0.5: met)' if rss_ratio <= 0.5 else '(target <= 0.5: MISSED)'} "
                 f"| {cpu_ratio:.2f}x {'(target <= 0.5: met)' if cpu_ratio <= 0.5 else '(target <= 0.5: MISSED)'} "
                 f"| {cpu_ne:.2f}x | {written:.0f} B |")
    s = h["summary"]
    lost = s.get("samples", 0) - h["stored"]
    L += ["", "## The hub under `telltale sim`", "",
          f"{h['agents']} simulated agents x 300 series every 10 s (compressed binary batches, as agents send), "
          f"for {h['elapsed']:.0f} s, on this 2-core machine beside the simulator itself.", "",
          "| measure | value |", "|---|---|",
          f"| batches sent / acknowledged | {s.get('sent')} / {s.get('acked')} (nacked {s.get('nacked')}, errors {s.get('errors')}) |",
          f"| samples sent / stored by the hub | {s.get('samples')} / {h['stored']:.0f} ({'none lost' if lost == 0 else f'{lost:.0f} LOST'}) |",
          f"| samples per second | {s.get('samples', 0) / max(1, s.get('seconds', 1)):.0f} |",
          f"| ack latency p50 / p99 / max | {s.get('p50_ms', 0):.1f} / {s.get('p99_ms', 0):.1f} / {s.get('max_ms', 0):.1f} ms |",
          f"| hub CPU | {h['hub_cpu_s'] / h['elapsed']:.2f} cores ({h['hub_cpu_s'] * 1e6 / max(1, s.get('samples', 1)):.1f} µs per sample) |",
          f"| hub RSS mean / peak | {h['rss_mean_kib'] / 1024:.0f} / {h['rss_peak_kib'] / 1024:.0f} MiB |",
          "", "```", h["sim_stdout"], "```", ""]
    agent_k, hub_k, local_k, bb_k = (r[1] for r in c["rows"])
    L += ["## Checks that run on an agent", "",
          f"{c['n']} HTTP checks every 10 s against a local server's `/healthz`, made by one agent for its hub "
          "(`runs_on`), then the same checks made by the hub itself, and Debian's prometheus-blackbox-exporter "
          f"probing the same URLs at the same rate; {CHECKS_WINDOW_S} s windows. CPU seconds per 1,000 runs, "
          "the hub's including storing every result.", "",
          "| process | CPU s per 1,000 runs | RSS peak | runs in the window |", "|---|---|---|---|"]
    for name, k, rss, runs in c["rows"]:
        L.append(f"| {name} | {k:.3f} | {rss / 1024:.1f} MiB | {runs:.0f} |")
    L += ["", f"The agent's CPU per run is {agent_k / max(1e-9, bb_k):.2f}x blackbox_exporter's per probe; the hub "
          f"spends {hub_k / max(1e-9, local_k):.2f}x per run on a check its agent makes of what it spends making "
          "the run itself.", ""]
    L += replay_section(r)
    with open(RESULTS, "w") as f:
        f.write("\n".join(L))
    log(f"wrote {RESULTS}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
