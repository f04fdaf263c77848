import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  svg: { width: 'auto', height: 30 },
  mark: { fill: '#7df3e1', fontWeight: 800, fontFamily: 'inherit' },
  name: { fill: '#ffffff', fontWeight: 500, fontFamily: 'inherit' },
});

export const LogoFull = () => {
  const classes = useStyles();
  return (
    <svg
      className={classes.svg}
      xmlns="http://www.w3.org/2000/svg"
      viewBox="0 0 150 40"
      role="img"
      aria-label="K2 portal"
    >
      <text x="0" y="31" fontSize="34" className={classes.mark}>
        K2
      </text>
      <text x="56" y="29" fontSize="17" className={classes.name}>
        portal
      </text>
    </svg>
  );
};
