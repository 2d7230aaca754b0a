import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    // Like the other packages: sessions run /bin/sh, not the machine user's interactive bash
    // (whose rc files are not under test and can stall a shell's start).
    env: { SHELL: '/bin/sh' },
    name: 'console',
    include: ['test/**/*.test.ts'],
    // The browser tests drive a real Chromium against a real `opendray serve`; on a loaded
    // machine a shell's first prompt alone can take seconds, so the bounds are generous.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
