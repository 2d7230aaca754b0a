import { schemaName, type TSchema } from '@opendray/sdk/wire';

type Json = Record<string, unknown>;

/**
 * Turns TypeBox schemas into plain JSON Schema for a document: every named sub-schema
 * (`named('Session', …)` in `@opendray/sdk/wire`) becomes a `$ref` to
 * `#/components/schemas/<name>` and is collected once, so the document names each shape
 * the SDK exports. A copy of a named schema with its own description keeps it beside the `$ref`.
 */
export class SchemaRegistry {
  readonly components: Record<string, Json> = {};
  private readonly sources = new Map<string, TSchema>();

  constructor(private readonly prefix = '#/components/schemas/') {}

  /** `schema` as JSON, named parts replaced by `$ref`s (itself too, when named). */
  ref(schema: TSchema): Json {
    return this.convert(schema, false) as Json;
  }

  /** Registers a named schema as a component (even when nothing refers to it). */
  add(schema: TSchema): string {
    const name = schemaName(schema);
    if (!name) throw new TypeError('only named schemas are components');
    this.register(name, schema);
    return name;
  }

  private register(name: string, schema: TSchema): void {
    const seen = this.sources.get(name);
    if (seen) {
      if (seen !== schema && JSON.stringify(seen) !== JSON.stringify(schema)) {
        // Copies (T.Optional, a description) differ only in annotations; a real clash is a bug.
        const strip = (s: TSchema): string => JSON.stringify({ ...s, description: undefined, default: undefined });
        if (strip(seen) !== strip(schema)) throw new TypeError(`two different schemas are named ${name}`);
      }
      return;
    }
    this.sources.set(name, schema);
    this.components[name] = {};
    this.components[name] = this.convert(schema, true) as Json;
  }

  private convert(node: unknown, isRoot: boolean): unknown {
    if (Array.isArray(node)) return node.map((n) => this.convert(n, false));
    if (node === null || typeof node !== 'object') return node;
    const name = isRoot ? undefined : schemaName(node);
    if (name) {
      this.register(name, node as TSchema);
      const own = (node as Json).description;
      const registered = this.sources.get(name) as Json;
      return { $ref: `${this.prefix}${name}`, ...(own !== undefined && own !== registered.description ? { description: own } : {}) };
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = this.convert(v, false);
    return out;
  }
}
