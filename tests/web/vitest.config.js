// Vitest for the UI's component tests: happy-dom as the DOM, JSX compiled as web/build.mjs
// compiles it, and web/'s packages (preact, preact/hooks, uplot…) resolved from web/node_modules
// for the tests as for web/src: a second copy of preact would keep its own hook state and break
// every component.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const webEntry = fileURLToPath(new URL('../../web/src/main.jsx', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  plugins: [
    {
      // Resolved as if web/src imported them, so package exports ("preact/jsx-dev-runtime") apply.
      name: 'web-node-modules',
      enforce: 'pre',
      resolveId(source, importer) {
        if (!/^(preact|uplot)(\/|$)/.test(source) || importer === webEntry) return null;
        return this.resolve(source, webEntry, { skipSelf: true });
      },
    },
  ],
  test: {
    include: ['*.test.jsx'],
    setupFiles: ['./canvas.js'],
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'http://localhost/' } },
    // .css imports read as empty modules.
    css: false,
    testTimeout: 10000,
  },
});
