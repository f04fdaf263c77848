import { ReactNode } from 'react';
import { makeStyles } from '@material-ui/core/styles';

/** The monospace stack of every machine name and diff line K2 shows. */
export const monospaceFontFamily =
  'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

const useStyles = makeStyles(theme => ({
  mono: {
    fontFamily: monospaceFontFamily,
    fontSize: '0.8125rem',
    whiteSpace: 'nowrap',
    color: theme.palette.text.primary,
  },
}));

/**
 * Machine names — pods, nodes, IPs, image tags, object names — in monospace, on one
 * line: they are never broken mid-word, the column grows instead.
 */
export function Mono(props: { children: ReactNode; title?: string }) {
  const classes = useStyles();
  return (
    <span className={classes.mono} title={props.title}>
      {props.children}
    </span>
  );
}
