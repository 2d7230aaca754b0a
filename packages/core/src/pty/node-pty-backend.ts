import { createRequire } from 'node:module';
import { withMasterReader } from './master-reader.js';
import type { PtyBackend, PtyProcess } from './types.js';

const require = createRequire(import.meta.url);

/** node-pty as the default PTY backend; loaded on first spawn so embedders that inject one never load it. */
export function createNodePtyBackend(): PtyBackend {
  let nodePty: typeof import('node-pty') | undefined;
  return {
    spawn(file, args, options) {
      nodePty ??= require('node-pty') as typeof import('node-pty');
      // node-pty's typings predate `encoding: null`, which yields Buffers instead of strings.
      const pty = nodePty.spawn(file, args, options as unknown as import('node-pty').IPtyForkOptions) as unknown as PtyProcess;
      return withMasterReader(pty);
    },
  };
}
