// Lint for web/ (and the JS tests beside it): the recommended rules, the rules of hooks, and a
// few that catch real mistakes in Preact code. Formatting is prettier's job, not this file's.
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

export default [
  { ignores: ['dist/', 'dist-*/', 'node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,jsx,mjs}'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { ...globals.browser },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      // Effects here deliberately re-run on a chosen subset of what they read (a filter, an id),
      // with the rest read fresh from the render that scheduled them; the rule would ask for all.
      'react-hooks/exhaustive-deps': 'off',
      // ignoreRestSiblings: `const { a, ...rest } = x` is how a key is left out of a copy.
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  { files: ['build.mjs', 'eslint.config.js'], languageOptions: { globals: { ...globals.node } } },
  // The JS tests (tests/web in happy-dom, tests/e2e in Node) are linted with this file from the
  // repository's root (`npm run lint`), where these paths start.
  { files: ['tests/e2e/**/*.mjs', 'tests/web/vitest.config.js'], languageOptions: { globals: { ...globals.node } } },
];
