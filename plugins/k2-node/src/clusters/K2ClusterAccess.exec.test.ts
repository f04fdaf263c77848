import http from 'http';
import net from 'net';
import { InputError, NotFoundError } from '@backstage/errors';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { poll } from '@internal/sandbox-cluster/testUtils';
import {
  accessTo,
  seedTwoServices,
  startSandbox,
} from './__testUtils__/sandbox';
import { K2ClusterAccess } from './K2ClusterAccess';
import { K2RemoteCommand } from './RemoteCommand';

jest.setTimeout(60_000);

/*
 * exec, attach and ephemeral containers through K2's one cluster access layer, against
 * the sandbox's exec and attach subresources.
 */

let cluster: SandboxCluster;
let access: K2ClusterAccess;
let pod: { namespace: string; name: string };

beforeAll(async () => {
  cluster = await startSandbox();
  seedTwoServices(cluster);
  access = accessTo([cluster]);
  access.start();
  await access.waitForSync(10_000);
  const name = await poll(
    'a running svc-a pod',
    () =>
      access
        .cache('alpha')
        .byService('pods', 'svc-a')
        .find(p =>
          (p.status?.containerStatuses ?? []).every(
            (s: any) => s.state?.running,
          ),
        )?.metadata.name,
  );
  pod = { namespace: 'shop', name };
});

afterAll(async () => {
  await access.stop();
  await cluster.stop();
});

/** A remote command's output as text, and how it ended. */
function collect() {
  let text = '';
  return {
    onOutput: (chunk: Buffer) => {
      text += chunk.toString('utf8');
    },
    text: () => text,
  };
}

/** Waits until the output contains `pattern`. */
const until = (output: { text(): string }, pattern: string | RegExp) =>
  poll(`output to show ${pattern}`, () =>
    typeof pattern === 'string'
      ? output.text().includes(pattern)
      : pattern.test(output.text()),
  );

describe('K2ClusterAccess exec and attach', () => {
  it('runs an interactive shell over v5: output, resize, exit code', async () => {
    const output = collect();
    const shell = await access.exec('alpha', pod, {
      container: 'svc-a',
      command: ['sh'],
      stdin: true,
      tty: true,
      onOutput: output.onOutput,
    });
    expect(shell.protocol).toBe('v5.channel.k8s.io');
    shell.resize(120, 40);
    shell.write('ls /app\r');
    await until(output, 'VERSION');
    shell.write('env\r');
    await until(output, `HOSTNAME=${pod.name}`);
    shell.write('exit 3\r');
    await expect(shell.ended).resolves.toMatchObject({ exitCode: 3 });
  });

  it('collects a short command’s output and its exit code', async () => {
    const ok = await access.execOutput('alpha', pod, {
      container: 'svc-a',
      command: ['id'],
      timeoutMs: 10_000,
    });
    expect(ok).toEqual({
      exitCode: 0,
      stdout: 'uid=1000 gid=0(root) groups=0(root)\n',
      stderr: '',
    });
    const failed = await access.execOutput('alpha', pod, {
      container: 'svc-a',
      command: ['sh', '-c', 'nosuch'],
      timeoutMs: 10_000,
    });
    expect(failed.exitCode).toBe(127);
    expect(failed.stderr).toBe('sh: nosuch: not found\n');
  });

  it('refuses an unknown pod with NotFoundError and an unknown container with InputError', async () => {
    const options = {
      container: 'svc-a',
      command: ['sh'],
      onOutput: () => undefined,
    };
    await expect(
      access.exec('alpha', { namespace: 'shop', name: 'gone' }, options),
    ).rejects.toThrow(NotFoundError);
    const wrong = access.exec('alpha', pod, { ...options, container: 'nope' });
    await expect(wrong).rejects.toThrow(InputError);
    await expect(wrong).rejects.toThrow(
      `container nope is not valid for pod ${pod.name}`,
    );
  });

  it('falls back to v4 when the API server does not serve v5', async () => {
    // An API server of before Kubernetes 1.30 offers v4 only: a proxy that drops v5
    // from the offered protocols stands in for it.
    const proxy = await v4OnlyProxy(cluster);
    const old = accessTo([
      { name: 'old', url: proxy.url, token: cluster.tokens[0] },
    ]);
    try {
      const output = collect();
      const shell = await old.exec('old', pod, {
        container: 'svc-a',
        command: ['sh'],
        stdin: true,
        tty: true,
        onOutput: output.onOutput,
      });
      expect(shell.protocol).toBe('v4.channel.k8s.io');
      shell.write('echo $HOSTNAME\r');
      await until(output, `\r\n${pod.name}\r\n`);
      shell.write('exit\r');
      await expect(shell.ended).resolves.toEqual({ exitCode: 0 });
    } finally {
      await old.stop();
      await proxy.close();
    }
  });

  it('adds an ephemeral container that the kubelet starts, and attaches to its shell', async () => {
    const added = await access.addEphemeralContainer('alpha', pod, {
      name: 'k2-debug-test1',
      image: 'busybox:1.36',
      targetContainerName: 'svc-a',
      stdin: true,
      tty: true,
      securityContext: { runAsUser: 1000, runAsNonRoot: true },
    });
    expect(added.spec?.ephemeralContainers).toEqual([
      expect.objectContaining({
        name: 'k2-debug-test1',
        image: 'busybox:1.36',
      }),
    ]);
    // The watch cache sees it run.
    await poll('the debug container to run', () =>
      (
        access.cache('alpha').store('pods').get('shop', pod.name)?.status
          ?.ephemeralContainerStatuses ?? []
      ).some((s: any) => s.name === 'k2-debug-test1' && s.state?.running),
    );
    const output = collect();
    const shell: K2RemoteCommand = await access.attach('alpha', pod, {
      container: 'k2-debug-test1',
      stdin: true,
      tty: true,
      onOutput: output.onOutput,
    });
    shell.write('id\r');
    await until(output, 'uid=1000');
    shell.close();
    await expect(shell.ended).resolves.toBeDefined();
    // Ephemeral containers cannot be changed once added.
    await expect(
      access.addEphemeralContainer('alpha', pod, {
        name: 'k2-debug-test1',
        image: 'busybox:1.37',
      }),
    ).rejects.toThrow(InputError);
  });
});

/** An HTTP proxy to the sandbox that offers the API server v4 only on upgrades. */
async function v4OnlyProxy(target: SandboxCluster) {
  const upstream = new URL(target.url);
  const server = http.createServer();
  const sockets = new Set<net.Socket>();
  server.on('upgrade', (req, socket: net.Socket, head) => {
    sockets.add(socket);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim())
      .filter(p => p !== 'v5.channel.k8s.io');
    const headers = { ...req.headers, 'sec-websocket-protocol': offered };
    const forward = http.request({
      host: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers: { ...headers, host: upstream.host },
    });
    forward.on('upgrade', (res, remote, remoteHead) => {
      sockets.add(remote);
      const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (remoteHead.length) socket.write(remoteHead);
      if (head.length) remote.write(head);
      remote.pipe(socket).pipe(remote);
      remote.on('error', () => socket.destroy());
      socket.on('error', () => remote.destroy());
    });
    forward.on('error', () => socket.destroy());
    forward.end();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>(resolve => {
        sockets.forEach(s => s.destroy());
        server.close(() => resolve());
      }),
  };
}
