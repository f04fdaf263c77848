module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // Tests that need kubectl run through a conditional `it`.
    'jest/no-standalone-expect': [
      'error',
      { additionalTestBlockFunctions: ['itWithKubectl'] },
    ],
  },
});
