import { createRequire } from 'node:module';
import { withMasterReader } from './master-reader.js';
import { closeFdsShimAvailable, withOnlyStdio } from './close-fds.js';
import type { PtyBackend, PtyProcess } from './types.js';

const require = createRequire(import.meta.url);

/**
 * node-pty as the default PTY backend; loaded on first spawn so embedders that inject one
 * never load it. On Linux each child starts through a shim that closes every inherited
 * descriptor above 2 (node-pty leaks PTY masters into later children; SPEC §15).
 */
export function createNodePtyBackend(): PtyBackend {
  let nodePty: typeof import('node-pty') | undefined;
  const shim = closeFdsShimAvailable();
  return {
    spawn(command, commandArgs, options) {
      nodePty ??= require('node-pty') as typeof import('node-pty');
      const { file, args } = shim ? withOnlyStdio(command, commandArgs) : { file: command, args: commandArgs };
      // node-pty's typings predate `encoding: null`, which yields Buffers instead of strings.
      const pty = nodePty.spawn(file, args, options as unknown as import('node-pty').IPtyForkOptions) as unknown as PtyProcess;
      return withMasterReader(pty);
    },
  };
}
