import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'console',
    include: ['test/**/*.test.ts'],
    // The browser tests drive a real Chromium against a real `opendray serve`; on a loaded
    // machine a shell's first prompt alone can take seconds, so the bounds are generous.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
