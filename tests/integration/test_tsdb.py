"""Time series: ingestion (JSON, Prometheus text, Influx line protocol), the REST queries, the
Prometheus-compatible API and persistence across a graceful restart, against the real binary."""

import math
import random
import re
import shutil
import struct
import tempfile
import time
import unittest
import urllib.parse

from telltale_harness import Server, ServerTestCase, run_cli, wait_until

HOUR = 3_600_000
MINUTE = 60_000


def hour_base(hours_ago=3):
    """A timestamp (ms) aligned to the hour, `hours_ago` hours before now: well inside retention."""
    now = int(time.time() * 1000)
    return (now // HOUR - hours_ago) * HOUR


def decode_value(v):
    if isinstance(v, str):
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf, "Inf": math.inf}[v]
    return float(v)


def encode_value(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "NaN" if math.isnan(v) else ("+Inf" if v > 0 else "-Inf")
    return v


def bits(v):
    return struct.pack("<d", float(v))


def qs(**params):
    return urllib.parse.urlencode(params)


def prom_lookup(samples, t, lookback=300_000):
    """Prometheus 2.x instant selector: the newest sample in [t - lookback, t], or None."""
    best = None
    for ts, v in samples:
        if t - lookback <= ts <= t and (best is None or ts >= best[0]):
            best = (ts, v)
    return best


def prom_rate(samples, range_start, range_end, is_counter=True, is_rate=True):
    """Prometheus 2.42 extrapolatedRate over the samples in [range_start, range_end] (ms)."""
    p = [(t, v) for t, v in samples if range_start <= t <= range_end]
    assert len(p) >= 2
    result = p[-1][1] - p[0][1]
    if is_counter:
        prev = p[0][1]
        for _, v in p[1:]:
            if v < prev:
                result += prev
            prev = v
    to_start = (p[0][0] - range_start) / 1000
    to_end = (range_end - p[-1][0]) / 1000
    sampled = (p[-1][0] - p[0][0]) / 1000
    avg_between = sampled / (len(p) - 1)
    if is_counter and result > 0 and p[0][1] >= 0:
        to_zero = sampled * (p[0][1] / result)
        if to_zero < to_start:
            to_start = to_zero
    threshold = avg_between * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else avg_between / 2
    interval += to_end if to_end < threshold else avg_between / 2
    factor = interval / sampled
    if is_rate:
        factor /= (range_end - range_start) / 1000
    return result * factor


def buckets(samples, step, agg):
    """{bucket start: aggregate} as the REST query_range computes it (NaN not counted)."""
    groups = {}
    for t, v in sorted(samples):
        if math.isnan(v):
            continue
        groups.setdefault(t - t % step, []).append(v)
    out = {}
    for start, vs in groups.items():
        s = 0.0
        for v in vs:
            s += v
        out[start] = {"avg": s / len(vs), "min": min(vs), "max": max(vs), "sum": s, "count": float(len(vs)),
                      "last": vs[-1]}[agg]
    return out


class TsdbMixin:
    """Helpers shared by the test classes; self.server and self.token are set up by the class."""

    def req(self, method, path, body=None, token=None, **kw):
        return self.server.request(method, path, body, token=token or self.token, **kw)

    def ingest(self, series, token=None):
        # JSON has no NaN/Infinity literals: those travel as strings.
        series = [dict(s, values=[encode_value(v) for v in s["values"]]) for s in series]
        return self.req("POST", "/api/v1/samples", {"series": series}, token=token)

    def ingest_ok(self, series, count=True):
        r = self.ingest(series)
        self.assertStatus(r, 200)
        if count:
            self.assertEqual(r.json["data"]["samples"], sum(len(s["timestamps"]) for s in series), r)
        return r

    def raw(self, match, frm, to):
        """{(metric, sorted label items): [(ts, value), ...]} from the REST query_range."""
        r = self.req("GET", "/api/v1/query_range?" + qs(match=match, **{"from": frm, "to": to}))
        self.assertStatus(r, 200)
        out = {}
        for s in r.json["data"]["series"]:
            self.assertEqual(len(s["timestamps"]), len(s["values"]), s)
            key = (s["metric"], tuple(sorted(s["labels"].items())))
            self.assertNotIn(key, out, r)
            out[key] = list(zip(s["timestamps"], [decode_value(v) for v in s["values"]]))
        return out

    def one_series(self, match, frm, to):
        got = self.raw(match, frm, to)
        self.assertEqual(len(got), 1, got)
        return next(iter(got.values()))

    def assertSamplesEqual(self, got, expected):
        """Timestamps equal and values bit-exact (NaN compared as NaN)."""
        self.assertEqual([t for t, _ in got], [t for t, _ in expected], (got, expected))
        for (t, g), (_, e) in zip(got, expected):
            if math.isnan(e):
                self.assertTrue(math.isnan(g), (t, g, e))
            else:
                self.assertEqual(bits(g), bits(e), "value at %d: got %r, expected %r" % (t, g, e))

    def prom(self, method, path, params, token=None, pairs=None):
        items = list(params.items()) + list(pairs or [])
        body = urllib.parse.urlencode(items)
        if method == "GET":
            return self.req("GET", "/prometheus/api/v1/" + path + "?" + body, token=token)
        return self.req("POST", "/prometheus/api/v1/" + path, body, token=token,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})

    def prom_ok(self, method, path, params, pairs=None):
        r = self.prom(method, path, params, pairs=pairs)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "success", r)
        return r.json["data"]

    def prom_bad(self, method, path, params, pairs=None):
        r = self.prom(method, path, params, pairs=pairs)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["status"], "error", r)
        self.assertEqual(r.json["errorType"], "bad_data", r)
        self.assertIsInstance(r.json.get("error"), str, r)
        return r


