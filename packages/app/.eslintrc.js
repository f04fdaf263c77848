module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // End-to-end tests run in Node and check the clusters with kubectl.
      files: ['e2e-tests/**'],
      rules: { 'no-restricted-imports': 'off' },
    },
  ],
});
