module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // End-to-end tests run in Node and check the clusters with kubectl. They wait
      // for K2's words in each language from the plugins' translation files, whose
      // package entry points also load React components that Node cannot run.
      files: ['e2e-tests/**'],
      rules: {
        'no-restricted-imports': 'off',
        '@backstage/no-forbidden-package-imports': 'off',
      },
    },
  ],
});
