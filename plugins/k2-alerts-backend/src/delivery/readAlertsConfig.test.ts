import { ConfigReader } from '@backstage/config';
import { resolve } from 'node:path';
import { readAlertsConfig } from './readAlertsConfig';

const read = (alerts: object) =>
  readAlertsConfig(new ConfigReader({ k2: { alerts } }));

describe('readAlertsConfig', () => {
  it('reads each monitored environment and its delivery', () => {
    const config = read({
      promtool: '/usr/bin/promtool',
      environments: {
        test: {
          prometheus: { url: 'http://127.0.0.1:7105/' },
          alertmanager: { url: 'http://127.0.0.1:7106' },
          blackbox: { address: '127.0.0.1:7107' },
          delivery: { type: 'files', directory: '.k2/monitoring/rules/test' },
        },
        prod: {
          prometheus: { url: 'https://prometheus.monitoring:9090' },
          delivery: {
            type: 'prometheusRule',
            labels: { release: 'prometheus' },
          },
        },
      },
    });
    expect(config.promtool).toBe('/usr/bin/promtool');
    expect(config.environments.get('test')).toEqual({
      name: 'test',
      prometheusUrl: 'http://127.0.0.1:7105',
      alertmanagerUrl: 'http://127.0.0.1:7106',
      blackboxAddress: '127.0.0.1:7107',
      delivery: {
        type: 'files',
        directory: resolve('.k2/monitoring/rules/test'),
        probeDirectory: resolve('.k2/monitoring/rules/test/probes'),
      },
    });
    expect(config.environments.get('prod')).toEqual({
      name: 'prod',
      prometheusUrl: 'https://prometheus.monitoring:9090',
      delivery: { type: 'prometheusRule', labels: { release: 'prometheus' } },
    });
    expect(readAlertsConfig(new ConfigReader({})).environments.size).toBe(0);
  });

  it.each([
    [
      { type: 'email' },
      "Invalid K2 configuration at 'k2.alerts.environments.test.delivery.type': must be 'files' or 'prometheusRule', not 'email'",
    ],
    [
      { type: 'prometheusRule', labels: { 'bad label!': 'x' } },
      "Invalid K2 configuration at 'k2.alerts.environments.test.delivery.labels': 'bad label!' is not a Kubernetes label name",
    ],
  ])('refuses the delivery %j, naming the key', (delivery, message) => {
    expect(() =>
      read({
        environments: {
          test: { prometheus: { url: 'http://127.0.0.1:7105' }, delivery },
        },
      }),
    ).toThrow(message);
  });

  it('refuses a Prometheus URL that is not http(s)', () => {
    expect(() =>
      read({
        environments: {
          test: {
            prometheus: { url: 'ftp://prometheus' },
            delivery: { type: 'files', directory: 'x' },
          },
        },
      }),
    ).toThrow(
      "Invalid K2 configuration at 'k2.alerts.environments.test.prometheus.url': 'ftp://prometheus' is not an http(s) URL",
    );
  });
});
