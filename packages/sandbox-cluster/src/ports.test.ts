import fs from 'fs';
import net from 'net';
import { freePort } from './ports';

describe('freePort', () => {
  it('gives a port below the ephemeral range that a server can bind', async () => {
    const [low] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const port = await freePort();
    expect(port).toBeLessThan(low);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise(resolve => server.close(resolve));
  });

  it('does not give a port something listens on', async () => {
    const taken = new Set<number>();
    const servers: net.Server[] = [];
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(taken.has(port)).toBe(false);
      const server = net.createServer();
      await new Promise<void>(resolve =>
        server.listen(port, '127.0.0.1', resolve),
      );
      taken.add(port);
      servers.push(server);
    }
    await Promise.all(servers.map(s => new Promise(r => s.close(r))));
  });
});
