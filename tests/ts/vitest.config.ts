// Copied by tests/test_scaffold_typescript.py to the root of a generated tree to run its hook test.
// No React plugin: esbuild's automatic JSX runtime is all the generated .tsx needs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    environment: 'jsdom',
    include: ['app/client/src/**/*.test.{ts,tsx}'],
  },
});
