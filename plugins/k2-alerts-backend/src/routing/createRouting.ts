import {
  AuthService,
  LoggerService,
  RootConfigService,
  SchedulerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { K2ActionGate } from '@internal/plugin-k2-node';
import { EmailChannel } from '../channels/EmailChannel';
import { NotificationsChannel } from '../channels/NotificationsChannel';
import {
  EMAIL_NOT_CONFIGURED,
  readEmailConfig,
} from '../channels/readEmailConfig';
import { UnavailableChannel } from '../channels/UnavailableChannel';
import { WebhookChannel } from '../channels/WebhookChannel';
import { migrate, PluginDatabase } from '../database/migrations';
import { Escalation } from '../escalation/Escalation';
import { EscalationStore } from '../escalation/EscalationStore';
import { IncidentStore } from '../incidents/IncidentStore';
import { AlertIntake } from '../intake/AlertIntake';
import { TeamSettingsService } from '../teams/TeamSettingsService';
import { TeamSettingsStore } from '../teams/TeamSettingsStore';
import { IncidentNotifier } from './IncidentNotifier';
import { NoticeStore } from './NoticeStore';
import { NotifyMarks } from './NotifyMarks';
import { readRoutingConfig } from './readRoutingConfig';
import { TeamDirectory } from './TeamDirectory';

/**
 * Routing, channels and escalation wired to intake: incidents that open are sent to
 * their team's channels and escalated by a global scheduler task until acknowledged
 * or resolved; another sends the resolved messages. Email channels deliver through
 * `k2.alerts.email`; without it they cannot be saved and stored ones fail loudly.
 */
export async function createRouting(
  options: PluginDatabase & {
    config: RootConfigService;
    logger: LoggerService;
    scheduler: SchedulerService;
    catalog: CatalogService;
    auth: AuthService;
    userInfo: UserInfoService;
    gate: K2ActionGate;
    notifications: NotificationService;
    incidentStore: IncidentStore;
    intake: AlertIntake;
  },
) {
  const routing = readRoutingConfig(options.config);
  // Links in messages are absolute when the app's URL is configured, else app-relative.
  const baseUrl = (
    options.config.getOptionalString('app.baseUrl') ?? ''
  ).replace(/\/+$/, '');
  const email = readEmailConfig(options.config);
  const knex = await migrate(options);
  const teamSettings = new TeamSettingsService({
    ...options,
    store: await TeamSettingsStore.create(options),
    baseUrl,
    unavailable: email ? {} : { email: EMAIL_NOT_CONFIGURED },
  });
  const directory = new TeamDirectory(options);
  const notifier = new IncidentNotifier({
    teams: teamSettings,
    directory,
    channels: {
      notifications: new NotificationsChannel(options.notifications),
      webhook: new WebhookChannel(),
      email: email
        ? new EmailChannel({ config: email, directory, logger: options.logger })
        : new UnavailableChannel(EMAIL_NOT_CONFIGURED),
    },
    marks: new NotifyMarks(knex),
    notices: new NoticeStore(knex),
    incidents: options.incidentStore,
    repeatIntervalMs: routing.repeatIntervalMs,
    baseUrl,
    logger: options.logger,
  });
  const escalation = new Escalation({
    store: new EscalationStore(knex),
    incidents: options.incidentStore,
    notifier,
    repeatIntervalMs: routing.repeatIntervalMs,
    unroutedAfterMs: routing.unroutedAfterMs,
    logger: options.logger,
  });
  // Routing never holds up intake: Alertmanager's call is answered first, and the
  // incidents each delivery opens are routed one delivery after another, so a storm's
  // routing uses one database connection at a time instead of crowding out the
  // deliveries still arriving (on SQLite, the only connection).
  let routed = Promise.resolve();
  options.intake.onOpened(opened => {
    routed = routed
      .then(() => escalation.opened(opened))
      .catch(error =>
        options.logger.error(`Routing incidents failed: ${error}`),
      );
  });
  await options.scheduler.scheduleTask({
    id: 'k2-alerts-escalation',
    frequency: { milliseconds: routing.tickMs },
    timeout: { minutes: 5 },
    scope: 'global',
    fn: () => escalation.tick(),
  });
  await options.scheduler.scheduleTask({
    id: 'k2-alerts-resolved',
    frequency: { milliseconds: routing.tickMs },
    timeout: { minutes: 5 },
    scope: 'global',
    fn: async () => {
      await notifier.notifyResolved();
    },
  });
  return { teamSettings, notifier, escalation };
}
