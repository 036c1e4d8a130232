import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './web/svelte.config.js';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', '.bench', 'web/build', 'web/.svelte-kit'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
      // noUncheckedIndexedAccess makes every indexed read possibly undefined; `!` is how code states it is not.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
  { files: ['cli/**', 'tools/**', 'bench/**', 'server/main.ts'], rules: { 'no-console': 'off' } },
);
