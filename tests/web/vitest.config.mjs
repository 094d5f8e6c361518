// The sources under test import preact from web/node_modules; so do the tests (one copy, or
// hooks would break), and JSX compiles the way web/build.mjs compiles it.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const web = (p) => fileURLToPath(new URL('../../web/' + p, import.meta.url));

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: [{ find: /^preact\/jsx-dev-runtime$/, replacement: web('node_modules/preact/jsx-runtime') }, { find: /^preact(\/.*)?$/, replacement: web('node_modules/preact') + '$1' }, { find: /^uplot$/, replacement: web('node_modules/uplot') }] },
  test: { environment: 'happy-dom', include: ['*.test.{js,jsx}'] },
});
