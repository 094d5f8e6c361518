// Bundles each *.test.jsx with web/'s esbuild (JSX as web/build.mjs compiles it, one copy of
// preact from web/node_modules) and runs the bundles with Node's test runner, in happy-dom.
//   node run.mjs        (needs web/node_modules, which the build installs, and npm ci here)
import { createRequire } from 'node:module';
import { readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, '../../web');
const esbuild = createRequire(join(web, 'package.json'))('esbuild');
const out = join(here, '.out');  // here, so the bundles find happy-dom in ./node_modules
rmSync(out, { recursive: true, force: true });
const tests = readdirSync(here).filter((f) => f.endsWith('.test.jsx'));
await esbuild.build({
  entryPoints: tests.map((f) => join(here, f)),
  bundle: true,
  format: 'esm',
  platform: 'node',
  outdir: out,
  outExtension: { '.js': '.mjs' },
  jsx: 'automatic',
  jsxImportSource: 'preact',
  nodePaths: [join(web, 'node_modules')],
  loader: { '.css': 'empty' },
  external: ['@happy-dom/global-registrator'],
  // The DOM's globals before any module of the UI runs (some listen on document at load).
  banner: { js: "import { GlobalRegistrator } from '@happy-dom/global-registrator'; GlobalRegistrator.register({ url: 'http://localhost/' });" },
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, ['--test', ...tests.map((f) => join(out, f.replace(/\.jsx$/, '.mjs')))], { stdio: 'inherit' });
rmSync(out, { recursive: true, force: true });
process.exit(run.status ?? 1);
