import { badRequest, notFound, unavailable } from '../errors.js';
import { refusedSegmentReason } from './paths.js';
import type { IntegrationRecord, IntegrationStore } from '../stores/types.js';

/** Where one proxied request goes. */
export interface UpstreamTarget {
  /** `http:` or `https:`. */
  protocol: string;
  /** Host name for the socket (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** The `Host` header the upstream expects (`URL.host`). */
  host: string;
  /**
   * The request-target (path and query) exactly as it goes on the upstream request line;
   * also what `X-OpenDray-Signature` signs.
   */
  requestTarget: string;
}

/** The integration behind `prefix`: 404 for an unknown prefix or a consumer-only integration (SPEC §8). */
export async function proxiedIntegration(store: IntegrationStore, prefix: string): Promise<IntegrationRecord> {
  const record = await store.findByPrefix(prefix);
  if (!record || !record.base_url) throw notFound('integration');
  return record;
}

/** 503 when the integration is disabled or unhealthy, so nothing is sent upstream (SPEC §8). */
export function assertAvailable(record: IntegrationRecord): void {
  if (!record.enabled) throw unavailable(`integration ${record.route_prefix} is disabled`);
  if (record.health_status === 'unhealthy') throw unavailable(`integration ${record.route_prefix} is unhealthy`);
}

/**
 * Maps the rest of a proxy path onto `base_url` (SPEC §8). `rest` is the raw (still
 * percent-encoded) part after `/proxy/{prefix}`, or undefined for `/proxy/{prefix}` itself.
 * Segments are forwarded as received, so the path stays inside `base_url`'s path; a segment
 * some upstream could resolve elsewhere (`refusedSegmentReason`: dot segments in any
 * encoding or before `;`, encoded slashes, control characters) is a 400 rather than
 * something to normalise, because upstreams disagree on how to decode them.
 */
export function upstreamTarget(baseUrl: string, rest: string | undefined, rawQuery: string): UpstreamTarget {
  const base = baseOf(baseUrl);
  const basePath = base.path;
  let path = basePath || '/';
  if (rest !== undefined) {
    for (const segment of rest.split('/')) checkSegment(segment);
    path = `${basePath}/${rest}`;
  }
  const query = withoutToken(rawQuery);
  return { protocol: base.protocol, hostname: base.hostname, port: base.port, host: base.host, requestTarget: asSentByHttpProxy(path) + (query ? `?${query}` : '') };
}

type ParsedBase = Omit<UpstreamTarget, 'requestTarget'> & { path: string };
// Parsed once per base_url (a URL parse per proxied request is measurable); bounded.
const parsedBases = new Map<string, ParsedBase>();

function baseOf(baseUrl: string): ParsedBase {
  let parsed = parsedBases.get(baseUrl);
  if (parsed) return parsed;
  const url = new URL(baseUrl);
  parsed = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    host: url.host,
    path: url.pathname.replace(/\/+$/, ''),
  };
  if (parsedBases.size >= 1024) parsedBases.clear();
  parsedBases.set(baseUrl, parsed);
  return parsed;
}

function checkSegment(segment: string): void {
  const reason = refusedSegmentReason(segment);
  if (reason) throw badRequest(reason);
}

/** The raw query without `token` parameters (SPEC §1: a `?token=` is never forwarded). */
export function withoutToken(rawQuery: string): string {
  if (!rawQuery) return '';
  // Nothing to remove or tidy: no `token` name in any spelling, no empty pair.
  if (!/token|%|\+|&&|^&|&$/.test(rawQuery)) return rawQuery;
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '' && decodeName(pair.split('=', 1)[0]!) !== 'token')
    .join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * http-proxy joins paths with `urlJoin`, which collapses repeated slashes and then turns
 * the first `http:/` / `https:/` back into `http://` / `https://`. Applying the same here
 * keeps the signed request-target identical to the one on the wire.
 */
function asSentByHttpProxy(path: string): string {
  if (!path.includes('//') && !path.includes('http')) return path;
  return path.replace(/\/+/g, '/').replace('http:/', 'http://').replace('https:/', 'https://');
}
