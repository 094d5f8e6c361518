#!/bin/sh
# Proves the expectations in cases.test are Prometheus' own: converts every `load` block into a
# promtool rule-test group (input_series + promql_expr_test with exp_samples) and runs
# `promtool test rules`, which compares labels and values exactly. eval_fail cases have no
# promtool equivalent and are counted as skipped. Needs promtool (Debian: apt-get install
# prometheus); starts no service. Usage: check_with_promtool.sh [cases.test]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cases=${1:-$here/cases.test}
command -v promtool >/dev/null || { echo "promtool not found (apt-get install prometheus)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$cases" "$out/test.yaml" <<'PY'
import json, math, sys
src, dst = sys.argv[1], sys.argv[2]

def num(s):
    v = float(s.replace('Inf', 'inf'))
    if math.isinf(v): return '.inf' if v > 0 else '-.inf'
    if math.isnan(v): return '.nan'
    r = repr(v)
    if 'e' in r and '.' not in r: r = r.replace('e', '.0e')
    return r

def split_labels(line):
    b = line.find('{'); sp = line.find(' ')
    if b != -1 and (sp == -1 or b < sp):
        q = False; i = b
        while i < len(line):
            c = line[i]
            if c == '\\': i += 2; continue
            if c == '"': q = not q
            if c == '}' and not q: return line[:i+1], line[i+1:].strip()
            i += 1
        raise SystemExit('unterminated labels: ' + line)
    return line[:sp], line[sp:].strip()

groups, skipped, state = [], 0, None
for raw in open(src):
    line = raw.strip()
    if not line:
        if state == 'exp': state = None
        continue
    if line.startswith('#'): continue
    if raw[0] not in ' \t':
        words = line.split(None, 4)
        if words[0] == 'load':
            groups.append({'interval': words[1], 'input_series': [], 'promql_expr_test': []}); state = 'load'
        elif words[0] == 'eval':
            groups[-1]['promql_expr_test'].append({'expr': words[4], 'eval_time': words[3], 'exp_samples': []}); state = 'exp'
        elif words[0] == 'eval_fail':
            skipped += 1; state = 'skip'
        else:
            raise SystemExit('unknown command: ' + line)
        continue
    if state == 'load':
        labels, values = split_labels(line)
        groups[-1]['input_series'].append({'series': labels, 'values': values})
    elif state == 'exp':
        if line[0] == '{' or (line[0].isalpha() and not line.startswith(('NaN', 'Inf'))):
            labels, value = split_labels(line)
        else:
            labels, value = '{}', line
        groups[-1]['promql_expr_test'][-1]['exp_samples'].append({'labels': labels, 'value': value})

n = 0
with open(dst, 'w') as f:
    f.write('rule_files: []\nevaluation_interval: 1m\ntests:\n')
    for g in groups:
        f.write('  - interval: %s\n    input_series:\n' % g['interval'])
        for s in g['input_series']:
            f.write('      - series: %s\n        values: %s\n' % (json.dumps(s['series']), json.dumps(s['values'])))
        f.write('    promql_expr_test:\n')
        for t in g['promql_expr_test']:
            n += 1
            f.write('      - expr: %s\n        eval_time: %s\n' % (json.dumps(t['expr']), t['eval_time']))
            if t['exp_samples']:
                f.write('        exp_samples:\n')
                for e in t['exp_samples']:
                    f.write('          - labels: %s\n            value: %s\n' % (json.dumps(e['labels']), num(e['value'])))
print('converted %d cases for promtool, %d eval_fail cases skipped' % (n, skipped))
PY
promtool test rules "$out/test.yaml"
