// Bundles src/main.jsx and its CSS with esbuild into OUTDIR (default dist/): assets/ holds
// content-hashed file names, index.html names them. Fails when the gzipped JS and CSS exceed
// the budget, and writes their sizes beside OUTDIR, to OUTDIR-sizes.json (bench/ui reads it;
// not inside OUTDIR, whose every file is served).
//   node build.mjs [--outdir DIR] [--watch]
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, rmSync, mkdirSync, cpSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, relative, resolve } from 'node:path';

export const BUDGET_GZIP_BYTES = 150 * 1024;

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? null : (args[i + 1] ?? true);
};
const outdir = resolve(flag('--outdir') || 'dist');
const watch = args.includes('--watch');

function writeIndex(metafile) {
  const out = Object.entries(metafile.outputs).filter(([, o]) => o.entryPoint);
  const find = (ext) => {
    const js = out.find(([f]) => f.endsWith('.js'));
    const file = ext === '.js' ? js[0] : js[1].cssBundle;
    return '/' + relative(outdir, resolve(file)).split('\\').join('/');
  };
  const html = readFileSync('index.html', 'utf8').replace('%CSS%', find('.css')).replace('%JS%', find('.js'));
  writeFileSync(join(outdir, 'index.html'), html);
  const files = [find('.js'), find('.css')].map((f) => {
    const raw = readFileSync(join(outdir, f));
    return { file: f, bytes: raw.length, gzip_bytes: gzipSync(raw, { level: 9 }).length };
  });
  const total = files.reduce((s, f) => s + f.gzip_bytes, 0);
  writeFileSync(
    outdir + '-sizes.json',
    JSON.stringify({ files, gzip_total_bytes: total, budget_gzip_bytes: BUDGET_GZIP_BYTES }, null, 2) + '\n',
  );
  const kb = (n) => (n / 1024).toFixed(1) + ' kB';
  console.log(
    `web: ${files.map((f) => `${f.file} ${kb(f.bytes)} (${kb(f.gzip_bytes)} gzip)`).join(', ')}; total ${kb(total)} gzip of ${kb(BUDGET_GZIP_BYTES)}`,
  );
  if (total > BUDGET_GZIP_BYTES)
    throw new Error(`web: JS+CSS is ${kb(total)} gzipped, over the ${kb(BUDGET_GZIP_BYTES)} budget`);
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
cpSync('public', outdir, { recursive: true });
const options = {
  entryPoints: ['src/main.jsx'],
  bundle: true,
  outdir: join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  format: 'esm',
  target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
  minify: !watch,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    {
      name: 'index',
      setup(b) {
        b.onEnd((r) => {
          if (!r.errors.length) writeIndex(r.metafile);
        });
      },
    },
  ],
};
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log(`web: watching; serve with telltale serve --web-dir ${outdir}`);
} else {
  try {
    await esbuild.build(options);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
