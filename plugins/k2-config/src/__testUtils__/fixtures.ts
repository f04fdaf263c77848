/** application.yaml's two versions in test. */
export const APPLICATION_V1 =
  'server:\n  port: 8080\nlogging:\n  level: info\n';
export const APPLICATION_V2 =
  'server:\n  port: 8080\nlogging:\n  level: debug\nfeatures:\n  search: true\n';

/** The sensitive file's content: what must never reach a non-owner's screen. */
export const SECRET_CONTENT = 'db.password=hunter2-do-not-show\n';
