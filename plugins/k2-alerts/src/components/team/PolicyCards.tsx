import { useMemo } from 'react';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import MenuItem from '@material-ui/core/MenuItem';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ArrowDownwardIcon from '@material-ui/icons/ArrowDownward';
import ArrowUpwardIcon from '@material-ui/icons/ArrowUpward';
import DeleteIcon from '@material-ui/icons/Delete';
import { ActionButton, Mono } from '@internal/plugin-k2-react';
import { useAlertsT } from '../../translation';
import { Section } from './Section';
import {
  EscalationTarget,
  LevelForm,
  newKey,
  SettingsForm,
} from './settingsForm';

/** A team member as the pickers list them. */
export interface Member {
  ref: string;
  name: string;
}

type Patch = (change: Partial<SettingsForm>) => void;

const TARGETS: EscalationTarget[] = ['team', 'lead', 'parent'];
const MAX_LEVELS = 3;

function move<T>(list: T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

/** Every IANA time zone the browser knows, the form's own first when it is unusual. */
function useTimeZones(current: string): string[] {
  return useMemo(() => {
    const zones = Intl.supportedValuesOf('timeZone');
    return zones.includes(current) ? zones : [current, ...zones];
  }, [current]);
}

/** Quiet hours: off, or a daily window (from, until) in a time zone. */
export function QuietHoursCard(props: {
  form: SettingsForm;
  editable: boolean;
  onChange: Patch;
  problem?: boolean;
  refusal?: string;
}) {
  const t = useAlertsT();
  const { form } = props;
  const zones = useTimeZones(form.timeZone);
  const overMidnight = form.quietEnd < form.quietStart;
  return (
    <Section
      title={t('teamSettings.quiet.heading')}
      subheader={t('teamSettings.quiet.subheader')}
      refusal={props.refusal}
    >
      {props.editable ? (
        <>
          <FormControlLabel
            control={
              <Switch
                color="primary"
                checked={form.quietOn}
                onChange={(_, quietOn) => props.onChange({ quietOn })}
              />
            }
            label={t('teamSettings.quiet.on')}
          />
          {form.quietOn ? (
            <Box display="flex" flexWrap="wrap" mt={1} style={{ gap: 16 }}>
              <TextField
                id="k2-quiet-zone"
                select
                SelectProps={{ native: true }}
                label={t('teamSettings.quiet.timeZone')}
                value={form.timeZone}
                onChange={e => props.onChange({ timeZone: e.target.value })}
                InputLabelProps={{ shrink: true }}
                style={{ minWidth: 220 }}
              >
                {zones.map(zone => (
                  <option key={zone} value={zone}>
                    {zone}
                  </option>
                ))}
              </TextField>
              <TextField
                type="time"
                id="k2-quiet-start"
                label={t('teamSettings.quiet.start')}
                value={form.quietStart}
                onChange={e => props.onChange({ quietStart: e.target.value })}
                InputLabelProps={{ shrink: true }}
                error={props.problem}
                helperText={
                  props.problem ? t('teamSettings.quiet.sameTime') : undefined
                }
              />
              <TextField
                type="time"
                id="k2-quiet-end"
                label={t('teamSettings.quiet.end')}
                value={form.quietEnd}
                onChange={e => props.onChange({ quietEnd: e.target.value })}
                InputLabelProps={{ shrink: true }}
                helperText={
                  overMidnight ? t('teamSettings.quiet.overMidnight') : ' '
                }
              />
            </Box>
          ) : (
            <Typography variant="body2" color="textSecondary">
              {t('teamSettings.quiet.off')}
            </Typography>
          )}
        </>
      ) : (
        <Typography variant="body2">
          {form.quietOn
            ? t('teamSettings.quiet.window', {
                start: form.quietStart,
                end: form.quietEnd,
                timeZone: form.timeZone,
              })
            : t('teamSettings.quiet.off')}
        </Typography>
      )}
    </Section>
  );
}

/** The escalation levels in order: whom each notifies and how long it waits. */
export function EscalationCard(props: {
  levels: LevelForm[];
  editable: boolean;
  onChange(levels: LevelForm[]): void;
  refusal?: string;
}) {
  const t = useAlertsT();
  const { levels, editable } = props;
  const heading = t('teamSettings.escalation.heading');
  const set = (key: string, change: Partial<LevelForm>) =>
    props.onChange(levels.map(l => (l.key === key ? { ...l, ...change } : l)));
  return (
    <Section
      title={heading}
      subheader={t('teamSettings.escalation.subheader')}
      refusal={props.refusal}
    >
      {levels.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          {t('teamSettings.escalation.empty')}
        </Typography>
      ) : (
        <Box overflow="auto">
          <Table size="small" aria-label={heading}>
            <TableHead>
              <TableRow>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {t('teamSettings.escalation.level')}
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {t('teamSettings.escalation.target')}
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }} align="right">
                  {t('teamSettings.escalation.wait')}
                </TableCell>
                {editable && <TableCell />}
              </TableRow>
            </TableHead>
            <TableBody>
              {levels.map((level, index) => {
                const number = String(index + 1);
                const last = index === levels.length - 1;
                const seconds = Math.round(Number(level.minutes) * 60);
                const invalid = !(seconds >= 1 && seconds <= 86400);
                return (
                  <TableRow key={level.key}>
                    <TableCell>{number}</TableCell>
                    <TableCell>
                      {editable ? (
                        <TextField
                          id={`k2-level-${level.key}`}
                          select
                          size="small"
                          label={t('teamSettings.escalation.target')}
                          value={level.target}
                          onChange={e =>
                            set(level.key, {
                              target: e.target.value as EscalationTarget,
                            })
                          }
                          style={{ minWidth: 260 }}
                        >
                          {TARGETS.map(target => (
                            <MenuItem key={target} value={target}>
                              {t(`teamSettings.escalation.targets.${target}`)}
                            </MenuItem>
                          ))}
                        </TextField>
                      ) : (
                        t(`teamSettings.escalation.targets.${level.target}`)
                      )}
                    </TableCell>
                    <TableCell align="right">
                      {editable ? (
                        <TextField
                          type="number"
                          size="small"
                          id={`k2-level-wait-${level.key}`}
                          label={t('teamSettings.escalation.wait')}
                          value={level.minutes}
                          onChange={e =>
                            set(level.key, { minutes: e.target.value })
                          }
                          inputProps={{ min: 0, max: 1440, step: 1 }}
                          error={invalid}
                          helperText={
                            (invalid &&
                              t('teamSettings.escalation.waitInvalid')) ||
                            (last
                              ? t('teamSettings.escalation.lastHint')
                              : t('teamSettings.escalation.waitHint'))
                          }
                          style={{ width: 200 }}
                        />
                      ) : (
                        <>
                          {t('teamSettings.escalation.waitValue', {
                            minutes: level.minutes,
                          })}
                          {last && (
                            <Typography
                              variant="caption"
                              color="textSecondary"
                              display="block"
                            >
                              {t('teamSettings.escalation.lastHint')}
                            </Typography>
                          )}
                        </>
                      )}
                    </TableCell>
                    {editable && (
                      <TableCell style={{ whiteSpace: 'nowrap' }}>
                        <IconButton
                          size="small"
                          disabled={index === 0}
                          aria-label={t('teamSettings.escalation.up', {
                            level: number,
                          })}
                          onClick={() =>
                            props.onChange(move(levels, index, index - 1))
                          }
                        >
                          <ArrowUpwardIcon fontSize="small" />
                        </IconButton>
                        <IconButton
                          size="small"
                          disabled={last}
                          aria-label={t('teamSettings.escalation.down', {
                            level: number,
                          })}
                          onClick={() =>
                            props.onChange(move(levels, index, index + 1))
                          }
                        >
                          <ArrowDownwardIcon fontSize="small" />
                        </IconButton>
                        <IconButton
                          size="small"
                          aria-label={t('teamSettings.escalation.remove', {
                            level: number,
                          })}
                          onClick={() =>
                            props.onChange(
                              levels.filter(l => l.key !== level.key),
                            )
                          }
                        >
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </TableCell>
                    )}
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Box>
      )}
      {editable && (
        <Box mt={2}>
          <ActionButton
            variant="outlined"
            disabledReason={
              levels.length >= MAX_LEVELS
                ? t('teamSettings.escalation.max')
                : undefined
            }
            onClick={() =>
              props.onChange([
                ...levels,
                { key: newKey(), target: 'parent', minutes: '30' },
              ])
            }
          >
            {t('teamSettings.escalation.add')}
          </ActionButton>
        </Box>
      )}
    </Section>
  );
}

const nameOf = (members: Member[], ref: string) =>
  members.find(m => m.ref === ref)?.name ?? ref.replace(/^user:default\//, '');

/** The team's lead, picked from the group's members. */
export function LeadCard(props: {
  lead: string;
  members: Member[];
  editable: boolean;
  onChange: Patch;
  refusal?: string;
}) {
  const t = useAlertsT();
  const { lead, members } = props;
  const options =
    lead && !members.some(m => m.ref === lead)
      ? [
          ...members,
          {
            ref: lead,
            name: t('teamSettings.lead.notMember', {
              user: nameOf(members, lead),
            }),
          },
        ]
      : members;
  return (
    <Section
      title={t('teamSettings.lead.heading')}
      subheader={t('teamSettings.lead.hint')}
      refusal={props.refusal}
    >
      {props.editable ? (
        <TextField
          id="k2-team-lead"
          select
          fullWidth
          label={t('teamSettings.lead.label')}
          value={lead}
          onChange={e => props.onChange({ lead: e.target.value })}
          SelectProps={{ displayEmpty: true }}
          InputLabelProps={{ shrink: true }}
        >
          <MenuItem value="">{t('teamSettings.lead.none')}</MenuItem>
          {options.map(m => (
            <MenuItem key={m.ref} value={m.ref}>
              {m.name}
            </MenuItem>
          ))}
        </TextField>
      ) : (
        <Typography variant="body2">
          {lead ? nameOf(options, lead) : t('teamSettings.lead.none')}
        </Typography>
      )}
    </Section>
  );
}

/** The on-call rota: off, or members in turn, each for a period from a start. */
export function RotaCard(props: {
  form: SettingsForm;
  members: Member[];
  editable: boolean;
  onChange: Patch;
  refusal?: string;
}) {
  const t = useAlertsT();
  const { form, members, editable } = props;
  const users = form.rotaUsers;
  const addable = members.filter(m => !users.includes(m.ref));
  const hours = Number(form.rotaPeriodHours);
  const periodInvalid = !Number.isInteger(hours) || hours < 1 || hours > 2160;
  const start = Date.parse(form.rotaStartsAt);
  const onCallNow =
    form.rotaOn && users.length > 0 && !periodInvalid && start <= Date.now()
      ? users[
          Math.floor((Date.now() - start) / (hours * 3_600_000)) % users.length
        ]
      : undefined;
  const list = (
    <Box component="ol" pl={3} my={1}>
      {users.map((user, index) => (
        <li key={user}>
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <Typography variant="body2">{nameOf(members, user)}</Typography>
            <Mono>{user}</Mono>
            {editable && (
              <>
                <IconButton
                  size="small"
                  disabled={index === 0}
                  aria-label={t('teamSettings.rota.up', {
                    user: nameOf(members, user),
                  })}
                  onClick={() =>
                    props.onChange({
                      rotaUsers: move(users, index, index - 1),
                    })
                  }
                >
                  <ArrowUpwardIcon fontSize="small" />
                </IconButton>
                <IconButton
                  size="small"
                  aria-label={t('teamSettings.rota.remove', {
                    user: nameOf(members, user),
                  })}
                  onClick={() =>
                    props.onChange({
                      rotaUsers: users.filter(u => u !== user),
                    })
                  }
                >
                  <DeleteIcon fontSize="small" />
                </IconButton>
              </>
            )}
          </Box>
        </li>
      ))}
    </Box>
  );
  const nowLine = onCallNow && (
    <Typography variant="body2">
      {t('teamSettings.rota.onCallNow', { user: nameOf(members, onCallNow) })}
    </Typography>
  );
  return (
    <Section
      title={t('teamSettings.rota.heading')}
      subheader={t('teamSettings.rota.subheader')}
      refusal={props.refusal}
    >
      {editable && (
        <FormControlLabel
          control={
            <Switch
              color="primary"
              checked={form.rotaOn}
              onChange={(_, rotaOn) => props.onChange({ rotaOn })}
            />
          }
          label={t('teamSettings.rota.on')}
        />
      )}
      {!form.rotaOn && (
        <Typography variant="body2" color="textSecondary">
          {t('teamSettings.rota.off')}
        </Typography>
      )}
      {form.rotaOn && !editable && (
        <>
          <Typography variant="body2">
            {t('teamSettings.rota.summary', {
              hours: form.rotaPeriodHours,
              start: new Date(form.rotaStartsAt).toLocaleString(),
            })}
          </Typography>
          {list}
          {nowLine}
        </>
      )}
      {form.rotaOn && editable && (
        <>
          <Typography variant="subtitle2">
            {t('teamSettings.rota.users')}
          </Typography>
          {users.length === 0 ? (
            <Typography variant="body2" color="error">
              {t('teamSettings.rota.noUsers')}
            </Typography>
          ) : (
            list
          )}
          <Box display="flex" flexWrap="wrap" mt={1} style={{ gap: 16 }}>
            <TextField
              id="k2-rota-add"
              select
              label={t('teamSettings.rota.add')}
              value=""
              onChange={e =>
                props.onChange({ rotaUsers: [...users, e.target.value] })
              }
              disabled={addable.length === 0}
              style={{ minWidth: 200 }}
            >
              {addable.map(m => (
                <MenuItem key={m.ref} value={m.ref}>
                  {m.name}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              type="number"
              id="k2-rota-period"
              label={t('teamSettings.rota.period')}
              value={form.rotaPeriodHours}
              onChange={e =>
                props.onChange({ rotaPeriodHours: e.target.value })
              }
              inputProps={{ min: 1, max: 2160, step: 1 }}
              error={periodInvalid}
              helperText={
                periodInvalid ? t('teamSettings.rota.periodInvalid') : ' '
              }
            />
            <TextField
              type="datetime-local"
              id="k2-rota-start"
              label={t('teamSettings.rota.start')}
              value={form.rotaStartsAt}
              onChange={e => props.onChange({ rotaStartsAt: e.target.value })}
              InputLabelProps={{ shrink: true }}
              error={Number.isNaN(start)}
              helperText={
                Number.isNaN(start) ? t('teamSettings.rota.startInvalid') : ' '
              }
            />
          </Box>
          {nowLine}
        </>
      )}
    </Section>
  );
}
