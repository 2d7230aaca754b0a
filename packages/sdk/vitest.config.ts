import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    // Sessions in tests run /bin/sh, not the machine user's interactive bash: its rc files
    // (here pyenv init, whose rehash lock can stall a shell for 60 s) are not under test.
    env: { SHELL: '/bin/sh' },
    name: 'sdk',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
