module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // Tests that need promtool run through a conditional `it`.
    'jest/no-standalone-expect': [
      'error',
      {
        additionalTestBlockFunctions: ['itWithPromtool', 'itWithPromtool.each'],
      },
    ],
  },
  overrides: [
    {
      // The storm benchmark is a development tool run from source, like the tests:
      // it uses the dev dependencies and the test backend.
      files: ['src/bench/**'],
      rules: {
        '@backstage/no-undeclared-imports': 'off',
        'no-restricted-imports': 'off',
      },
    },
  ],
});
