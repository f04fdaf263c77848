import { checkWebhookToken } from './webhookAuth';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('checkWebhookToken', () => {
  it('says the webhook is not configured (503) when no token is set, whatever the call carries', () => {
    expect(() => checkWebhookToken(undefined, 'Bearer anything')).toThrow(
      expect.objectContaining({
        name: 'ServiceUnavailableError',
        message: expect.stringContaining('k2.alerts.webhook.token'),
      }),
    );
  });

  it('takes the token as a bearer token or as the Basic-auth password, and nothing else', () => {
    const token = 's3cret:with-colon';
    expect(() => checkWebhookToken(token, `Bearer ${token}`)).not.toThrow();
    expect(() => checkWebhookToken(token, `bearer ${token}`)).not.toThrow();
    expect(() =>
      checkWebhookToken(token, basic('alertmanager', token)),
    ).not.toThrow();
    for (const header of [
      undefined,
      '',
      'Bearer',
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      basic(token, 'wrong'),
      `Token ${token}`,
      token,
    ]) {
      expect(() => checkWebhookToken(token, header)).toThrow(
        expect.objectContaining({ name: 'AuthenticationError' }),
      );
    }
  });
});
