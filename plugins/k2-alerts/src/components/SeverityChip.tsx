import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import { K2AlertSeverity } from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';

const useStyles = makeStyles(theme => ({
  critical: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  warning: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  info: {
    backgroundColor: theme.palette.info.main,
    color: theme.palette.info.contrastText,
  },
}));

/**
 * An alert's severity as a small chip in the theme's colours: critical in the error
 * colour, warning in the warning colour, info in the info colour; the word is always
 * written, so colour is never the only sign.
 */
export function SeverityChip(props: { severity: string }) {
  const t = useAlertsT();
  const classes = useStyles();
  const known = ['critical', 'warning', 'info'].includes(props.severity)
    ? (props.severity as K2AlertSeverity)
    : undefined;
  return (
    <Chip
      size="small"
      className={known ? classes[known] : undefined}
      label={known ? t(`severity.${known}`) : props.severity}
    />
  );
}

/** The severities of K2 alerts, most severe first, as the filters list them. */
export const SEVERITIES: K2AlertSeverity[] = ['critical', 'warning', 'info'];
