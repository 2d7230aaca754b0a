import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'example-demo-client', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
});
