// The chart's y axis: an all-zero chart gets a few distinct ticks, not "0 %" on every one, and
// tick labels are as precise as their spacing.
import { describe as suite, it } from 'vitest';
import assert from 'node:assert/strict';
import { tickLabels, yRange } from '../../web/src/components/chart.jsx';

suite('chart ticks', () => {
  it('gives an all-zero or empty chart a range of 0 to 1', () => {
    assert.deepEqual(yRange(null, 0, 0), [0, 1]);
    assert.deepEqual(yRange(null, null, null), [0, 1]);
    const [lo, hi] = yRange(null, 0, 0.04);
    assert.equal(lo, 0);
    assert.ok(Math.abs(hi - 0.044) < 1e-12);
  });
  it('labels ticks as precisely as they are spaced, each one different', () => {
    assert.deepEqual(tickLabels([0, 0.2, 0.4, 0.6, 0.8, 1], ' %'), ['0 %', '0.2 %', '0.4 %', '0.6 %', '0.8 %', '1 %']);
    assert.deepEqual(tickLabels([0, 0.25, 0.5, 0.75], ' ms'), ['0 ms', '0.25 ms', '0.5 ms', '0.75 ms']);
    assert.deepEqual(tickLabels([0, 50, 100, 150], ' ms'), ['0 ms', '50 ms', '100 ms', '150 ms']);
    assert.deepEqual(tickLabels([0, 0.000002, 0.000004], ''), ['0', '0.000002', '0.000004']);
    // Floating-point steps (0.1 + 0.2) still read as one decimal.
    assert.deepEqual(tickLabels([0.1, 0.1 + 0.2, 0.5], ''), ['0.1', '0.3', '0.5']);
    for (const ticks of [
      [0, 0.2, 0.4],
      [1, 1.05, 1.1],
      [0, 2e-6, 4e-6],
    ]) {
      const labels = tickLabels(ticks, ' %');
      assert.equal(new Set(labels).size, labels.length, labels.join());
    }
    assert.deepEqual(tickLabels([7], ' %'), ['7 %']);
  });
});
