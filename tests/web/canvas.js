// happy-dom has no 2D canvas (getContext answers null, no Path2D), and uPlot draws a chart that
// has data in a microtask: it gets a context and paths whose every drawing call does nothing.
const inert = (state) =>
  new Proxy(state, {
    get: (t, k) => (k in t ? t[k] : k === 'measureText' ? () => ({ width: 0 }) : () => {}),
    set: (t, k, v) => {
      t[k] = v;
      return true;
    },
  });
HTMLCanvasElement.prototype.getContext = () => inert({});
globalThis.Path2D ??= function Path2D() {
  return inert({});
};
