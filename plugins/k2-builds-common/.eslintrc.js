module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // openapi-fetch names its methods after the HTTP verbs: client.GET(...), client.POST(...).
    'new-cap': [
      'error',
      { capIsNewExceptions: ['GET', 'POST', 'PUT', 'DELETE'] },
    ],
  },
});
