import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { K2AlertStats } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const HEIGHT = 120;
const BAR = 14;
const GAP = 4;

/**
 * Incidents per day as stacked SVG bars (critical on top), one bar per day, scaled to
 * the busiest day and stretched to the width, with the first and last day under it; each bar's title says the day and its counts. Drawn by hand: no
 * chart library in the tab's bundle.
 */
export function SeverityChart(props: { daily: K2AlertStats['daily'] }) {
  const t = useAlertsT();
  const theme = useTheme();
  const colours = {
    critical: theme.palette.error.main,
    warning: theme.palette.warning.main,
    info: theme.palette.info.main,
  };
  const totals = props.daily.map(
    d => d.counts.critical + d.counts.warning + d.counts.info,
  );
  const max = Math.max(1, ...totals);
  const width = props.daily.length * (BAR + GAP);
  const first = props.daily[0]?.day.slice(5);
  const last = props.daily[props.daily.length - 1]?.day.slice(5);
  return (
    <Box mb={2}>
      <svg
        role="img"
        aria-label={t('stats.chart')}
        width="100%"
        height={HEIGHT}
        viewBox={`0 0 ${width} ${HEIGHT}`}
        preserveAspectRatio="none"
      >
        {props.daily.map((d, i) => {
          let y = HEIGHT;
          return (
            <g key={d.day}>
              <title>
                {t('stats.barTitle', {
                  day: d.day,
                  critical: String(d.counts.critical),
                  warning: String(d.counts.warning),
                  info: String(d.counts.info),
                })}
              </title>
              {SEVERITIES.map(severity => {
                const h = (d.counts[severity] / max) * HEIGHT;
                y -= h;
                return (
                  <rect
                    key={severity}
                    x={i * (BAR + GAP)}
                    y={y}
                    width={BAR}
                    height={h}
                    fill={colours[severity]}
                  />
                );
              })}
            </g>
          );
        })}
      </svg>
      {/* Day labels outside the stretched drawing, so their text keeps its shape. */}
      <Box display="flex" justifyContent="space-between">
        <Typography variant="caption" color="textSecondary">
          {first}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {last}
        </Typography>
      </Box>
    </Box>
  );
}
