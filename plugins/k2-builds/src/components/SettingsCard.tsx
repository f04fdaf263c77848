import { ReactNode } from 'react';
import { InfoCard, WarningPanel } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { K2BuildSettings } from '@internal/plugin-k2-builds-common';
import { Mono } from '@internal/plugin-k2-react';
import { useBuildsT } from '../translation';
import { dockerfileOrigin } from './format';
import { BuildsScope } from './types';

const useStyles = makeStyles(theme => ({
  label: {
    whiteSpace: 'nowrap',
    width: '1%',
    color: theme.palette.text.secondary,
    borderBottom: 'none',
    paddingLeft: 0,
  },
  value: { borderBottom: 'none' },
}));

/**
 * What a build of the service uses: the source repository and the ref it builds by
 * default, the image repository, where the Dockerfile comes from, where a succeeded
 * build releases, the runner; the settings' problems as a callout (the Build button
 * is disabled with them), and the runner's reason when it cannot build now.
 */
export function SettingsCard(props: {
  scope: BuildsScope;
  settings: K2BuildSettings;
  action: ReactNode;
}) {
  const { settings, scope } = props;
  const t = useBuildsT();
  const classes = useStyles();
  const notSet = (
    <Typography variant="body2" color="textSecondary" component="span">
      {t('settings.unknown')}
    </Typography>
  );
  const dockerfile = dockerfileOrigin(settings.dockerfile, t);
  const rows: Array<[string, ReactNode]> = [
    [
      t('settings.source'),
      settings.repository ? (
        <>
          <Mono>{settings.repository}</Mono>
          {settings.defaultRef && (
            <>
              {' · '}
              <Mono>{settings.defaultRef}</Mono>
            </>
          )}
        </>
      ) : (
        notSet
      ),
    ],
    [
      t('settings.image'),
      settings.image ? <Mono>{settings.image}</Mono> : notSet,
    ],
    [t('settings.dockerfile'), dockerfile],
    [
      t('settings.release'),
      settings.releaseTo
        ? t('settings.releasesTo', {
            environment: scope.environmentTitle(settings.releaseTo),
          })
        : t('settings.noRelease'),
    ],
    [t('settings.runner'), t(`runners.${settings.runner}`)],
  ];
  return (
    <InfoCard title={t('settings.title')} action={props.action}>
      {settings.problems.length > 0 && (
        <Box mb={2}>
          <WarningPanel
            severity="error"
            title={t('settings.problems')}
            defaultExpanded
          >
            <Box component="ul" m={0} pl={2}>
              {settings.problems.map(problem => (
                <li key={problem}>
                  <Typography variant="body2">{problem}</Typography>
                </li>
              ))}
            </Box>
            <Typography variant="body2" color="textSecondary">
              {t('settings.problemsHint')}
            </Typography>
          </WarningPanel>
        </Box>
      )}
      {!settings.available && (
        <Box mb={2}>
          <WarningPanel
            title={t('settings.unavailable')}
            message={settings.unavailableReason}
          />
        </Box>
      )}
      <Box overflow="auto">
        <Table size="small" aria-label={t('settings.title')}>
          <TableBody>
            {rows.map(([label, value]) => (
              <TableRow key={label}>
                <TableCell component="th" scope="row" className={classes.label}>
                  {label}
                </TableCell>
                <TableCell className={classes.value}>{value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </InfoCard>
  );
}
