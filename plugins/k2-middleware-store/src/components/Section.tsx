import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  section: { marginTop: theme.spacing(3) },
}));

/** A titled section of a drawer, named by its title for assistive technology. */
export function Section(props: { title: string; children: ReactNode }) {
  const classes = useStyles();
  return (
    <Box
      className={classes.section}
      component="section"
      aria-label={props.title}
    >
      <Typography variant="h6" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}
