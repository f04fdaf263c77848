export interface Config {
  k2?: {
    builds?: {
      /**
       * K2's local Git server (development: `./k2 start` runs it on 127.0.0.1:7108).
       * When set, the scaffolder gets the action `k2:publish:local-git`, which creates
       * a repository there and pushes a template's files to it. Leave it out in
       * production, where templates publish with the forge's own actions.
       */
      localGit?: {
        /**
         * Whether the action is registered. Default true; the production config sets
         * false, as it is read over the development one.
         */
        enabled?: boolean;
        /** The server's base URL, e.g. `http://127.0.0.1:7108`. */
        url: string;
        /**
         * The file holding the server's push token (`.k2/git/.push-token`, relative to
         * the backend's working directory), read at each run; never logged.
         */
        tokenFile: string;
        /** The push user. Default `k2`. */
        user?: string;
      };
    };
  };
}
