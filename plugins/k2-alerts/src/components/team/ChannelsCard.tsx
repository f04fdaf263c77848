import { Fragment, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ActionButton, Mono } from '@internal/plugin-k2-react';
import { K2AlertsService } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { ChannelDialog, channelTypeLabel } from './ChannelDialog';
import { ChannelForm } from './settingsForm';
import { Section } from './Section';

const MAX_CHANNELS = 10;

/**
 * The team's channels: name, type, where it sends, its message template, enabled; for
 * those who may edit, Add channel, Edit (the channel dialog with its live preview),
 * Remove and the enabled switch. A refusal naming a channel is shown under its row.
 */
export function ChannelsCard(props: {
  team: K2AlertsService;
  channels: ChannelForm[];
  editable: boolean;
  onChange(channels: ChannelForm[]): void;
  /** The refusal of a save that names one channel (by id) or the channels. */
  refusal?: { message: string; channelId?: string };
  duplicate: boolean;
}) {
  const t = useAlertsT();
  const [dialog, setDialog] = useState<{ channel?: ChannelForm }>();
  const { channels, editable } = props;
  const heading = t('teamSettings.channels.heading');
  const sectionRefusal =
    props.refusal &&
    !channels.some(c => c.id === props.refusal?.channelId) &&
    props.refusal.message;
  const update = (key: string, change: Partial<ChannelForm>) =>
    props.onChange(
      channels.map(c => (c.key === key ? { ...c, ...change } : c)),
    );
  const columns = editable ? 6 : 5;
  return (
    <Section title={heading} subheader={t('teamSettings.channels.subheader')}>
      <Box overflow="auto">
        <Table size="small" aria-label={heading}>
          <TableHead>
            <TableRow>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                {t('teamSettings.channels.id')}
              </TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                {t('teamSettings.channels.type')}
              </TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                {t('teamSettings.channels.target')}
              </TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                {t('teamSettings.channels.message')}
              </TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                {t('teamSettings.channels.enabled')}
              </TableCell>
              {editable && (
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {t('teamSettings.channels.actions')}
                </TableCell>
              )}
            </TableRow>
          </TableHead>
          <TableBody>
            {channels.length === 0 && (
              <TableRow>
                <TableCell colSpan={columns}>
                  <Typography variant="body2" color="textSecondary">
                    {t('teamSettings.channels.empty')}
                  </Typography>
                </TableCell>
              </TableRow>
            )}
            {channels.map(channel => {
              const refused =
                props.refusal?.channelId === channel.id
                  ? props.refusal.message
                  : undefined;
              let target: JSX.Element | string = t(
                'teamSettings.channels.toLevel',
              );
              if (channel.type === 'email') {
                target = t('teamSettings.channels.toEmail');
              } else if (channel.type === 'notifications') {
                target = t('teamSettings.channels.toMembers');
              } else if (channel.type === 'webhook') {
                target = (
                  <Mono title={channel.url || channel.urlHint}>
                    {channel.url ? maskTyped(channel.url) : channel.urlHint}
                  </Mono>
                );
              }
              return (
                <Fragment key={channel.key}>
                  <TableRow>
                    <TableCell>
                      <Mono>{channel.id}</Mono>
                    </TableCell>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      {channelTypeLabel(t, channel.type)}
                      {channel.problem && (
                        <Typography
                          variant="caption"
                          display="block"
                          color="error"
                          style={{ whiteSpace: 'normal', maxWidth: 240 }}
                        >
                          {channel.problem}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell>{target}</TableCell>
                    <TableCell style={{ minWidth: 240, maxWidth: 420 }}>
                      <Typography
                        variant="body2"
                        style={{
                          fontFamily: 'monospace',
                          wordBreak: 'break-word',
                        }}
                      >
                        {channel.template}
                      </Typography>
                    </TableCell>
                    <TableCell>
                      {editable ? (
                        <Switch
                          checked={channel.enabled}
                          color="primary"
                          size="small"
                          onChange={(_, enabled) =>
                            update(channel.key, { enabled })
                          }
                          inputProps={{
                            'aria-label': t(
                              'teamSettings.channels.enabledLabel',
                              { id: channel.id },
                            ),
                          }}
                        />
                      ) : (
                        <Typography variant="body2">
                          {channel.enabled
                            ? t('teamSettings.common.yes')
                            : t('teamSettings.common.no')}
                        </Typography>
                      )}
                    </TableCell>
                    {editable && (
                      <TableCell style={{ whiteSpace: 'nowrap' }}>
                        <Button
                          size="small"
                          color="primary"
                          onClick={() => setDialog({ channel })}
                          aria-label={`${t('teamSettings.channels.edit')} ${
                            channel.id
                          }`}
                        >
                          {t('teamSettings.channels.edit')}
                        </Button>
                        <Button
                          size="small"
                          onClick={() =>
                            props.onChange(
                              channels.filter(c => c.key !== channel.key),
                            )
                          }
                          aria-label={`${t('teamSettings.channels.remove')} ${
                            channel.id
                          }`}
                        >
                          {t('teamSettings.channels.remove')}
                        </Button>
                      </TableCell>
                    )}
                  </TableRow>
                  {refused && (
                    <TableRow>
                      <TableCell colSpan={columns}>
                        <Typography role="alert" color="error" variant="body2">
                          {refused}
                        </Typography>
                      </TableCell>
                    </TableRow>
                  )}
                </Fragment>
              );
            })}
          </TableBody>
        </Table>
      </Box>
      {props.duplicate && (
        <Typography role="alert" color="error" variant="body2">
          {t('teamSettings.channels.duplicateId')}
        </Typography>
      )}
      {sectionRefusal && (
        <Typography role="alert" color="error" variant="body2">
          {sectionRefusal}
        </Typography>
      )}
      {editable && (
        <Box mt={2}>
          <ActionButton
            variant="outlined"
            onClick={() => setDialog({})}
            disabledReason={
              channels.length >= MAX_CHANNELS
                ? t('teamSettings.channels.max')
                : undefined
            }
          >
            {t('teamSettings.channels.add')}
          </ActionButton>
        </Box>
      )}
      {dialog && (
        <ChannelDialog
          team={props.team}
          channel={dialog.channel}
          takenIds={channels
            .filter(c => c.key !== dialog.channel?.key)
            .map(c => c.id)}
          onClose={() => setDialog(undefined)}
          onApply={channel => {
            props.onChange(
              dialog.channel
                ? channels.map(c => (c.key === channel.key ? channel : c))
                : [...channels, channel],
            );
            setDialog(undefined);
          }}
        />
      )}
    </Section>
  );
}

/** A URL typed in this session, shown as the backend will answer it: scheme and host. */
function maskTyped(url: string): string {
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}/…`;
  } catch {
    return '…';
  }
}
