import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  k2AlertReadPermission,
  k2AlertTeamManagePermission,
  k2AlertTemplateManagePermission,
} from '@internal/plugin-k2-common';
import { actorOf, Caller, K2ActionGate } from '@internal/plugin-k2-node';
import { renderJson, renderSubject, renderText } from '../channels/render';
import { messageFields } from '../routing/IncidentNotifier';
import {
  AlertChannel,
  ChannelType,
  checkSettings,
  DEFAULT_SETTINGS,
  maskUrl,
  TeamAlertSettings,
} from './TeamSettings';
import { StoredTeamSettings, TeamSettingsStore } from './TeamSettingsStore';

/** Why channels of a type cannot deliver on this K2 (email without its config). */
export type UnavailableChannels = Partial<Record<ChannelType, string>>;

/**
 * A team's settings as the API answers them: webhook URLs masked, and each channel
 * that cannot deliver with the reason.
 */
function view(
  team: string,
  stored: StoredTeamSettings | undefined,
  unavailable: UnavailableChannels,
) {
  const settings = stored?.settings ?? DEFAULT_SETTINGS;
  return {
    team,
    stored: stored !== undefined,
    channels: settings.channels.map(({ url, ...channel }) => ({
      ...channel,
      urlHint: maskUrl(url),
      problem: unavailable[channel.type],
    })),
    quietHours: settings.quietHours,
    lead: settings.lead,
    escalation: settings.escalation,
    rota: settings.rota,
    updatedAt: stored?.updatedAt,
    updatedBy: stored?.updatedBy,
  };
}

const refOf = (group: CompoundEntityRef) =>
  stringifyEntityRef({ ...group, kind: 'group' }).toLocaleLowerCase('en-US');

/** The incident previews are rendered with. */
const SAMPLE_INCIDENT = {
  id: '1024',
  entityRef: 'component:default/payment-gateway',
  environment: 'prod',
  ruleKey: 'memory-high',
  title: 'Memory of payment-gateway over 90 % of the limit for 5m',
  severity: 'critical' as const,
  status: 'open' as const,
  source: 'prometheus' as const,
  openedAt: '2026-11-26T10:00:00.000Z',
  firingCount: 2,
  alertCount: 2,
  lastChangeAt: '2026-11-26T10:00:00.000Z',
};

const sampleFields = (baseUrl: string, team: string) =>
  messageFields(SAMPLE_INCIDENT, 'opened', {
    link: `${baseUrl}/catalog/default/component/payment-gateway/alerts?incident=1024`,
    team,
    level: 1,
  });

/**
 * Team alert settings: read by anyone who may read alerts; changed (with
 * `k2.alert.team.manage`) only by the team's members or platform admins. Webhook URLs
 * are never answered back, only a masked hint.
 */
export class TeamSettingsService {
  readonly #store: TeamSettingsStore;
  readonly #gate: K2ActionGate;
  readonly #userInfo: UserInfoService;
  readonly #baseUrl: string;
  readonly #unavailable: UnavailableChannels;

  constructor(options: {
    store: TeamSettingsStore;
    gate: K2ActionGate;
    userInfo: UserInfoService;
    baseUrl: string;
    /** Channel types that cannot deliver here, with why: refused when saved. */
    unavailable?: UnavailableChannels;
  }) {
    this.#store = options.store;
    this.#gate = options.gate;
    this.#userInfo = options.userInfo;
    this.#baseUrl = options.baseUrl;
    this.#unavailable = options.unavailable ?? {};
  }

  /** The team's settings, or the defaults; for routing, URLs in full. */
  async settingsOf(teamRef: string): Promise<TeamAlertSettings> {
    return (await this.#store.get(teamRef))?.settings ?? DEFAULT_SETTINGS;
  }

  async get(group: CompoundEntityRef, caller: Caller) {
    const team = refOf(group);
    await this.#gate.authorize(team, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alert settings of',
    });
    return view(team, await this.#store.get(team), this.#unavailable);
  }

  /**
   * Replaces the team's settings; a webhook channel without `url` keeps the one stored
   * for its id.
   *
   * @throws NotAllowedError unless the caller is a member or a platform admin
   * @throws InputError for settings the contract lets through but K2 cannot use,
   * and for a channel of a type that cannot deliver here (email without its config)
   */
  async put(
    group: CompoundEntityRef,
    input: TeamAlertSettings,
    caller: Caller,
  ) {
    const team = refOf(group);
    const stored = await this.#gate.audited(
      caller,
      'alert-team-settings-update',
      { service: team, summary: `Change the alert settings of ${team}` },
      {
        permission: k2AlertTeamManagePermission,
        verb: 'change the alert settings of',
      },
      async () => {
        await this.#checkMember(team, caller.credentials);
        const previous = (await this.#store.get(team))?.settings;
        const channels: AlertChannel[] = input.channels.map(channel => {
          const url =
            channel.url ??
            previous?.channels.find(
              c => c.id === channel.id && c.type === channel.type,
            )?.url;
          return url ? { ...channel, url } : channel;
        });
        const settings = { ...input, channels };
        checkSettings(settings);
        for (const channel of channels) {
          const unavailable = this.#unavailable[channel.type];
          if (unavailable) {
            throw new InputError(`channels.${channel.id}: ${unavailable}`);
          }
          if (channel.type === 'webhook' && !channel.url) {
            throw new InputError(
              `channels.${channel.id}: a webhook channel needs a url`,
            );
          }
          // A payload that cannot render to JSON is refused now, not at 3 am.
          if (channel.payload)
            renderJson(channel.payload, sampleFields(this.#baseUrl, team));
        }
        return this.#store.put(team, settings, actorOf(caller.credentials));
      },
    );
    return view(team, stored, this.#unavailable);
  }

  /**
   * A channel's message (and webhook body, email subject) rendered with a sample
   * incident.
   */
  async preview(
    group: CompoundEntityRef,
    input: { template: string; payload?: string; subject?: string },
    caller: Caller,
  ) {
    const team = refOf(group);
    await this.#gate.authorize(team, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alert settings of',
    });
    const fields = sampleFields(this.#baseUrl, team);
    const text = renderText(input.template, fields);
    return {
      text,
      subject: input.subject ? renderSubject(input.subject, fields) : undefined,
      body: input.payload
        ? renderJson(input.payload, { ...fields, message: text })
        : undefined,
    };
  }

  /** Members (ownership claims include the group) and platform admins only. */
  async #checkMember(team: string, credentials: BackstageCredentials) {
    const { ownershipEntityRefs } = await this.#userInfo.getUserInfo(
      credentials,
    );
    if (ownershipEntityRefs.some(r => r.toLocaleLowerCase('en-US') === team)) {
      return;
    }
    await this.#gate.authorize(
      team,
      { credentials },
      {
        permission: k2AlertTemplateManagePermission,
        verb: 'change the alert settings of',
        refusal: `Only members of ${team} and platform admins may change its alert settings`,
      },
    );
  }
}
