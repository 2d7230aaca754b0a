/**
 * `@opendray/console`: the operator's web page for the opendray gateway (docs/console.md),
 * served by `opendray serve` at `/` and mountable by embedders next to `gateway.handler`.
 */
export { createConsoleHandler, type ConsoleHandler, type ConsoleHandlerOptions } from './handler.js';
export { loadConsoleAssets, DEFAULT_ASSETS_DIR, type Asset, type ConsoleAssets } from './assets.js';
export { consoleCsp, securityHeaders } from './headers.js';
