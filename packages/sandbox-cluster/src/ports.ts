import fs from 'fs';
import net from 'net';

/** Where a port is chosen when the kernel's ephemeral range leaves room below it. */
const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (Linux's default when unknown). */
function ephemeralLow(): number {
  try {
    const [low] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function bindsOn(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port free now, for a server that another process binds later (Nginx,
 * Prometheus, a backend started as a child). The port is taken below the kernel's
 * ephemeral range: a port from `listen(0)` is in that range, and any outgoing
 * connection on the machine may take it as its local port before the other process
 * binds it, which then fails with "address in use".
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  if (high - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
      if (await bindsOn(port)) return port;
    }
  }
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
