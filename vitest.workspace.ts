import { defineWorkspace } from 'vitest/config';

// One project per package; each package's own vitest.config.ts sets its timeouts.
export default defineWorkspace(['packages/*', 'examples/*']);
