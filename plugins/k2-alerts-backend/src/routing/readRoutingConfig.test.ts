import { ConfigReader } from '@backstage/config';
import { DEFAULT_ROUTING, readRoutingConfig } from './readRoutingConfig';

const read = (alerts: object) =>
  readRoutingConfig(new ConfigReader({ k2: { alerts } }));

describe('readRoutingConfig', () => {
  it('defaults the grace before unrouted incidents are routed to a minute, and reads a configured one', () => {
    expect(read({})).toEqual(DEFAULT_ROUTING);
    expect(DEFAULT_ROUTING.unroutedAfterMs).toBe(60_000);
    expect(
      read({ routing: { unroutedAfter: { minutes: 5 } } }).unroutedAfterMs,
    ).toBe(300_000);
    expect(read({ routing: { unroutedAfter: '90s' } }).unroutedAfterMs).toBe(
      90_000,
    );
  });

  it('refuses a grace that is not a positive duration, naming the key', () => {
    expect(() => read({ routing: { unroutedAfter: { seconds: 0 } } })).toThrow(
      /k2\.alerts\.routing\.unroutedAfter/,
    );
    expect(() => read({ routing: { unroutedAfter: 'soon' } })).toThrow(
      /unroutedAfter/,
    );
  });
});
