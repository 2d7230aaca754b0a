import { defineProject } from 'vitest/config';

// End-to-end tests against the REAL agent CLIs (pinned, installed into a cache dir) and a
// stand-in model server: minutes, not seconds. `npm run test:agents`; .ci/run runs them.
export default defineProject({
  test: {
    name: 'agents-e2e',
    include: ['test/agents-e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
