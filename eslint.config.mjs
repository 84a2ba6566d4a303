// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node built-ins and I/O libraries: none of them may run inside deterministic workflow code. */
const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url',
  'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
// luxon is allowed: pure date arithmetic, with time zones from Intl, which replays the same.
const ioModules = ['nodemailer', 'express', 'zod', 'pino', 'handlebars', 'yaml', 'ical-generator', 'smtp-server', 'mailparser'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'src/api/console/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'test/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins.flatMap((name) => [name, `node:${name}`]), ...ioModules].map((name) => ({
            name,
            message: 'Workflow code must be deterministic: do I/O in an activity.',
            allowTypeImports: true,
          })),
          patterns: [
            { group: ['../activities', '../activities/*'], message: 'Import activity types only (import type).', allowTypeImports: true },
            { group: ['../src/*', '../src/**', '../../src/*', '../../src/**'], message: 'Workflows import contracts, and only types from src/ (zod stays out of the bundle).', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Contracts are the leaves everything else stands on: they import no other part of the project.
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'Contracts are types and constants only.' })),
          patterns: [{ group: ['../src/*', '../workflows/*', '../activities/*', '../test/*'], message: 'Contracts import only other contracts.' }],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Tests read JSON answers as a client would, without declaring every shape.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { module: 'writable', require: 'readonly', console: 'readonly' } },
  },
);
