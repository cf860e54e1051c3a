// Assembles the page into dist/ from www/index.html and the release wasm,
// doing for FA Lab's page what `trunk build` does with Trunk.toml (trunk
// 0.21): each `<link data-trunk …>` of index.html is carried out and taken
// out of the page —
//   rel="rust"       the wasm through wasm-bindgen --target web, named fa-lab
//                    (the package's name); no loader is injected (data-type
//                    "worker": app.js and worker.js import ./fa-lab.js);
//   rel="css"        the file copied, linked with its sha384 integrity;
//   rel="copy-file"  the file copied;   rel="copy-dir"  the folder copied —
// so the test command and the serve command need no trunk, whose build is
// the longest step of a fresh machine's set-up. `scripts/check-trunk.sh`
// builds dist/ both ways and compares them byte for byte (docs/toolchain.md,
// "Without trunk"); `trunk serve` with Trunk.toml still works for whoever
// has trunk.
//
// Usage: node scripts/site.mjs WASM [OUT]   (OUT defaults to dist/; WASM is
// target/wasm32-unknown-unknown/release/fa_lab.wasm, built by scripts/build.sh)
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WWW = join(ROOT, 'www');
const [wasm, out = join(ROOT, 'dist')] = process.argv.slice(2);
if (!wasm || !existsSync(wasm)) {
  console.error(`site: no wasm at ${wasm ?? '(none given)'}; usage: node scripts/site.mjs WASM [OUT]`);
  process.exit(2);
}
const NAME = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, 'Cargo.toml'), 'utf8'))[1];

// Built beside OUT and swapped in at the end, as trunk does: a failed build leaves the old dist/.
const stage = `${out}.stage`;
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const attrs = (tag) => Object.fromEntries([...tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].slice(1).map((m) => [m[1], m[2] ?? '']));
const html = readFileSync(join(WWW, 'index.html'), 'utf8').replace(/<link data-trunk [^>]*>/g, (tag) => {
  const a = attrs(tag);
  switch (a.rel) {
    case 'rust':
      if (a['data-bindgen-target'] !== 'web' || a['data-type'] !== 'worker') throw new Error(`site: unsupported ${tag}`);
      execFileSync('wasm-bindgen', ['--target=web', `--out-dir=${stage}`, `--out-name=${NAME}`, '--no-typescript', wasm], { stdio: 'inherit' });
      return '';
    case 'css': {
      const css = readFileSync(join(WWW, a.href));
      writeFileSync(join(stage, a.href), css);
      const sri = createHash('sha384').update(css).digest('base64');
      return `<link rel="stylesheet" href="./${a.href}" integrity="sha384-${sri}"/>`;
    }
    case 'copy-file':
      cpSync(join(WWW, a.href), join(stage, a.href));
      return '';
    case 'copy-dir':
      cpSync(join(WWW, a.href), join(stage, a.href), { recursive: true });
      return '';
    default:
      throw new Error(`site: unsupported ${tag}`);
  }
});
writeFileSync(join(stage, 'index.html'), html);
rmSync(out, { recursive: true, force: true });
renameSync(stage, out);
