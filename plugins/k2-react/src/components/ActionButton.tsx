import { ReactNode } from 'react';
import Button, { ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  destructive: {
    color: theme.palette.error.main,
    borderColor: theme.palette.error.main,
  },
  destructiveContained: {
    color: theme.palette.error.contrastText,
    backgroundColor: theme.palette.error.main,
    '&:hover': { backgroundColor: theme.palette.error.dark },
  },
}));

/**
 * A button for an action the user may not be able to take. When `disabledReason` is
 * set the button is disabled, and a non-empty reason is its tooltip — a disabled
 * action says why ("Only the service's owners…", "Release #8 is in flight"); an
 * empty reason is for the obvious cases (a dialog waiting for the server).
 * `destructive` paints it in the theme's error colour.
 */
export function ActionButton(
  props: Omit<ButtonProps, 'disabled'> & {
    disabledReason?: string;
    destructive?: boolean;
    children: ReactNode;
  },
) {
  const { disabledReason, destructive, className, ...rest } = props;
  const classes = useStyles();
  const colour =
    destructive &&
    (rest.variant === 'contained'
      ? classes.destructiveContained
      : classes.destructive);
  return (
    <Tooltip title={disabledReason ?? ''}>
      <span>
        <Button
          {...rest}
          color={destructive ? 'default' : rest.color ?? 'primary'}
          className={[className, disabledReason === undefined && colour]
            .filter(Boolean)
            .join(' ')}
          disabled={disabledReason !== undefined}
        >
          {props.children}
        </Button>
      </span>
    </Tooltip>
  );
}
