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
});
