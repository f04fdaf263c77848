import { Fragment } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles } from '@material-ui/core/styles';
import {
  isBuildFinished,
  K2BuildLintProblem,
  K2BuildsService,
  K2BuildStatus,
} from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import {
  monospaceFontFamily,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2BuildsApiRef } from '../api/K2BuildsApi';
import { useBuildsT } from '../translation';
import { dockerfileOrigin } from './format';
import { usePolling } from './usePolling';

/** While a build has no Dockerfile yet and has not ended, it is asked for this often. */
export const DOCKERFILE_REFRESH_MS = 3000;

const useStyles = makeStyles(theme => ({
  file: {
    margin: 0,
    fontFamily: monospaceFontFamily,
    fontSize: 12,
    lineHeight: 1.5,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    overflow: 'auto',
    maxHeight: '55vh',
  },
  line: { display: 'flex' },
  number: {
    flex: '0 0 3.5em',
    textAlign: 'right',
    paddingRight: theme.spacing(1.5),
    color: theme.palette.text.secondary,
    userSelect: 'none',
  },
  text: { whiteSpace: 'pre-wrap', wordBreak: 'break-all', flex: 1 },
  error: { background: alpha(theme.palette.error.main, 0.12) },
  warning: { background: alpha(theme.palette.warning.main, 0.12) },
  info: { background: alpha(theme.palette.info.main, 0.1) },
  problem: {
    fontFamily: theme.typography.fontFamily,
    padding: theme.spacing(0.25, 1, 0.5, 6.5),
  },
  errorText: { color: theme.palette.error.main },
  warningText: { color: theme.palette.warning.dark },
  infoText: { color: theme.palette.info.dark },
}));

const SEVERITY_ORDER = ['error', 'warning', 'info'] as const;

/** The worst severity of a line's problems. */
const worst = (problems: K2BuildLintProblem[]) =>
  SEVERITY_ORDER.find(s => problems.some(p => p.severity === s));

/**
 * The Dockerfile a build used, with line numbers, and the lint's problems under the
 * lines they concern (the line tinted by the worst one's severity, which is also
 * written out, so colour is never the only sign). Read again when `status` changes:
 * a queued build has none yet (404), which says so, and is asked again while it runs
 * until it has one.
 */
export function DockerfileView(props: {
  service: K2BuildsService;
  number: number;
  status: K2BuildStatus;
}) {
  const { service, number, status } = props;
  const t = useBuildsT();
  const classes = useStyles();
  const api = useApi(k2BuildsApiRef);
  const dockerfile = useLoad(
    () =>
      api.getBuildDockerfile(service, number).catch(error => {
        if (error instanceof K2ApiError && error.statusCode === 404) {
          return null;
        }
        throw error;
      }),
    [api, service, number, status],
    { keepOnChange: true },
  );
  // A running build reads or renders its Dockerfile after it starts (the source is
  // fetched first): until then it is asked for again, not only when the status changes.
  usePolling(
    dockerfile.reload,
    DOCKERFILE_REFRESH_MS,
    dockerfile.value === null && !isBuildFinished(status),
  );
  return (
    <ViewState
      value={dockerfile.value}
      error={dockerfile.error}
      isEmpty={v => v === null}
      emptyTitle={t('dockerfile.notYet')}
      inline
    >
      {file => {
        const { text, problems } = file!;
        const byLine = new Map<number, K2BuildLintProblem[]>();
        for (const problem of problems) {
          byLine.set(problem.line, [
            ...(byLine.get(problem.line) ?? []),
            problem,
          ]);
        }
        const lines = text.replace(/\n$/, '').split('\n');
        return (
          <Box>
            <Typography variant="body2" gutterBottom>
              {dockerfileOrigin(file!, t)}
              {' · '}
              {problems.length === 0
                ? t('dockerfile.clean')
                : t('dockerfile.problems', { count: problems.length })}
            </Typography>
            <div
              className={classes.file}
              role="region"
              aria-label={t('dockerfile.content', { number: String(number) })}
            >
              {lines.map((line, index) => {
                const here = byLine.get(index + 1) ?? [];
                const severity = worst(here);
                return (
                  <Fragment key={index}>
                    <div
                      className={`${classes.line} ${
                        severity ? classes[severity] : ''
                      }`}
                    >
                      <span className={classes.number} aria-hidden>
                        {index + 1}
                      </span>
                      <span className={classes.text}>{line || ' '}</span>
                    </div>
                    {here.map(problem => (
                      <div
                        key={`${problem.rule}/${problem.column}/${problem.message}`}
                        className={`${classes.problem} ${
                          classes[problem.severity]
                        }`}
                      >
                        <Typography
                          variant="caption"
                          className={classes[`${problem.severity}Text`]}
                        >
                          {t(`severity.${problem.severity}`)}
                          {' · '}
                          {t('dockerfile.problemAt', {
                            line: String(problem.line),
                            column: String(problem.column),
                          })}
                          {': '}
                          {problem.message} ({problem.rule})
                        </Typography>
                      </div>
                    ))}
                  </Fragment>
                );
              })}
            </div>
          </Box>
        );
      }}
    </ViewState>
  );
}
