import { T, type TSchema } from '@opendray/sdk/wire';

/** Where a response schema says which media type it is (JSON when absent). */
const MEDIA = Symbol.for('opendray.openapi.media');

function media<S extends TSchema>(type: string, schema: S): S {
  Object.defineProperty(schema, MEDIA, { value: type, enumerable: true });
  return schema;
}

/** The media type of a response body schema; `null` for no body (`T.Null()`). */
export function mediaTypeOf(schema: TSchema): string | null {
  const marked = (schema as unknown as Record<symbol, unknown>)[MEDIA];
  if (typeof marked === 'string') return marked;
  return schema.type === 'null' ? null : 'application/json';
}

/** Raw bytes (`application/octet-stream`): the buffer, the repaint of a screen. */
export const OctetStream = media('application/octet-stream', T.String({ contentMediaType: 'application/octet-stream' }));
/** Whatever an upstream answered (the proxy), any media type. */
export const Passthrough = media('*/*', T.Unknown());
/** No body (204). */
export const NoBody = T.Null();
