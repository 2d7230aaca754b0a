import { defineProject } from 'vitest/config';

export default defineProject({
  // Sessions run /bin/sh, not the machine user's interactive bash (see packages/core/vitest.config.ts).
  test: { name: 'example-slack-style-bot', env: { SHELL: '/bin/sh' }, include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
});
