import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GatewayOptions } from './options.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'function' | 'string[]' | 'array' | 'storage' | 'sandbox';

/**
 * The type of every `createGateway` option. A key missing here is a typo to the check, so
 * a new option is added here with its type (the `satisfies` keeps the two in step).
 */
const KINDS = {
  storage: 'storage',
  storageDurability: 'string',
  stores: 'object',
  pty: 'object',
  auth: 'object',
  host: 'string',
  port: 'number',
  bodyLimitBytes: 'number',
  trustProxy: 'string[]',
  limits: 'object',
  sessionRetention: 'object',
  bcryptCost: 'number',
  clock: 'object',
  logger: 'object',
  hooks: 'object',
  fallback: 'function',
  version: 'string',
  workspaceRoot: 'string',
  allowedRoots: 'string[]',
  sandbox: 'sandbox',
  dataDir: 'string',
  hiddenPaths: 'string[]',
  idleThresholdMs: 'number',
  bufferBytes: 'number',
  outputDir: 'string',
  maxLiveSessions: 'number',
  stopGraceMs: 'number',
  providers: 'array',
  eventLogSize: 'number',
  healthIntervalMs: 'number',
  healthTimeoutMs: 'number',
  proxyTimeoutMs: 'number',
  callLog: 'object',
  channelAdapters: 'object',
  proxyEngine: 'string',
  sockets: 'object',
  sessionObservers: 'array',
  agentRules: 'object',
  agentHooks: 'object',
  sessionFiles: 'object',
} satisfies Record<keyof GatewayOptions, Kind>;

/**
 * Refuses what the type system cannot stop in JavaScript callers: an unknown option (a typo
 * such as `storag` would otherwise be silently ignored), a value of the wrong type, and a
 * SQLite file in a directory that does not exist. Throws a TypeError naming the option.
 */
export function checkOptions(options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('createGateway: options must be an object');
  const known = KINDS as Record<string, Kind>;
  for (const [name, value] of Object.entries(options)) {
    const kind = known[name];
    if (!kind) throw new TypeError(`createGateway: unknown option "${name}"${suggest(name, Object.keys(known))}`);
    if (value === undefined) continue;
    if (!matches(kind, value)) throw new TypeError(`createGateway: option "${name}" must be ${describe(kind)} (got ${typeName(value)})`);
  }
  const storage = (options as GatewayOptions).storage;
  if (typeof storage === 'string' && storage.startsWith('sqlite://')) {
    const file = storage.slice('sqlite://'.length);
    if (file && !existsSync(dirname(file))) throw new TypeError(`createGateway: option "storage": the directory of ${file} does not exist`);
  }
}

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'function':
      return typeof v === 'function';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'storage':
      return typeof v === 'string' || (typeof v === 'object' && v !== null);
    case 'sandbox':
      return ['auto', 'bwrap', 'off'].includes(v as string) || (typeof v === 'object' && v !== null && typeof (v as { wrap?: unknown }).wrap === 'function');
  }
}

const describe = (kind: Kind): string =>
  ({ string: 'a string', number: 'a number', boolean: 'a boolean', function: 'a function', object: 'an object', array: 'an array', 'string[]': 'an array of strings', storage: 'a store URI or a Keyv instance', sandbox: '"auto", "bwrap", "off" or a SessionSandbox' })[kind];

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v);

/** ` (did you mean "storage"?)` for a name within two edits of a known one. */
function suggest(name: string, known: readonly string[]): string {
  const best = known.map((k) => [k, distance(name.toLowerCase(), k.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 2 ? ` (did you mean "${best[0]}"?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
