import express from 'express';
import Router from 'express-promise-router';
import { AlertIntake } from './AlertIntake';
import { MAX_WEBHOOK_BODY, parseWebhookPayload } from './payload';
import { checkWebhookToken } from './webhookAuth';

/** Where Alertmanager's webhook receiver posts, under the plugin's base URL. */
export const WEBHOOK_PATH = '/webhook/alertmanager';

/**
 * `POST /webhook/alertmanager`: Alertmanager's webhook (payload version 4). Backstage
 * lets it in unauthenticated (the plugin's auth policy); the shared token is checked
 * here before the body is read, so a caller without it learns nothing about the
 * payload's shape. The body is bounded (413), checked whole (400, nothing written),
 * then recorded in one transaction.
 */
export function webhookRouter(options: {
  token: string | undefined;
  intake: AlertIntake;
}): express.Router {
  const router = Router();
  router.post(
    WEBHOOK_PATH,
    (req, _res, next) => {
      checkWebhookToken(options.token, req.headers.authorization);
      next();
    },
    express.json({ limit: MAX_WEBHOOK_BODY }),
    async (req, res) => {
      const alerts = parseWebhookPayload(req.body);
      res.json(await options.intake.receive(alerts));
    },
  );
  return router;
}
