// Lint: ESLint's and typescript-eslint's recommended rules, on the product code, tests and benches.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.build-test-*/', 'web/dist/', 'packages/*/dist/', 'packages/client/src/schema.gen.ts', 'data/', 'tmp/', 'training/', 'test-artifacts/', 'models/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // The engine boundary: the service and the CLI use the engine's public API only: index.ts
    // (the engine), pool.ts (engines on threads), api.ts (types, errors, the result schema; no
    // native modules). Their process set-up (src/boot) is outside the engine too.
    files: ['src/service/**', 'src/cli/**', 'src/boot/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)engine/(?!(index|pool|api)\\.ts$)', message: "Use the engine's public API (src/engine/index.ts, pool.ts or api.ts), not its stages." }],
      }],
    },
  },
  {
    // The browser gets the public types (type-only), the browser-safe code (browser.ts), the landmark topology and the stage names (plain data).
    files: ['web/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)engine/(?!api\\.ts$|browser\\.ts$|face/topology\\.ts$|stages\\.ts$)', message: 'The web app imports the engine through src/engine/api.ts (types) or browser.ts (browser-safe code) only.' }],
      }],
    },
  },
  {
    files: ['src/engine/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^(\\.\\./)+(service|cli|boot)/', message: 'The engine depends on nothing of the service, the CLI or their process set-up.' }],
      }],
    },
  },
  {
    // Tests and the test kit poke at loosely typed JSON responses.
    files: ['test/**/*.ts', 'testkit/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-empty': ['error', { allowEmptyCatch: true }] },
  },
);
