/**
 * Readers for adapter config fields. Each throws a TypeError naming `config.<field>`, which
 * the routes turn into a 400 `validation_failed` (SPEC §1: the message names the field).
 */

type Config = Record<string, unknown>;

const field = (name: string): string => `config.${name}`;

/** A string of 1–`max` characters; undefined when absent and not required. */
export function stringField(config: Config, name: string, opts: { required?: boolean; max?: number; pattern?: RegExp } = {}): string | undefined {
  const v = config[name];
  if (v === undefined || v === null) {
    if (opts.required) throw new TypeError(`${field(name)} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${field(name)} must be a non-empty string`);
  if (v.length > (opts.max ?? 2048)) throw new TypeError(`${field(name)} must be at most ${opts.max ?? 2048} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new TypeError(`${field(name)} has an invalid format`);
  return v;
}

/** An integer within [min, max], or `fallback` when absent. */
export function intField(config: Config, name: string, fallback: number, min: number, max: number): number {
  const v = config[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${field(name)} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** A boolean, or `fallback` when absent. */
export function boolField(config: Config, name: string, fallback: boolean): boolean {
  const v = config[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new TypeError(`${field(name)} must be a boolean`);
  return v;
}

/** An absolute http(s) URL with a host; returned normalised without a trailing slash when `trimSlash`. */
export function urlField(config: Config, name: string, opts: { required?: boolean; fallback?: string; trimSlash?: boolean } = {}): string | undefined {
  const raw = stringField(config, name, { required: opts.required && opts.fallback === undefined, max: 2048 }) ?? opts.fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`${field(name)} must be an http or https URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new TypeError(`${field(name)} must be an http or https URL`);
  }
  return opts.trimSlash ? raw.replace(/\/+$/, '') : raw;
}

/** A flat object of string values (e.g. extra HTTP headers), at most `maxKeys` entries. */
export function stringMapField(config: Config, name: string, maxKeys = 32): Record<string, string> | undefined {
  const v = config[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${field(name)} must be an object of strings`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > maxKeys) throw new TypeError(`${field(name)} may have at most ${maxKeys} entries`);
  for (const [k, val] of entries) {
    if (typeof val !== 'string' || val.length > 4096) throw new TypeError(`${field(name)}.${k} must be a string`);
  }
  return v as Record<string, string>;
}

/** An id given as a string or an integer, normalised to a string. */
export function idField(config: Config, name: string): string | undefined {
  const v = config[name];
  if (v === undefined || v === null) return undefined;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length > 0 && v.length <= 256)) return String(v);
  throw new TypeError(`${field(name)} must be a string or an integer`);
}

/** A list of ids given as strings or integers, normalised to strings. */
export function idListField(config: Config, name: string, maxItems = 1000): string[] | undefined {
  const v = config[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > maxItems) throw new TypeError(`${field(name)} must be a list of at most ${maxItems} ids`);
  return v.map((item, i) => {
    if ((typeof item === 'number' && Number.isSafeInteger(item)) || (typeof item === 'string' && item.length > 0 && item.length <= 256)) {
      return String(item);
    }
    throw new TypeError(`${field(name)}[${i}] must be a string or an integer`);
  });
}
