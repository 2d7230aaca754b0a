/**
 * How the user runs this CLI, for the commands it suggests: `npx opendray` when npm
 * exec started it (the bin is then not on PATH), else `opendray`.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_command === 'exec' ? 'npx opendray' : 'opendray';
}
