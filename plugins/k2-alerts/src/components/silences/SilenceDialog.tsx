import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import DeleteIcon from '@material-ui/icons/Delete';
import { ActionDialog, FilterSelect, Mono } from '@internal/plugin-k2-react';
import {
  K2AlertSilence,
  K2AlertsService,
  k2AlertsApiRef,
} from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';

/** The durations offered, up to the backend's default maximum of 7 days. */
export const SILENCE_DURATIONS = ['1h', '4h', '1d', '3d', '7d'] as const;

/** A matcher as the dialog edits it: equal to a value, or matching a pattern. */
export interface MatcherDraft {
  name: string;
  value: string;
  isRegex: boolean;
}

/**
 * Creates a silence of the service in one environment: its matchers (prefilled from
 * an incident, each removable), how long, and why. K2 adds `k2_entity` and
 * `environment` itself, which the dialog says; the backend's refusal stays inline.
 */
export function SilenceDialog(props: {
  service: K2AlertsService;
  environments: { name: string; title: string }[];
  initial: { environment: string; matchers: MatcherDraft[] };
  onClose(): void;
  onCreated(silence: K2AlertSilence): void;
}) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const id = useId();
  const [environment, setEnvironment] = useState(props.initial.environment);
  const [matchers, setMatchers] = useState(props.initial.matchers);
  const [duration, setDuration] = useState<string>('4h');
  const [comment, setComment] = useState('');
  const change = (i: number, patch: Partial<MatcherDraft>) =>
    setMatchers(ms => ms.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const complete = matchers.every(m => m.name.trim() && m.value.trim());
  return (
    <ActionDialog
      title={t('silences.dialogTitle')}
      confirm={t('silences.create')}
      confirmDisabled={!comment.trim() || !environment || !complete}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={async () => {
        const created = await api.createSilence(props.service, {
          environment,
          matchers: matchers.map(m => ({
            name: m.name.trim(),
            value: m.value,
            isRegex: m.isRegex,
          })),
          duration,
          comment: comment.trim(),
        });
        props.onCreated(created);
      }}
    >
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mb={2}>
        <FilterSelect
          label={t('silences.environment')}
          value={environment}
          options={props.environments.map(e => ({
            value: e.name,
            label: e.title,
          }))}
          onChange={setEnvironment}
        />
        <FilterSelect
          label={t('silences.duration')}
          value={duration}
          options={SILENCE_DURATIONS.map(d => ({
            value: d,
            label: t(`silences.durations.${d}`),
          }))}
          onChange={setDuration}
        />
      </Box>
      <Typography variant="subtitle2" component="h3">
        {t('silences.matchers')}
      </Typography>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {t('silences.scopeHint', { entity: 'k2_entity', env: 'environment' })}
      </Typography>
      <Box component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
        {matchers.map((m, i) => (
          <Box
            component="li"
            key={i}
            display="flex"
            alignItems="center"
            style={{ gap: 8 }}
            mb={1}
          >
            <TextField
              id={`${id}-name-${i}`}
              label={t('silences.label')}
              value={m.name}
              size="small"
              onChange={e => change(i, { name: e.target.value })}
            />
            <Mono>{m.isRegex ? '=~' : '='}</Mono>
            <TextField
              id={`${id}-value-${i}`}
              label={t('silences.value')}
              value={m.value}
              size="small"
              fullWidth
              onChange={e => change(i, { value: e.target.value })}
            />
            <IconButton
              aria-label={t('silences.removeMatcher', { name: m.name })}
              size="small"
              onClick={() => setMatchers(ms => ms.filter((_, j) => j !== i))}
            >
              <DeleteIcon fontSize="small" />
            </IconButton>
          </Box>
        ))}
      </Box>
      <Button
        size="small"
        onClick={() =>
          setMatchers(ms => [...ms, { name: '', value: '', isRegex: false }])
        }
      >
        {t('silences.addMatcher')}
      </Button>
      <Box mt={2}>
        <TextField
          id={`${id}-comment`}
          label={t('silences.comment')}
          value={comment}
          required
          fullWidth
          multiline
          minRows={2}
          inputProps={{ maxLength: 500 }}
          onChange={e => setComment(e.target.value)}
        />
      </Box>
    </ActionDialog>
  );
}
