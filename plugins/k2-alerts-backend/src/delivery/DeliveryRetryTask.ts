import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { GroupDeliverer } from './GroupDeliverer';

/**
 * Delivers again, every 30 seconds on one backend replica, each rule group whose last
 * delivery failed (Prometheus down, a cluster unreachable) or never finished (a
 * restart in the middle), so a change made while Prometheus was away reaches it.
 */
export async function scheduleDeliveryRetry(options: {
  scheduler: SchedulerService;
  deliverer: GroupDeliverer;
  logger: LoggerService;
}): Promise<void> {
  await options.scheduler.scheduleTask({
    id: 'k2-alerts-delivery-retry',
    scope: 'global',
    frequency: { seconds: 30 },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 15 },
    fn: async () => {
      const { delivered, failed } = await options.deliverer.retry();
      if (delivered || failed) {
        options.logger.info(
          `Alert rule groups delivered again: ${delivered}; still failing: ${failed}`,
        );
      }
    },
  });
}
