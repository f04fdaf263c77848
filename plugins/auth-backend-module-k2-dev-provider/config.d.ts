export interface Config {
  auth?: {
    providers?: {
      /**
       * Development sign-in (`k2.devSignIn` must be enabled too). Takes no options.
       */
      'k2-dev'?: {};
    };
  };
}
