module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // Benchmarks are development tools run from source, like the tests: they use
      // the dev dependencies and the test helpers.
      files: ['src/bench/**'],
      rules: {
        '@backstage/no-undeclared-imports': 'off',
        'no-restricted-imports': 'off',
      },
    },
  ],
});
