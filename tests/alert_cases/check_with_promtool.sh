#!/bin/sh
# Proves the firing expectations in cases.test are Prometheus' own: turns every block into a
# rule file (its alerts, severity as a label) and a `promtool test rules` file (its series, and
# at each `at` time the firing alerts of each rule with labels and annotations), then runs
# promtool, which evaluates the group at every evaluation interval as Prometheus does. Pending
# alerts are not visible to promtool and are checked by the unit tests only. Needs promtool
# (Debian: apt-get install prometheus); starts no service. Usage: check_with_promtool.sh [cases.test]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cases=${1:-$here/cases.test}
command -v promtool >/dev/null || { echo "promtool not found (apt-get install prometheus)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$cases" "$out" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]

def parse_labels(text):
    """`name{a="x", b="y"}` -> (name, {a: x, b: y}); values may hold escaped quotes and braces."""
    text = text.strip()
    b = text.find('{')
    if b == -1: return text, {}
    name, i, out = text[:b].strip(), b + 1, {}
    while True:
        while i < len(text) and text[i] in ' ,': i += 1
        if text[i] == '}': return name, out
        eq = text.index('=', i)
        key = text[i:eq].strip()
        i = text.index('"', eq) + 1
        val = ''
        while text[i] != '"':
            if text[i] == '\\':
                val += {'n': '\n', 't': '\t'}.get(text[i + 1], text[i + 1]); i += 2
            else:
                val += text[i]; i += 1
        out[key] = val
        i += 1

def split_labels(line):
    b = line.find('{'); sp = line.find(' ')
    if b != -1 and (sp == -1 or b < sp):
        q = False; i = b
        while i < len(line):
            c = line[i]
            if c == '\\': i += 2; continue
            if c == '"': q = not q
            if c == '}' and not q: return line[:i + 1], line[i + 1:].strip()
            i += 1
        raise SystemExit('unterminated labels: ' + line)
    return line[:sp], line[sp:].strip()

blocks, state = [], None
for raw in open(src):
    line = raw.strip()
    if not line or line.startswith('#'): continue
    if raw[0] not in ' \t':
        cmd, arg = line.split(None, 1)
        if cmd == 'load':
            blocks.append({'interval': arg, 'series': [], 'rules': [], 'at': []}); state = 'load'
        elif cmd == 'alert':
            blocks[-1]['rules'].append({'alert': arg, 'severity': 'warning', 'interval': '1m'}); state = 'rule'
        elif cmd == 'at':
            blocks[-1]['at'].append((arg, [])); state = 'at'
        else:
            raise SystemExit('unknown command: ' + line)
        continue
    if state == 'load':
        labels, values = split_labels(line)
        blocks[-1]['series'].append((labels, values))
    elif state == 'rule':
        key, value = line.split(':', 1)
        value = value.strip()
        blocks[-1]['rules'][-1][key] = parse_labels(value)[1] if key in ('labels', 'annotations') else value
    elif state == 'at':
        st, rest = line.split(None, 1)
        labels, more = split_labels(rest)
        name, ls = parse_labels(labels)
        blocks[-1]['at'][-1][1].append((st, name, ls, parse_labels(more)[1] if more else {}))

files, n = [], 0
for k, b in enumerate(blocks):
    interval = b['rules'][0]['interval']
    rules = []
    for r in b['rules']:
        rule = {'alert': r['alert'], 'expr': r['expr'],
                'labels': dict(r.get('labels', {}), severity=r['severity'])}
        for key in ('for', 'keep_firing_for'):
            if key in r: rule[key] = r[key]
        if r.get('annotations'): rule['annotations'] = r['annotations']
        rules.append(rule)
    with open(os.path.join(dst, 'rules%d.yaml' % k), 'w') as f:
        json.dump({'groups': [{'name': 'block%d' % k, 'interval': interval, 'rules': rules}]}, f, indent=1)
    tests = []
    for at, alerts in b['at']:
        for r in b['rules']:
            exp = [{'exp_labels': {l: v for l, v in ls.items()}, 'exp_annotations': ann}
                   for st, name, ls, ann in alerts if st == 'firing' and name == r['alert']]
            tests.append({'eval_time': at, 'alertname': r['alert'], 'exp_alerts': exp})
            n += 1
    test = {'rule_files': ['rules%d.yaml' % k], 'evaluation_interval': interval,
            'tests': [{'interval': b['interval'],
                       'input_series': [{'series': s, 'values': v} for s, v in b['series']],
                       'alert_rule_test': tests}]}
    path = os.path.join(dst, 'test%d.yaml' % k)
    with open(path, 'w') as f: json.dump(test, f, indent=1)
    files.append(path)
with open(os.path.join(dst, 'files'), 'w') as f: f.write('\n'.join(files))
print('converted %d blocks, %d alert checks for promtool' % (len(blocks), n))
PY
# shellcheck disable=SC2046
promtool test rules $(cat "$out/files")
