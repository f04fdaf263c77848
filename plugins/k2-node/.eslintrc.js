module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // Tests that need a system tool run through a conditional `it`.
    'jest/no-standalone-expect': [
      'error',
      { additionalTestBlockFunctions: ['itWithRegistry'] },
    ],
  },
});
