/**
 * `@opendray/sdk/node`: everything of `@opendray/sdk` plus what needs Node built-ins.
 */
export * from './index.js';
export { FileKeyStore } from './file-keystore.js';
export { writeSecretFile } from './secret-file.js';
