import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  svg: { width: 'auto', height: 28 },
  mark: { fill: '#7df3e1', fontWeight: 800, fontFamily: 'inherit' },
});

export const LogoIcon = () => {
  const classes = useStyles();
  return (
    <svg
      className={classes.svg}
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 48 40"
      role="img"
      aria-label="K2"
    >
      <text x="0" y="31" fontSize="32" className={classes.mark}>
        K2
      </text>
    </svg>
  );
};
