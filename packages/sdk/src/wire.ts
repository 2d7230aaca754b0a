/**
 * Every JSON shape that crosses the opendray wire (SPEC §4–§10), declared once as a TypeBox
 * schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1) with its static type beside it:
 * `Session` is both the schema and the type. The gateway validates requests with these
 * schemas and builds its OpenAPI and AsyncAPI documents from them; the SDK, the CLI and
 * integrations in a browser share the types. Also the rules both sides must agree on: the
 * scope matcher, the topic pattern, the redaction marker and the error-code table.
 *
 * Depends only on `@sinclair/typebox` (dependency-free). Field names are the opendray-v2
 * names; additions are optional.
 */
export * from './wire/kit.js';
export * from './wire/errors.js';
export * from './wire/scopes.js';
export * from './wire/profile.js';
export * from './wire/integrations.js';
export * from './wire/calls.js';
export * from './wire/sessions.js';
export * from './wire/providers.js';
export * from './wire/channels.js';
export * from './wire/auth.js';
export * from './wire/stream.js';
export * from './wire/events.js';
export * from './wire/agents.js';
