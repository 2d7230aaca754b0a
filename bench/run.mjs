#!/usr/bin/env node
// Runs every bench/*.bench.mjs (or those named on the command line) and prints one
// table row per figure: figure, the baseline measured in the same run, ratio, target.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows = [];
for (const file of files) {
  process.stderr.write(`running ${file}…\n`);
  try {
    const mod = await import(pathToFileURL(join(here, file)).href);
    const produced = await mod.default({ log: (m) => process.stderr.write(`  ${m}\n`) });
    for (const row of produced) rows.push({ file, ...row });
  } catch (err) {
    rows.push({ file, name: 'FAILED', figure: String(err?.stack ?? err), baseline: '', ratio: '', target: '' });
  }
}

const header = ['benchmark', 'figure', 'baseline (same run)', 'ratio', 'target', 'met'];
const table = rows.map((r) => [
  r.name,
  r.figure,
  r.baseline,
  typeof r.ratio === 'number' ? `${r.ratio.toFixed(r.ratio >= 100 ? 0 : 2)}×` : String(r.ratio ?? ''),
  r.target,
  r.met === undefined ? '' : r.met ? 'yes' : 'NO',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
if (rows.some((r) => r.name === 'FAILED')) process.exitCode = 1;
