import { useTheme } from '@material-ui/core/styles';
import { K2AlertStats } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const HEIGHT = 120;
const BAR = 14;
const GAP = 4;

/**
 * Incidents per day as stacked SVG bars (critical on top), one bar per day, scaled to
 * the busiest day; each bar's title says the day and its counts. Drawn by hand: no
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
  return (
    <svg
      role="img"
      aria-label={t('stats.chart')}
      width="100%"
      height={HEIGHT + 20}
      viewBox={`0 0 ${width} ${HEIGHT + 20}`}
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
            {(i === 0 || i === props.daily.length - 1) && (
              <text
                x={i * (BAR + GAP) + BAR / 2}
                y={HEIGHT + 14}
                fontSize={10}
                textAnchor={i === 0 ? 'start' : 'end'}
                fill={theme.palette.text.secondary}
              >
                {d.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
