import { ReactNode, useId } from 'react';
import Box from '@material-ui/core/Box';
import Drawer from '@material-ui/core/Drawer';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CloseIcon from '@material-ui/icons/Close';

const useStyles = makeStyles(theme => ({
  paper: {
    width: 'min(960px, 92vw)',
    padding: theme.spacing(2, 3),
  },
}));

/**
 * The detail of one row (an instance, a release) in a drawer from the right, beside
 * the list it was opened from: the list keeps its place and its filters. Closed by its
 * close button, Escape or a click outside; `title` names it for screen readers.
 */
export function DetailDrawer(props: {
  open: boolean;
  title: ReactNode;
  subtitle?: ReactNode;
  closeLabel: string;
  onClose(): void;
  children: ReactNode;
}) {
  const classes = useStyles();
  const titleId = useId();
  return (
    <Drawer
      anchor="right"
      open={props.open}
      onClose={props.onClose}
      classes={{ paper: classes.paper }}
      PaperProps={{ role: 'dialog', 'aria-labelledby': titleId } as object}
    >
      <Box display="flex" alignItems="flex-start" mb={1}>
        <Box flex={1} minWidth={0}>
          <Typography variant="h5" component="h2" id={titleId} noWrap>
            {props.title}
          </Typography>
          {props.subtitle && (
            <Typography variant="body2" color="textSecondary" component="div">
              {props.subtitle}
            </Typography>
          )}
        </Box>
        <IconButton aria-label={props.closeLabel} onClick={props.onClose}>
          <CloseIcon />
        </IconButton>
      </Box>
      {props.children}
    </Drawer>
  );
}
