import express from 'express';
import Router from 'express-promise-router';
import {
  MAX_WEBHOOK_BYTES,
  PushWebhookReceiver,
} from '../webhooks/PushWebhookReceiver';

/**
 * `POST /webhooks/push`: outside the validated API router, whose JSON parser would
 * consume the body the signature is computed over. Open to unauthenticated callers (the
 * plugin's auth policy for this path alone); trusted by its signature.
 */
export function webhookRoutes(options: { webhooks: PushWebhookReceiver }) {
  const router = Router();
  router.post(
    '/webhooks/push',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await options.webhooks.receive(req.headers, body, req);
      if (answer.status === 204) {
        res.status(204).end();
        return;
      }
      res.status(answer.status).json(answer.body);
    },
  );
  return router;
}
