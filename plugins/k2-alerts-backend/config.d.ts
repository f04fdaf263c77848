import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /** The Alerts backend (plugin k2-alerts). */
    alerts?: {
      /** How Alertmanager authenticates its webhook calls to K2. */
      webhook?: {
        /**
         * The shared secret Alertmanager sends as a bearer token (or as the Basic-auth
         * password) on `POST /api/k2-alerts/webhook/alertmanager`. Without it the
         * webhook refuses every call.
         * @visibility secret
         */
        token?: string;
      };
      /**
       * Kubernetes signals (OOM kills, error exits, crash loops, failed scheduling,
       * readiness failures) converged from the watch caches into one alert per service,
       * environment and reason.
       */
      signals?: {
        /**
         * A signal's alert resolves once its condition has not been seen for this
         * long; conditions seen within it are the same alert. Default 5 minutes.
         */
        window?: HumanDuration | string;
        /**
         * How long a running pod may stay not ready before readiness counts as
         * failing. Default 2 minutes.
         */
        readinessGrace?: HumanDuration | string;
        /**
         * How often pods are folded into signals and changes written; at most the
         * window. Default 5 seconds.
         */
        interval?: HumanDuration | string;
      };
      /** Cluster checks for platform admins, over the watch caches. */
      clusterChecks?: {
        /** A pod pending this long is a finding. Default 10 minutes. */
        pendingAfter?: HumanDuration | string;
        /** How often the clusters are checked. Default 30 seconds. */
        interval?: HumanDuration | string;
        /**
         * A node whose root or image filesystem is at least this percent in use (its
         * kubelet summary's capacity less available bytes) is almost full. Above 0, at
         * most 100; default 85.
         */
        diskFullPercent?: number;
      };
      /**
       * The path of `promtool`, which checks every compiled rule group before it is
       * stored or delivered. Default: `promtool` on the PATH; when it cannot be found
       * rule groups are delivered unchecked and a warning is logged at start.
       */
      promtool?: string;
      /** Silences made from the Alerts tab in the environments' Alertmanagers. */
      silences?: {
        /**
         * The longest silence anyone may make, from now; default 7 days, at least 1
         * minute.
         */
        maxDuration?: HumanDuration | string;
      };
      /** Routing of incidents to their teams' channels. */
      notifications?: {
        /**
         * An incident group (service, environment, rule) is notified at most once per
         * this interval, however often Alertmanager redelivers it or its alerts flap.
         * Default 4 hours.
         */
        repeatInterval?: HumanDuration | string;
      };
      /** Incidents routing did not reach when they opened. */
      routing?: {
        /**
         * An open, unacknowledged incident that routing never reached (the backend
         * stopped between intake and routing, or routing failed) is routed by the
         * escalation task once it opened this long ago. Default 1 minute.
         */
        unroutedAfter?: HumanDuration | string;
      };
      /**
       * The SMTP server that teams' email channels send through. Without it an email
       * channel cannot be saved, and stored ones log every message as undelivered.
       */
      email?: {
        /** The SMTP server's host name. */
        host: string;
        /** Its port; default 587 (STARTTLS when offered), 465 for TLS. */
        port?: number;
        /** TLS from the first byte; default true on port 465, false otherwise. */
        secure?: boolean;
        /** The sender address of alert emails, e.g. `k2-alerts@example.com`. */
        from: string;
        /** The SMTP login, when the server needs one. */
        auth?: {
          user: string;
          /**
           * Never logged, stored in the database or answered by the API.
           * @visibility secret
           */
          password: string;
        };
      };
      /** Escalation of unacknowledged incidents. */
      escalation?: {
        /**
         * How often due escalation levels and reminders are looked for (a global
         * scheduler task). Default 30 seconds.
         */
        tick?: HumanDuration | string;
      };
      /**
       * One entry per K2 environment that has monitoring, by environment name. Rules
       * can be made only for these environments.
       */
      environments?: {
        [environment: string]: {
          /** The environment's Prometheus: its query API (previews) and `/-/reload`. */
          prometheus: {
            /** Base URL, e.g. `http://127.0.0.1:7105`. */
            url: string;
          };
          /** The environment's Alertmanager. */
          alertmanager?: {
            /** Base URL, e.g. `http://127.0.0.1:7106`. */
            url: string;
          };
          /** The blackbox exporter Prometheus sends HTTP probes through. */
          blackbox?: {
            /** host:port, e.g. `127.0.0.1:7107`. */
            address: string;
          };
          /** How the compiled rule groups reach Prometheus. */
          delivery:
            | {
                /**
                 * `files`: K2 writes one rule file per service into `directory` and
                 * POSTs `<prometheus>/-/reload`; HTTP probe targets go to file_sd files
                 * in `probeDirectory`.
                 */
                type: 'files';
                /** Where the rule files go, e.g. `.k2/monitoring/rules/test`. */
                directory: string;
                /**
                 * Where the probe target files go, resolved against `directory`;
                 * default `probes` (i.e. `<directory>/probes`).
                 */
                probeDirectory?: string;
              }
            | {
                /**
                 * `prometheusRule`: a `PrometheusRule` (and, for HTTP probes, a `Probe`)
                 * object per service in its namespace, applied to every cluster of the
                 * environment (prometheus-operator picks them up).
                 */
                type: 'prometheusRule';
                /**
                 * Unused by K2's own objects (they live in the service's namespace);
                 * kept for operators that select rules from one namespace.
                 */
                namespace?: string;
                /** Labels the operator's ruleSelector matches, e.g. `release: prometheus`. */
                labels?: { [name: string]: string };
              };
        };
      };
    };
  };
}