class IngestTest(TsdbMixin, ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.token = s.admin_token()
        s.create_user("vera", "viewer")
        s.create_user("otto", "operator")
        cls.viewer = s.token_for("vera")
        cls.operator = s.token_for("otto")
        cls.base = hour_base()

    def test_json_samples(self):
        b = self.base
        rnd = random.Random(1)
        values = [rnd.uniform(-1e6, 1e6) for _ in range(50)] + [0.1, 1 / 3, 1e308, -2.5e-308, 5e-324, 0.0, -0.0,
                                                                  123456789.12345679, 2.0 ** 53 + 2, -1e-9]
        ts = [b + i * 1000 for i in range(len(values))]
        series = [{"metric": "json_a", "labels": {"job": "x", "instance": "i1"}, "timestamps": ts, "values": values},
                  {"metric": "json_special", "timestamps": [b, b + 1, b + 2, b + 3],
                   "values": ["NaN", "+Inf", "-Inf", 2.5]}]
        r = self.ingest(series)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["samples"], len(values) + 4, r)
        self.assertEqual(r.json["data"]["series_created"], 2, r)
        got = self.one_series('json_a{job="x"}', b, b + HOUR)
        self.assertSamplesEqual(got, list(zip(ts, values)))
        # The raw REST answer has the metric and labels apart, and NaN/Inf as strings.
        r = self.req("GET", "/api/v1/query_range?" + qs(match="json_special", **{"from": b, "to": b + 10}))
        self.assertStatus(r, 200)
        s = r.json["data"]["series"]
        self.assertEqual(s, [{"metric": "json_special", "labels": {}, "timestamps": [b, b + 1, b + 2, b + 3],
                              "values": ["NaN", "+Inf", "-Inf", 2.5]}])
        # Same series again: nothing created.
        r = self.ingest([{"metric": "json_a", "labels": {"instance": "i1", "job": "x"}, "timestamps": [b - 1],
                          "values": [7]}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["series_created"], 0, r)
        # The from/to bounds are inclusive.
        got = self.one_series('json_a{job="x"}', b - 1, b + 1000)
        self.assertSamplesEqual(got, [(b - 1, 7.0), (b, values[0]), (b + 1000, values[1])])

    def test_json_bad_batches_store_nothing(self):
        b = self.base
        good = {"metric": "jbad_good", "timestamps": [b], "values": [1]}
        cases = [
            ({"metric": "jbad_good2", "timestamps": [b], "values": ["bad"]}, "series[1].values[0]", None),
            ({"metric": "1bad", "timestamps": [b], "values": [1]}, "series[1].metric", "1bad"),
            ({"metric": "jbad_x", "labels": {"b-ad": "v"}, "timestamps": [b], "values": [1]}, "series[1].labels.b-ad",
             "b-ad"),
            ({"metric": "jbad_x", "labels": {"__res": "v"}, "timestamps": [b], "values": [1]}, "series[1].labels.__res",
             "__res"),
            ({"metric": "jbad_x", "timestamps": [b, b + 1], "values": [1]}, "series[1]", None),
            ({"metric": "jbad_x", "timestamps": [b], "values": [1], "lables": {}}, "series[1]", None),
        ]
        for bad, path, name in cases:
            with self.subTest(bad=bad):
                r = self.ingest([good, bad])
                self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
                fields = r.field_errors()
                self.assertEqual(len(fields), 1, r)
                field, msg = next(iter(fields.items()))
                self.assertTrue(field.startswith(path), (field, path, r))
                if name:
                    self.assertIn(name, msg, r)
        # A body that is not JSON at all is malformed rather than unprocessable.
        r = self.req("POST", "/api/v1/samples", "{not json", headers={"Content-Type": "application/json"})
        self.assertStatus(r, 400, "INGEST_PARSE_ERROR")
        # Nothing of any of those batches was stored, not even the good entry.
        self.assertEqual(self.raw('{__name__=~"jbad_.*"}', b - HOUR, b + HOUR), {})
        r = self.req("GET", "/api/v1/series?" + qs(match='{__name__=~"jbad_.*"}'))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], [])

    def test_prometheus_text(self):
        b = self.base + 10 * MINUTE
        body = ("# HELP prom_a A metric.\n# TYPE prom_a gauge\n"
                'prom_a{job="j",path="/x\\"y\\\\"} 1.5e3 %d\n'
                "prom_a{job=\"j\",path=\"/x\\\"y\\\\\"} -0.25 %d\r\n"
                "\n"
                "prom_b NaN %d\n"
                "prom_b +Inf %d\n"
                "prom_b -Inf %d\n"
                "prom_c 42\n") % (b, b + 1000, b, b + 1, b + 2)
        before = int(time.time() * 1000)
        for ctype in ("application/x-www-form-urlencoded", "text/plain; version=0.0.4"):
            with self.subTest(ctype=ctype):
                r = self.req("POST", "/api/v1/import/prometheus", body, headers={"Content-Type": ctype})
                self.assertStatus(r, 200)
                self.assertEqual(r.json["data"]["samples"], 6, r)
        after = int(time.time() * 1000)
        got = self.raw('{__name__=~"prom_.*"}', b - 1, after + 1000)
        self.assertEqual(set(got), {("prom_a", (("job", "j"), ("path", '/x"y\\'))), ("prom_b", ()), ("prom_c", ())})
        self.assertSamplesEqual(got[("prom_a", (("job", "j"), ("path", '/x"y\\')))], [(b, 1500.0), (b + 1000, -0.25)])
        self.assertSamplesEqual(got[("prom_b", ())], [(b, math.nan), (b + 1, math.inf), (b + 2, -math.inf)])
        # No timestamp: the server's now, once per import.
        c = got[("prom_c", ())]
        self.assertTrue(1 <= len(c) <= 2, c)
        for t, v in c:
            self.assertTrue(before - 1000 <= t <= after + 1000, (t, before, after))
            self.assertEqual(v, 42.0)

    def test_prometheus_text_bad_line(self):
        b = self.base
        body = "pbad_a 1 %d\npbad_b{x=\"y\" 2 %d\npbad_c 3 %d\n" % (b, b, b)
        r = self.req("POST", "/api/v1/import/prometheus", body, headers={"Content-Type": "text/plain"})
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        fields = r.field_errors()
        self.assertEqual(len(fields), 1, r)
        self.assertRegex(next(iter(fields)), r"^line 2:\d+$")
        body = "pbad_a 1 %d\npbad_a 2 %d\n1pbad 3 %d\npbad_a 4 %d\npbad_a{a-b=\"1\"} 5\npbad_a xyz\n" % (b, b + 1, b, b + 2)
        r = self.req("POST", "/api/v1/import/prometheus", body, headers={"Content-Type": "text/plain"})
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        fields = r.field_errors()
        self.assertIn("line 3:1", fields, r)
        self.assertIn("1pbad", fields["line 3:1"], r)
        self.assertTrue(any(f.startswith("line 5:") and "a-b" in m for f, m in fields.items()), r)
        self.assertTrue(any(f.startswith("line 6:") for f in fields), r)
        self.assertEqual(len(fields), 3, r)
        # An unknown TYPE is an error too.
        r = self.req("POST", "/api/v1/import/prometheus", "# TYPE pbad_a sometype\npbad_a 1\n",
                     headers={"Content-Type": "text/plain"})
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        self.assertIn("line 1:", next(iter(r.field_errors())), r)
        self.assertEqual(self.raw('{__name__=~"pbad_.*"}', b - HOUR, int(time.time() * 1000) + HOUR), {})

    def test_influx_line_protocol(self):
        b = self.base + 20 * MINUTE
        body = ("cpu,host=h1,region=eu value=1.5,user=2i,idle=true,msg=\"hello world\" %d\n"
                "cpu,host=h1,region=eu value=2.5,user=3i,idle=F %d\n"
                "disk\\ io,dev=sda reads=7u %d\n") % (b, b + 1000, b)
        r = self.req("POST", "/api/v1/write?precision=ms", body)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["samples"], 7, r)
        self.assertEqual(r.json["data"]["series_created"], 4, r)
        self.assertEqual(r.json["data"]["skipped_fields"], 1, r)
        got = self.raw('{host="h1"}', b - 1, b + 2000)
        h = (("host", "h1"), ("region", "eu"))
        self.assertEqual(set(got), {("cpu", h), ("cpu_user", h), ("cpu_idle", h)})
        self.assertSamplesEqual(got[("cpu", h)], [(b, 1.5), (b + 1000, 2.5)])
        self.assertSamplesEqual(got[("cpu_user", h)], [(b, 2.0), (b + 1000, 3.0)])
        self.assertSamplesEqual(got[("cpu_idle", h)], [(b, 1.0), (b + 1000, 0.0)])
        self.assertSamplesEqual(self.one_series("disk_io_reads", b - 1, b + 1), [(b, 7.0)])
        # Precision s and ns (ns floors to the millisecond), and the default (ns).
        secs = (b + 2 * MINUTE) // 1000
        for prec, ts, expect_ms in (("s", secs, secs * 1000), ("ns", (b + 3 * MINUTE) * 1_000_000 + 999_999,
                                                                b + 3 * MINUTE),
                                    (None, (b + 4 * MINUTE) * 1_000_000 + 1, b + 4 * MINUTE),
                                    ("us", (b + 5 * MINUTE) * 1000 + 999, b + 5 * MINUTE)):
            with self.subTest(precision=prec):
                path = "/api/v1/write" + ("?precision=" + prec if prec else "")
                r = self.req("POST", path, "prec_m,p=%s value=9.75 %d" % (prec or "default", ts),
                             headers={"Content-Type": "text/plain"})
                self.assertStatus(r, 200)
                self.assertSamplesEqual(self.one_series('prec_m{p="%s"}' % (prec or "default"), b, b + HOUR),
                                        [(expect_ms, 9.75)])

    def test_influx_bad_line_and_precision(self):
        b = self.base
        body = "ibad,host=h value=1 %d\nibad,host=h value= %d\nibad,host=h value=3 %d\n" % (b, b + 1, b + 2)
        r = self.req("POST", "/api/v1/write?precision=ms", body)
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        fields = r.field_errors()
        self.assertEqual(len(fields), 1, r)
        self.assertRegex(next(iter(fields)), r"^line 2:\d+$")
        # A bad line's good fields are not stored either.
        body = "ibad2,host=h a=1,b=zz %d\nibad2,host=h a=2 %d\n" % (b, b + 1)
        r = self.req("POST", "/api/v1/write?precision=ms", body)
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        self.assertRegex(next(iter(r.field_errors())), r"^line 1:\d+$")
        # A reserved tag name.
        r = self.req("POST", "/api/v1/write?precision=ms", "ibad3,__name__=x value=1 %d\n" % b)
        self.assertStatus(r, 422, "INGEST_PARSE_ERROR")
        self.assertIn("__name__", next(iter(r.field_errors().values())), r)
        for prec in ("xx", "sec", "MS", ""):
            with self.subTest(precision=prec):
                r = self.req("POST", "/api/v1/write?precision=" + prec, "ibad4 value=1 %d\n" % b)
                self.assertFieldError(r, "precision")
        self.assertEqual(self.raw('{__name__=~"ibad.*"}', b - HOUR, b + HOUR), {})

    def test_ingest_auth(self):
        b = self.base
        s = self.server
        series = {"series": [{"metric": "auth_m", "timestamps": [b], "values": [1]}]}
        for method, path, body in (("POST", "/api/v1/samples", series),
                                   ("POST", "/api/v1/import/prometheus", "auth_m 1 %d\n" % b),
                                   ("POST", "/api/v1/write?precision=ms", "auth_m value=1 %d\n" % b)):
            with self.subTest(path=path):
                self.assertStatus(s.request(method, path, body), 401, "UNAUTHENTICATED")
                self.assertStatus(s.request(method, path, body, token=self.viewer), 403, "FORBIDDEN")
        self.assertEqual(self.raw("auth_m", b - 1, b + 1), {})
        # Reads: no token is 401, a viewer may read.
        self.assertStatus(s.request("GET", "/api/v1/query_range?" + qs(match="auth_m")), 401)
        self.assertEqual(s.request("GET", "/prometheus/api/v1/query?" + qs(query="auth_m")).status, 401)
        self.assertStatus(s.request("GET", "/api/v1/labels", token=self.viewer), 200)
        r = s.request("GET", "/prometheus/api/v1/query?" + qs(query="auth_m", time=b / 1000), token=self.viewer)
        self.assertEqual(r.status, 200, r)
        # An operator may ingest.
        r = s.request("POST", "/api/v1/samples", series, token=self.operator)
        self.assertStatus(r, 200)
        self.assertSamplesEqual(self.one_series("auth_m", b - 1, b + 1), [(b, 1.0)])


