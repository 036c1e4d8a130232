import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'data', '.bench'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
      // noUncheckedIndexedAccess makes every indexed read possibly undefined; `!` is how code states it is not.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['cli/**', 'tools/**', 'bench/**', 'server/main.ts'], rules: { 'no-console': 'off' } },
);
