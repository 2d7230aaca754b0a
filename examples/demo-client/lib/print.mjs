// @ts-check
// How the demo talks: one numbered header per step, indented details under it.

const TOTAL = 9;

/**
 * Prints a step header, e.g. `[3/9] Recovery from a rotated key`.
 * @param {number | string} n  the step number, or a label such as `cleanup`
 * @param {string} title
 */
export function step(n, title) {
  const label = typeof n === 'number' ? `[${n}/${TOTAL}]` : `[${n}]`;
  console.log(`\n${label} ${title}`);
}

/** Prints one detail line under the current step. @param {string} text */
export function detail(text) {
  for (const line of text.split('\n')) console.log(`      ${line}`);
}

// CSI, OSC and two-byte escape sequences, so terminal output reads as plain text.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * The last `n` non-blank lines of terminal output, without escape sequences.
 * @param {string} text
 * @param {number} n
 */
export function lastLines(text, n) {
  return text
    .replace(ANSI, '')
    .split(/\r?\n|\r/)
    .filter((line) => line.trim() !== '')
    .slice(-n);
}