class QueryTest(TsdbMixin, ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()
        cls.base = hour_base()

    def test_selectors(self):
        b = self.base
        sets = [{"env": "prod", "app": "web"}, {"env": "dev", "app": "web"}, {"env": "prod", "app": "db"},
                {"env": "staging", "app": "web"}, {"app": "cache"}]
        self.ingest_ok([{"metric": "sel_m", "labels": ls, "timestamps": [b + i], "values": [i]}
                        for i, ls in enumerate(sets)] +
                       [{"metric": "sel_other", "labels": {"env": "prod"}, "timestamps": [b], "values": [1]}])

        def keys(match):
            return sorted(tuple(sorted(dict(k[1]).items())) for k in self.raw(match, b - 1, b + 100))

        def as_keys(*idx):
            return sorted(tuple(sorted(sets[i].items())) for i in idx)

        cases = {
            'sel_m{env="prod"}': as_keys(0, 2),
            'sel_m{env!="prod"}': as_keys(1, 3, 4),
            'sel_m{env=~"prod|dev"}': as_keys(0, 1, 2),
            'sel_m{env=~"pro"}': [],  # regexes are anchored
            'sel_m{env!~"prod|dev"}': as_keys(3, 4),
            'sel_m{env=""}': as_keys(4),
            'sel_m{env="prod",app="web"}': as_keys(0),
            'sel_m{app=~"w.*",env!~"s.*"}': as_keys(0, 1),
            '{__name__="sel_m",app="db"}': as_keys(2),
            'sel_m': as_keys(0, 1, 2, 3, 4),
        }
        for match, expected in cases.items():
            with self.subTest(match=match):
                self.assertEqual(keys(match), expected)
        # The values follow the series.
        got = self.raw('sel_m{env="staging"}', b - 1, b + 100)
        self.assertEqual(list(got.values()), [[(b + 3, 3.0)]])
        got = self.raw('{__name__=~"sel_.*",env="prod"}', b - 1, b + 100)
        self.assertEqual({k[0] for k in got}, {"sel_m", "sel_other"})

    def test_query_range_errors(self):
        b = self.base
        for match in ('sel_m{env=', 'sel_m{env~"x"}', '{}', 'sel_m{env=~"("}', '1abc', 'sel_m{env="x"'):
            with self.subTest(match=match):
                r = self.req("GET", "/api/v1/query_range?" + qs(match=match, **{"from": b, "to": b + 1}))
                self.assertFieldError(r, "match")
        self.assertFieldError(self.req("GET", "/api/v1/query_range?" + qs(**{"from": b})), "match")
        self.assertFieldError(self.req("GET", "/api/v1/query_range?" + qs(match="x", **{"from": "abc"})), "from")
        self.assertFieldError(self.req("GET", "/api/v1/query_range?" + qs(match="x", to="1.5")), "to")
        self.assertFieldError(self.req("GET", "/api/v1/query_range?" + qs(match="x", **{"from": b + 10, "to": b})),
                              "from")
        for step in ("0", "-5", "abc", "1"):
            with self.subTest(step=step):
                r = self.req("GET", "/api/v1/query_range?" + qs(match="x", step=step, **{"from": b - 24 * HOUR,
                                                                                          "to": b}))
                self.assertFieldError(r, "step")
        # 11000 points is fine, one more is not.
        r = self.req("GET", "/api/v1/query_range?" + qs(match="x", step="1000", **{"from": b, "to": b + 11_000_000}))
        self.assertStatus(r, 200)
        r = self.req("GET", "/api/v1/query_range?" + qs(match="x", step="1000", **{"from": b, "to": b + 11_001_000}))
        self.assertFieldError(r, "step")
        self.assertFieldError(self.req("GET", "/api/v1/query_range?" + qs(match="x", step="1m", agg="median")), "agg")

    def test_step_aggregates(self):
        b = self.base
        rnd = random.Random(7)
        # Values that are multiples of 1/8: every sum is exact whatever the order of addition.
        samples = {}
        for name in ("a", "b"):
            ts = sorted(rnd.sample(range(b, b + 10 * MINUTE, 250), 400))
            samples[name] = [(t, rnd.randint(-4000, 4000) / 8) for t in ts]
        self.ingest_ok([{"metric": "agg_m", "labels": {"s": name}, "timestamps": [t for t, _ in ss],
                         "values": [v for _, v in ss]} for name, ss in samples.items()])
        frm, to = b, b + 10 * MINUTE
        for step, step_ms in (("15s", 15_000), ("15000", 15_000), ("1m", MINUTE), ("7s", 7_000), ("5m", 5 * MINUTE)):
            for agg in ("avg", "min", "max", "sum", "count", "last"):
                with self.subTest(step=step, agg=agg):
                    r = self.req("GET", "/api/v1/query_range?" + qs(match="agg_m", step=step, agg=agg,
                                                                    **{"from": frm, "to": to}))
                    self.assertStatus(r, 200)
                    self.assertEqual(r.json["data"]["step"], step_ms, r)
                    got = {s["labels"]["s"]: dict(zip(s["timestamps"], [decode_value(v) for v in s["values"]]))
                           for s in r.json["data"]["series"]}
                    self.assertEqual(set(got), {"a", "b"})
                    for name, ss in samples.items():
                        exp = {k: v for k, v in buckets(ss, step_ms, agg).items() if frm - step_ms <= k <= to}
                        self.assertEqual(got[name], exp)
        # The default aggregate is avg.
        r = self.req("GET", "/api/v1/query_range?" + qs(match='agg_m{s="a"}', step="1m", **{"from": frm, "to": to}))
        self.assertStatus(r, 200)
        s = r.json["data"]["series"][0]
        self.assertEqual(dict(zip(s["timestamps"], s["values"])), buckets(samples["a"], MINUTE, "avg"))

    def test_too_many_points(self):
        r = self.req("GET", "/api/v1/query_range?" + qs(match="agg_m", step="1s", **{"from": self.base - 30 * 86_400_000,
                                                                                       "to": self.base}))
        self.assertFieldError(r, "step")
        r = self.req("GET", "/api/v1/query_range?" + qs(match="agg_m", step="1", **{"from": 0, "to": self.base}))
        self.assertFieldError(r, "step")

    def test_duplicates_and_out_of_order(self):
        b = self.base + 30 * MINUTE
        # Within one batch: the same timestamp twice keeps the last; unsorted input is sorted.
        self.ingest_ok([{"metric": "dup_m", "timestamps": [b + 3000, b + 1000, b + 1000, b + 2000],
                         "values": [3, 1, 1.25, 2]}], count=False)
        self.assertSamplesEqual(self.one_series("dup_m", b, b + 10_000),
                                [(b + 1000, 1.25), (b + 2000, 2.0), (b + 3000, 3.0)])
        # A later batch overwrites, and an older (out-of-order) sample slots in.
        self.ingest_ok([{"metric": "dup_m", "timestamps": [b + 2000, b + 500, b + 2500], "values": [-2, 0.5, 2.5]}])
        self.assertSamplesEqual(self.one_series("dup_m", b, b + 10_000),
                                [(b + 500, 0.5), (b + 1000, 1.25), (b + 2000, -2.0), (b + 2500, 2.5), (b + 3000, 3.0)])
        # The same series entered twice in one batch (interleaved with another): last wins.
        self.ingest_ok([{"metric": "dup_m", "timestamps": [b + 4000], "values": [4]},
                        {"metric": "dup_other", "timestamps": [b + 4000], "values": [9]},
                        {"metric": "dup_m", "timestamps": [b + 4000], "values": [44]}], count=False)
        self.assertSamplesEqual(self.one_series("dup_m", b + 3500, b + 10_000), [(b + 4000, 44.0)])

    def test_bad_selectors_are_422_naming_the_field(self):
        for path in ("/api/v1/query_range", "/api/v1/series"):
            for match in (b"up\xff", b'up{a="\xed\xa0\x80"}', b'{a=~"((.?){100}){100}x"}', b'{a=~"(a)\\1"}'):
                with self.subTest(path=path, match=match):
                    r = self.req("GET", path + "?" + urllib.parse.urlencode({"match": match}))
                    self.assertFieldError(r, "match")

    def test_series_labels_values(self):
        b = self.base
        self.ingest_ok([{"metric": "lab_m", "labels": {"zone": "z1", "rack": "r1"}, "timestamps": [b], "values": [1]},
                        {"metric": "lab_m", "labels": {"zone": "z2"}, "timestamps": [b], "values": [1]},
                        {"metric": "lab_n", "labels": {"zone": "z3"},
                         "timestamps": [b], "values": [1]}])
        r = self.req("GET", "/api/v1/series?" + qs(match='{__name__=~"lab_.*"}'))
        self.assertStatus(r, 200)
        self.assertEqual(sorted(r.json["data"], key=lambda d: sorted(d.items())),
                         sorted([{"__name__": "lab_m", "zone": "z1", "rack": "r1"}, {"__name__": "lab_m", "zone": "z2"},
                                 {"__name__": "lab_n", "zone": "z3"}], key=lambda d: sorted(d.items())))
        r = self.req("GET", "/api/v1/series?" + qs(match='lab_m{zone!="z1"}'))
        self.assertEqual(r.json["data"], [{"__name__": "lab_m", "zone": "z2"}])
        self.assertFieldError(self.req("GET", "/api/v1/series"), "match")
        self.assertFieldError(self.req("GET", "/api/v1/series?" + qs(match="lab_m{")), "match")
        r = self.req("GET", "/api/v1/labels")
        self.assertStatus(r, 200)
        self.assertTrue({"__name__", "zone", "rack"} <= set(r.json["data"]), r)
        self.assertEqual(r.json["data"], sorted(set(r.json["data"])), r)
        r = self.req("GET", "/api/v1/label/zone/values")
        self.assertStatus(r, 200)
        self.assertTrue({"z1", "z2", "z3"} <= set(r.json["data"]), r)
        self.assertEqual(r.json["data"], sorted(set(r.json["data"])), r)
        r = self.req("GET", "/api/v1/label/__name__/values")
        self.assertTrue({"lab_m", "lab_n"} <= set(r.json["data"]), r)
        r = self.req("GET", "/api/v1/label/nosuchlabel/values")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], [])


