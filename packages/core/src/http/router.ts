import type { HttpMethod, RouteAccess } from './route.js';

/** What the router needs of a row: its method, template and access. */
export interface RoutePattern {
  method: HttpMethod;
  path: string;
  access: RouteAccess;
}

/** A route found for a path, with its `{param}` values decoded. */
export interface RouteMatch<R extends RoutePattern = RoutePattern> {
  route: R;
  params: Record<string, string>;
}

/** What the router says about a path: a match, or the methods it does allow (405), or nothing (404). */
export type RouteLookup<R extends RoutePattern = RoutePattern> = { found: RouteMatch<R> } | { allowed: HttpMethod[] } | null;

interface CompiledRoute<R extends RoutePattern> {
  route: R;
  segments: string[];
  rest: boolean;
}

const PARAM = /^\{([a-z_][a-z0-9_]*)\}$/;
const LITERAL = /^[A-Za-z0-9._-]+$/;

function compile<R extends RoutePattern>(route: R): CompiledRoute<R> {
  if (!route.path.startsWith('/')) throw new TypeError(`route ${route.method} ${route.path}: path must start with /`);
  const segments = route.path.split('/').slice(1);
  const rest = segments.at(-1) === '*';
  if (rest) segments.pop();
  const names = new Set<string>();
  for (const seg of segments) {
    const param = PARAM.exec(seg);
    if (param) {
      if (names.has(param[1]!)) throw new TypeError(`route ${route.path}: duplicate parameter ${seg}`);
      names.add(param[1]!);
    } else if (!LITERAL.test(seg)) {
      throw new TypeError(`route ${route.path}: malformed segment "${seg}"`);
    }
  }
  return { route, segments, rest };
}

/**
 * The route table. Literal segments beat parameters (`/integrations/_calls` wins over
 * `/integrations/{id}`). Building it throws on a row without access, a duplicate or a
 * malformed template, so a bad table fails at `createGateway`, not on a request.
 */
export class Router<R extends RoutePattern = RoutePattern> {
  private readonly compiled: CompiledRoute<R>[] = [];

  constructor(routes: readonly R[]) {
    const seen = new Set<string>();
    for (const route of routes) {
      if (route.access === undefined || route.access === null) {
        throw new TypeError(`route ${route.method} ${route.path} declares no access scope`);
      }
      const key = `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`;
      if (seen.has(key)) throw new TypeError(`duplicate route ${route.method} ${route.path}`);
      seen.add(key);
      this.compiled.push(compile(route));
    }
    // Most literal segments first, then the longest: the most specific template wins.
    const literalCount = (c: CompiledRoute<R>): number => c.segments.filter((s) => !PARAM.test(s)).length;
    this.compiled.sort(
      (a, b) => Number(a.rest) - Number(b.rest) || literalCount(b) - literalCount(a) || b.segments.length - a.segments.length,
    );
  }

  /** Every row, for the OpenAPI document and the scope audit test. */
  get routes(): R[] {
    return this.compiled.map((c) => c.route);
  }

  /** `path` is relative to `/api/v1` and not yet percent-decoded. */
  lookup(method: string, path: string): RouteLookup<R> {
    const parts = path.split('/').slice(1);
    const allowed = new Set<HttpMethod>();
    for (const c of this.compiled) {
      const params = matchSegments(c, parts);
      if (!params) continue;
      if (c.route.method === method || (method === 'HEAD' && c.route.method === 'GET')) {
        return { found: { route: c.route, params } };
      }
      allowed.add(c.route.method);
    }
    return allowed.size ? { allowed: [...allowed] } : null;
  }
}

function matchSegments(c: CompiledRoute<RoutePattern>, parts: string[]): Record<string, string> | null {
  if (c.rest ? parts.length < c.segments.length : parts.length !== c.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const seg = c.segments[i]!;
    const part = parts[i]!;
    const param = PARAM.exec(seg);
    if (param) {
      const value = safeDecode(part);
      if (value === null || value === '') return null;
      params[param[1]!] = value;
    } else if (seg !== part) {
      return null;
    }
  }
  if (c.rest) params['*'] = parts.slice(c.segments.length).join('/');
  return params;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
