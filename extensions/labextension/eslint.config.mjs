// Lint rules of the labextension (`jlpm eslint:check`, run by `make lint`
// and by the tests). Formatting is prettier's job, so eslint-config-prettier
// turns off every rule that only concerns layout.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'node_modules/', '.yarn/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // interfaces are named I<Thing>, as in JupyterLab's own sources
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', caughtErrors: 'none' }
      ],
      // namespaces carry a class's options and command ids, as in JupyterLab
      '@typescript-eslint/no-namespace': 'off',
      eqeqeq: 'error',
      curly: 'error',
      'prefer-const': 'error'
    }
  },
  {
    files: ['*.js', '*.mjs'],
    languageOptions: { globals: globals.node }
  },
  {
    files: ['webpack.config.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  prettier
);
