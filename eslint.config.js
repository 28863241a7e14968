// Lint enforces the layering (docs/architecture.md): src-shared ← src-core ← src-main/src-server,
// and src-shared ← src-renderer. A wrong-direction import is an error, not a review comment.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const layer = (patterns, message) => ({ group: patterns, message });

const core = ['**/src-core', '**/src-core/**'];
const main = ['**/src-main', '**/src-main/**'];
const server = ['**/src-server', '**/src-server/**'];
const renderer = ['**/src-renderer', '**/src-renderer/**'];
const test = ['**/test/**'];
const cli = ['**/src-cli', '**/src-cli/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'native/build/**', 'test/lint-fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[object.name=/^ipc(Main|Renderer)$/]',
          message: 'Use the typed IPC wrappers (src-main/ipc/typed-ipc.ts, src-main/preload.ts).',
        },
      ],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'electron', 'react', 'react-dom'].map((name) => ({
            name,
            message: 'src-shared is pure TypeScript: no Node, DOM or Electron.',
          })),
          patterns: [layer([...core, ...main, ...server, ...renderer, ...cli], 'src-shared imports nothing above it.')],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['src-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'electron-store', 'electron-updater', 'electron-log'].map((name) => ({
            name,
            message: 'src-core never imports electron (or libraries that need it): it runs in plain Node.',
          })),
          patterns: [layer([...main, ...server, ...renderer, ...cli], 'src-core imports only src-shared.')],
        },
      ],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [layer([...server, ...renderer, ...cli], 'src-main imports src-core and src-shared only.')] },
      ],
    },
  },
  {
    files: ['src-server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The server runs in plain Node.' }],
          patterns: [layer([...main, ...renderer, ...cli], 'src-server imports src-core and src-shared only.')],
        },
      ],
    },
  },
  {
    files: ['src-cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The CLI runs in plain Node.' }],
          patterns: [layer([...main, ...renderer], 'src-cli assembles src-core and src-server only.')],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'electron'].map((name) => ({
            name,
            message: 'The renderer talks only to the API contract in src-shared.',
          })),
          patterns: [layer([...core, ...main, ...server, ...test, ...cli], 'The renderer imports src-shared only.')],
        },
      ],
    },
  },
  {
    // electron-builder hooks are CommonJS scripts run by the packager.
    files: ['build/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The two files that are the typed IPC wrappers may touch the raw objects.
    files: ['src-main/ipc/typed-ipc.ts', 'src-main/preload.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
