import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'console',
    include: ['test/**/*.test.ts'],
    // The browser tests drive a real Chromium against a real `opendray serve`.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
