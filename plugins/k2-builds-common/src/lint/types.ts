/**
 * How much a problem matters: an `error` stops a build before it starts, a `warning`
 * is shown with the build, an `info` is a hint.
 */
export type DockerfileProblemSeverity = 'error' | 'warning' | 'info';

/** The checks of `lintDockerfile`, each named in the problems it finds. */
export type DockerfileLintRule =
  /** Not a Dockerfile K2 can read: not text, too large, unknown or incomplete instructions. */
  | 'parse'
  /** No FROM at all. */
  | 'no-from'
  /** A base image without a tag, or with `latest`. */
  | 'base-image-tag'
  /** The final stage runs as root, or sets no USER. */
  | 'root-user'
  /** ADD of a URL, or of a local file where COPY would do. */
  | 'add'
  /** `apt-get install` without `--no-install-recommends`, or leaving the package lists behind. */
  | 'apt-get'
  /** `sudo` in an instruction. */
  | 'sudo'
  /** An ENV or ARG whose name says it holds a secret. */
  | 'secret-name'
  /** The whole build context copied before the dependencies are installed. */
  | 'copy-before-install'
  /** EXPOSE that does not name the service's port. */
  | 'expose-port'
  /** CMD or ENTRYPOINT in shell form. */
  | 'shell-form'
  /** HEALTHCHECK, which Kubernetes ignores. */
  | 'healthcheck';

/**
 * One problem, at the text it concerns. Lines and columns count from 1 as editors show
 * them; the end is exclusive.
 */
export interface DockerfileProblem {
  rule: DockerfileLintRule;
  severity: DockerfileProblemSeverity;
  /** Plain words: what is wrong and what to write instead. Never a secret's value. */
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** What the lint knows about the service beyond the Dockerfile. */
export interface DockerfileLintOptions {
  /** The port the service listens on (`k2.io/port`); EXPOSE is checked against it when given. */
  port?: number;
}