class PrometheusApiTest(TsdbMixin, ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()
        cls.base = hour_base()
        b = cls.base
        # up: job a has 2 of 3 instances up, job b 1 of 1.
        cls.up = [("a", "1", 1), ("a", "2", 0), ("a", "3", 1), ("b", "1", 1)]
        # A counter: +60 every 15 s for 40 minutes, from 1000.
        cls.counter = [(b + i * 15_000, 1000.0 + 60 * i) for i in range(161)]
        # A gauge every 15 s.
        rnd = random.Random(3)
        cls.gauge = [(b + i * 15_000, rnd.uniform(-100, 100)) for i in range(161)]
        series = [{"metric": "up", "labels": {"job": j, "instance": i},
                   "timestamps": [b + k * 15_000 for k in range(161)], "values": [v] * 161} for j, i, v in cls.up]
        series.append({"metric": "req_total", "labels": {"job": "a"}, "timestamps": [t for t, _ in cls.counter],
                       "values": [v for _, v in cls.counter]})
        series.append({"metric": "temp", "labels": {"room": "r1"}, "timestamps": [t for t, _ in cls.gauge],
                       "values": [v for _, v in cls.gauge]})
        r = cls.server.request("POST", "/api/v1/samples", {"series": series}, token=cls.token)
        if r.status != 200:
            raise AssertionError(r)

    def test_instant_sum_by(self):
        t = self.base + 20 * MINUTE
        for method in ("GET", "POST"):
            with self.subTest(method=method):
                data = self.prom_ok(method, "query", {"query": "sum by (job) (up)", "time": t / 1000})
                self.assertEqual(data["resultType"], "vector")
                res = {r["metric"].get("job"): r["value"] for r in data["result"]}
                self.assertEqual(res, {"a": [t / 1000, "2"], "b": [t / 1000, "1"]})
                self.assertEqual([r["metric"] for r in data["result"]], [{"job": "a"}, {"job": "b"}])
        data = self.prom_ok("GET", "query", {"query": 'up{job="a"} == 1', "time": t / 1000})
        self.assertEqual(sorted(r["metric"]["instance"] for r in data["result"]), ["1", "3"])
        data = self.prom_ok("GET", "query", {"query": "count(up)", "time": t / 1000})
        self.assertEqual(data["result"][0]["value"], [t / 1000, "4"])
        # A selector returns the newest sample within 5 minutes, with __name__.
        tt = self.base + 20 * MINUTE + 7_000
        data = self.prom_ok("GET", "query", {"query": "temp", "time": tt / 1000})
        self.assertEqual(len(data["result"]), 1, data)
        self.assertEqual(data["result"][0]["metric"], {"__name__": "temp", "room": "r1"})
        ts, v = prom_lookup(self.gauge, tt)
        self.assertEqual(data["result"][0]["value"][0], tt / 1000)
        self.assertEqual(float(data["result"][0]["value"][1]), v)
        # RFC 3339 time.
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000)) + ".000Z"
        data = self.prom_ok("GET", "query", {"query": "sum(up)", "time": iso})
        self.assertEqual(data["result"][0]["value"], [t / 1000, "3"])
        # A range selector answers a matrix, its points as [seconds, "value"].
        data = self.prom_ok("GET", "query", {"query": "temp[1m]", "time": t / 1000})
        self.assertEqual(data["resultType"], "matrix")
        self.assertEqual(data["result"][0]["metric"], {"__name__": "temp", "room": "r1"})
        want = [[ts / 1000, v] for ts, v in self.gauge if t - MINUTE <= ts <= t]
        self.assertEqual([[ts, float(v)] for ts, v in data["result"][0]["values"]], want)
        self.assertTrue(all(isinstance(v, str) for _, v in data["result"][0]["values"]))
        # Scalars.
        data = self.prom_ok("GET", "query", {"query": "1 + 2", "time": t / 1000})
        self.assertEqual(data, {"resultType": "scalar", "result": [t / 1000, "3"]})

    def test_rate(self):
        b = self.base
        # Window edges on samples: exactly 4/s (60 per 15 s), as Prometheus 2.x computes it.
        t = b + 20 * MINUTE
        data = self.prom_ok("GET", "query", {"query": "rate(req_total[5m])", "time": t / 1000})
        self.assertEqual(len(data["result"]), 1, data)
        self.assertEqual(data["result"][0]["metric"], {"job": "a"})
        self.assertEqual(float(data["result"][0]["value"][1]), 4.0, data)
        self.assertEqual(float(data["result"][0]["value"][1]), prom_rate(self.counter, t - 5 * MINUTE, t))
        # Off the sample grid the extrapolation matters: compare with Prometheus' algorithm.
        for off in (1_000, 7_000, 14_999):
            with self.subTest(off=off):
                tt = t + off
                data = self.prom_ok("GET", "query", {"query": "rate(req_total[5m])", "time": tt / 1000})
                got = float(data["result"][0]["value"][1])
                self.assertAlmostEqual(got, prom_rate(self.counter, tt - 5 * MINUTE, tt), delta=1e-12)
                data = self.prom_ok("GET", "query", {"query": "increase(req_total[1m])", "time": tt / 1000})
                got = float(data["result"][0]["value"][1])
                self.assertAlmostEqual(got, prom_rate(self.counter, tt - MINUTE, tt, is_rate=False), delta=1e-9)
        # Near the counter's start, the extrapolation stops at zero... or at the first sample.
        tt = b + 2 * MINUTE
        data = self.prom_ok("GET", "query", {"query": "rate(req_total[5m])", "time": tt / 1000})
        self.assertAlmostEqual(float(data["result"][0]["value"][1]), prom_rate(self.counter, tt - 5 * MINUTE, tt),
                               delta=1e-12)
        # sum(rate()) over a range.
        data = self.prom_ok("GET", "query_range", {"query": "sum(rate(req_total[5m]))", "start": t / 1000,
                                                    "end": (t + 5 * MINUTE) / 1000, "step": "15s"})
        self.assertEqual(data["resultType"], "matrix")
        vals = data["result"][0]["values"]
        self.assertEqual(len(vals), 21, vals)
        for ts, v in vals:
            self.assertEqual(float(v), 4.0, vals)

    def test_query_range(self):
        b = self.base
        start, end = b + 10 * MINUTE, b + 20 * MINUTE
        iso = lambda ms: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + "Z"
        expected = []
        t = start
        while t <= end:
            expected.append([t / 1000, prom_lookup(self.gauge, t)[1]])
            t += 15_000
        for method in ("GET", "POST"):
            for s_, e_ in ((start / 1000, end / 1000), (iso(start), iso(end)), ("%d" % (start // 1000), iso(end))):
                for step in ("15s", "15", "15.0"):
                    with self.subTest(method=method, start=s_, step=step):
                        data = self.prom_ok(method, "query_range", {"query": 'temp{room="r1"}', "start": s_,
                                                                     "end": e_, "step": step})
                        self.assertEqual(data["resultType"], "matrix")
                        self.assertEqual(len(data["result"]), 1, data)
                        self.assertEqual(data["result"][0]["metric"], {"__name__": "temp", "room": "r1"})
                        got = [[ts, float(v)] for ts, v in data["result"][0]["values"]]
                        self.assertEqual(got, expected)
        # A step off the sample grid: the newest sample at each step.
        data = self.prom_ok("GET", "query_range", {"query": "temp", "start": start / 1000, "end": end / 1000,
                                                    "step": "7s"})
        got = [[ts, float(v)] for ts, v in data["result"][0]["values"]]
        exp = [[t / 1000, prom_lookup(self.gauge, t)[1]] for t in range(start, end + 1, 7000)]
        self.assertEqual(got, exp)
        # Past the data's end, the lookback of 5 minutes runs out.
        last = self.gauge[-1][0]
        data = self.prom_ok("GET", "query_range", {"query": "temp", "start": last / 1000,
                                                    "end": (last + 10 * MINUTE) / 1000, "step": "60"})
        self.assertEqual([ts for ts, _ in data["result"][0]["values"]], [(last + k * MINUTE) / 1000 for k in range(6)])
        # Aggregation over time.
        data = self.prom_ok("GET", "query_range", {"query": "sum by (job) (up)", "start": start / 1000,
                                                    "end": end / 1000, "step": "60s"})
        res = {r["metric"]["job"]: r["values"] for r in data["result"]}
        self.assertEqual(set(res), {"a", "b"})
        self.assertEqual(res["a"], [[t / 1000, "2"] for t in range(start, end + 1, MINUTE)])
        self.assertEqual(res["b"], [[t / 1000, "1"] for t in range(start, end + 1, MINUTE)])

    def test_series_labels_buildinfo(self):
        for method in ("GET", "POST"):
            with self.subTest(method=method):
                data = self.prom_ok(method, "series", {}, pairs=[("match[]", "up{job=\"a\"}"), ("match[]", "temp"),
                                                                 ("match[]", "up{instance=\"1\"}")])
                key = lambda d: sorted(d.items())
                self.assertEqual(sorted(data, key=key), sorted(
                    [{"__name__": "up", "job": "a", "instance": i} for i in ("1", "2", "3")] +
                    [{"__name__": "up", "job": "b", "instance": "1"}, {"__name__": "temp", "room": "r1"}], key=key))
                data = self.prom_ok(method, "labels", {})
                self.assertTrue({"__name__", "job", "instance", "room"} <= set(data), data)
        self.prom_bad("GET", "series", {})
        self.prom_bad("GET", "series", {}, pairs=[("match[]", "up{")])
        self.prom_bad("POST", "series", {}, pairs=[("match[]", "up{job=~\"(\"}")])
        data = self.prom_ok("GET", "label/job/values", {})
        self.assertTrue({"a", "b"} <= set(data), data)
        data = self.prom_ok("GET", "label/__name__/values", {})
        self.assertTrue({"up", "req_total", "temp"} <= set(data), data)
        data = self.prom_ok("GET", "status/buildinfo", {})
        self.assertIn("version", data)
        self.assertRegex(data["version"], r"^\d+\.\d+\.\d+")

    def test_errors(self):
        t = self.base / 1000
        for method in ("GET", "POST"):
            with self.subTest(method=method):
                self.prom_bad(method, "query", {"query": "sum by (job (up)", "time": t})
                self.prom_bad(method, "query", {"query": "", "time": t})
                self.prom_bad(method, "query", {"query": "rate(up)", "time": t})
                self.prom_bad(method, "query", {"query": "up", "time": "yesterday"})
                self.prom_bad(method, "query_range", {"query": "up{", "start": t, "end": t + 60, "step": "15s"})
                self.prom_bad(method, "query_range", {"query": "up", "start": "x", "end": t + 60, "step": "15s"})
                self.prom_bad(method, "query_range", {"query": "up", "start": t, "end": t + 60, "step": "0"})
                self.prom_bad(method, "query_range", {"query": "up", "start": t, "end": t + 60, "step": "abc"})
                self.prom_bad(method, "query_range", {"query": "up", "start": t + 60, "end": t, "step": "15s"})
                self.prom_bad(method, "query_range", {"query": "up", "start": t, "end": t + 60})
        # Invalid UTF-8 (as Prometheus: 400 bad_data naming where), in every parameter that is parsed.
        for method in ("GET", "POST"):
            with self.subTest(method=method, utf8=True):
                r = self.prom_bad(method, "query", {"query": b"up\xff", "time": t})
                self.assertIn("invalid UTF-8", r.json["error"])
                self.prom_bad(method, "query", {"query": b'up{job="\xc3"}', "time": t})
                self.prom_bad(method, "query_range", {"query": b"up\xff", "start": t, "end": t + 60, "step": "15s"})
                self.prom_bad(method, "series", {}, pairs=[("match[]", b"up\xff")])
        # A regex that backtracking engines take milliseconds per value for is refused, named.
        evil = '{job=~"((.?){100}){100}x"}'
        for method in ("GET", "POST"):
            with self.subTest(method=method, regex=True):
                started = time.monotonic()
                r = self.prom_bad(method, "query", {"query": evil, "time": t})
                self.assertIn('"((.?){100}){100}x"', r.json["error"])
                self.prom_bad(method, "query_range", {"query": "count(" + evil + ")", "start": t, "end": t + 60, "step": "15s"})
                self.prom_bad(method, "series", {}, pairs=[("match[]", evil)])
                self.assertLess(time.monotonic() - started, 2)
        # Prometheus' regex dialect: RE2.
        self.prom_bad("GET", "query", {"query": 'up{job=~"(a)\\1"}', "time": t})
        self.prom_bad("GET", "query", {"query": 'up{job=~"a)|(b"}', "time": t})
        self.assertEqual(len(self.prom_ok("GET", "query", {"query": 'up{job=~"(?i)A|x{0,100}"}', "time": t})["result"]), 3)
        # Too many points: an error in Prometheus' format, not a 5xx.
        r = self.prom("GET", "query_range", {"query": "up", "start": 0, "end": t, "step": "1"})
        self.assertIn(r.status, (400, 422), r)
        self.assertEqual(r.json["status"], "error", r)
        self.assertIn(r.json["errorType"], ("bad_data", "execution"), r)


class RetentionTest(TsdbMixin, unittest.TestCase):
    """Each tier keeps what `--retention-*` says; older data goes in the first maintenance pass."""

    assertStatus = ServerTestCase.assertStatus

    def test_retention_flags(self):
        r = run_cli(["serve", "--retention-raw", "10m", "--listen", "127.0.0.1:0"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("at least 1h", r.stderr + r.stdout)
        self.server = Server(["--retention-raw", "2d", "--retention-1m", "3d", "--retention-1h", "4d"]).start()
        try:
            self.token = self.server.admin_token()
            now = int(time.time() * 1000)
            day = 24 * HOUR
            points = {"old": now - 5 * day, "mid1": now - 2 * day - 2 * HOUR, "mid2": now - 3 * day - 2 * HOUR,
                      "new": now - HOUR}
            for name, t in points.items():
                ts = [t + i * 1_000 for i in range(1200)]  # 1 s apart: the 1m tier is kept too
                self.ingest_ok([{"metric": "ret", "labels": {"at": name}, "timestamps": ts, "values": [1.0] * len(ts)}])
            self.server.stop()  # heads become chunks and rollups
            self.server.start()

            def counts(step):
                q = {"match": "ret", "from": now - 6 * day, "to": now}
                if step:
                    q.update(step=step, agg="count")
                r = self.req("GET", "/api/v1/query_range?" + qs(**q))
                return {s["labels"]["at"]: len(s["values"]) for s in r.json["data"]["series"] if s["values"]}
            self.assertEqual(set(counts(None)), set(points))
            # The first maintenance pass runs within seconds of the start.
            self.assertTrue(wait_until(lambda: set(counts(None)) == {"new"}, timeout=30), counts(None))
            self.assertEqual(set(counts("1m")), {"new", "mid1"})
            self.assertEqual(set(counts("1h")), {"new", "mid1", "mid2"})
        finally:
            self.server.stop()
            self.server.cleanup()


class PersistenceTest(TsdbMixin, unittest.TestCase):
    """Graceful restart keeps every sample; backfill after the flush merges in time order."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="telltale-tsdb-")
        self.server = Server(data_dir=self.dir).start()
        self.token = self.server.admin_token()

    def tearDown(self):
        try:
            if self.server.alive():
                self.server.stop()
        finally:
            self.server.cleanup()
            shutil.rmtree(self.dir, ignore_errors=True)

    assertStatus = ServerTestCase.assertStatus
    assertFieldError = ServerTestCase.assertFieldError

    def restart(self):
        self.server.stop()
        self.server.start()
        self.token = self.server.admin_token()

    def test_restart_and_backfill(self):
        b = hour_base(4)
        rnd = random.Random(11)
        expected = {}
        series = []
        for k in range(5):
            ts = [b + HOUR + i * 5_000 for i in range(300)]
            vs = [rnd.uniform(-1e9, 1e9) for _ in ts]
            if k == 0:
                vs[10] = math.nan
                vs[11] = math.inf
            series.append({"metric": "per_m", "labels": {"k": str(k)}, "timestamps": ts, "values": vs})
            expected[str(k)] = list(zip(ts, vs))
        self.ingest_ok(series)
        self.assertEqual(self.req("POST", "/api/v1/write?precision=s", "per_influx,h=x value=2.5 %d\n"
                                  % ((b + HOUR) // 1000)).status, 200)

        def check():
            got = self.raw('{__name__="per_m"}', b - HOUR, b + 3 * HOUR)
            self.assertEqual(set(got), {("per_m", (("k", str(k)),)) for k in range(5)})
            for k in range(5):
                self.assertSamplesEqual(got[("per_m", (("k", str(k)),))], expected[str(k)])
            self.assertSamplesEqual(self.one_series("per_influx", b, b + 2 * HOUR), [(b + HOUR, 2.5)])

        check()
        self.restart()
        check()
        r = self.req("GET", "/api/v1/series?" + qs(match="per_m"))
        self.assertEqual(len(r.json["data"]), 5, r)
        # Backfill an hour older than anything stored, plus out-of-order samples inside the flushed
        # range and new ones after it.
        back = [(b + i * 10_000, float(i) + 0.5) for i in range(60)]
        inside = [(b + HOUR + 2_500, -1.5), (b + HOUR + 7_500, -2.5)]
        newer = [(b + 2 * HOUR + 1_000, 42.0)]
        batch = back + inside + newer
        rnd.shuffle(batch)
        r = self.ingest([{"metric": "per_m", "labels": {"k": "0"}, "timestamps": [t for t, _ in batch],
                          "values": [v for _, v in batch]}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["series_created"], 0, r)
        expected["0"] = sorted(expected["0"] + batch)
        check()
        # Step buckets see the backfill too.
        r = self.req("GET", "/api/v1/query_range?" + qs(match='per_m{k="0"}', step="1m", agg="count",
                                                        **{"from": b, "to": b + 3 * HOUR}))
        self.assertStatus(r, 200)
        s = r.json["data"]["series"][0]
        self.assertEqual(dict(zip(s["timestamps"], s["values"])), buckets(expected["0"], MINUTE, "count"))
        self.restart()
        check()
        # Overwriting a sample that is already in a chunk: the last value wins.
        t_over = b + HOUR + 50 * 5_000
        self.ingest_ok([{"metric": "per_m", "labels": {"k": "1"}, "timestamps": [t_over], "values": [0.125]}])
        expected["1"] = [(t, 0.125 if t == t_over else v) for t, v in expected["1"]]
        check()
        self.restart()
        check()
        # The Prometheus API reads the same data after the restart.
        data = self.prom_ok("GET", "query", {"query": 'per_m{k="2"}', "time": (b + HOUR + 5_000) / 1000})
        self.assertEqual(float(data["result"][0]["value"][1]), expected["2"][1][1])

    def test_rollup_tiers_after_backfill(self):
        """Steps served from the stored 1m/1h rollups agree with the raw samples after backfill,
        an overwrite of a chunked sample and a sparse newer sample, each flushed by a restart."""
        b = hour_base(4)
        rnd = random.Random(5)
        ss = [(b + HOUR + i * 5_000, float(rnd.randint(-1000, 1000))) for i in range(300)]
        self.ingest_ok([{"metric": "roll_m", "timestamps": [t for t, _ in ss], "values": [v for _, v in ss]}])
        self.restart()
        extra = [(b + HOUR + 2_500, -7.0), (b + HOUR + 50 * 5_000, 0.5), (b + 2 * HOUR + 1_000, 42.0)]
        self.ingest_ok([{"metric": "roll_m", "timestamps": [t for t, _ in extra], "values": [v for _, v in extra]}])
        merged = dict(ss)
        merged.update(dict(extra))
        expected = sorted(merged.items())
        self.restart()
        self.assertSamplesEqual(self.one_series("roll_m", b, b + 3 * HOUR), expected)
        problems = []
        for step, step_ms in (("1m", MINUTE), ("5m", 5 * MINUTE), ("1h", HOUR)):
            for agg in ("count", "min", "max", "last", "sum", "avg"):
                r = self.req("GET", "/api/v1/query_range?" + qs(match="roll_m", step=step, agg=agg,
                                                                **{"from": b, "to": b + 3 * HOUR}))
                self.assertStatus(r, 200)
                s = r.json["data"]["series"][0]
                got = dict(zip(s["timestamps"], [decode_value(v) for v in s["values"]]))
                exp = buckets(expected, step_ms, agg)
                for k in sorted(set(got) | set(exp)):
                    if got.get(k) != exp.get(k):
                        problems.append("step=%s agg=%s tier=%s bucket=%d: got %r, expected %r"
                                        % (step, agg, r.json["data"]["tier"], k, got.get(k), exp.get(k)))
        self.assertEqual(problems, [], "\n".join(problems))


if __name__ == "__main__":
    unittest.main()
