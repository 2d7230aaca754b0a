/** Percentile (0–100) of an unsorted numeric array. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const median = (values) => percentile(values, 50);

/** Formats a number with a unit, 3 significant digits. */
export const fmt = (n, unit) => `${Number(n.toPrecision(3))} ${unit}`;
