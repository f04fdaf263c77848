import { WebSocket } from 'ws';
import YAML from 'yaml';
import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  api,
  createNamespace,
  destroyNamespace,
  poll,
} from '../__testUtils__/http';
import { Kubectl, kubectlAvailable } from '../__testUtils__/kubectl';

/*
 * exec, attach and ephemeral containers: the WebSocket channel protocols, the simulated
 * shell, and kubectl exec / kubectl debug against a started sandbox.
 */

jest.setTimeout(60000);

let cluster: SandboxCluster;
let client: ApiClient;
let ns: string;

beforeAll(async () => {
  cluster = new SandboxCluster({ name: 'c', tokens: ['tok'], timeScale: 0.05 });
  await cluster.listen(0);
  client = api(cluster);
  ns = await createNamespace(client, 'exec');
  await client.post(`/api/v1/namespaces/${ns}/configmaps`, {
    metadata: { name: 'shop-config' },
    data: { 'application.yaml': 'server:\n  port: 8080\n', MODE: 'blue' },
  });
  await client.post(`/api/v1/namespaces/${ns}/secrets`, {
    metadata: { name: 'shop-db' },
    data: { password: Buffer.from('s3cret').toString('base64') },
  });
  const pod = (name: string, image: string, extra: any = {}) =>
    client.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name },
      spec: {
        containers: [
          {
            name: 'web',
            image,
            env: [
              { name: 'GREETING', value: 'hello' },
              {
                name: 'MODE',
                valueFrom: {
                  configMapKeyRef: { name: 'shop-config', key: 'MODE' },
                },
              },
              {
                name: 'DB_PASSWORD',
                valueFrom: {
                  secretKeyRef: { name: 'shop-db', key: 'password' },
                },
              },
              {
                name: 'POD_NAME',
                valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
              },
            ],
            volumeMounts: [{ name: 'config', mountPath: '/etc/shop' }],
          },
          { name: 'sidecar', image: 'shop/agent:2.0' },
        ],
        volumes: [{ name: 'config', configMap: { name: 'shop-config' } }],
        ...extra,
      },
    });
  await pod('shop', 'shop/web:1.0');
  await pod('stuck', 'shop/web:1.0-pullerror');
  await pod('slim', 'gcr.io/distroless/java17:nonroot', {
    securityContext: { runAsUser: 65532 },
  });
  await pod('box', 'busybox:1.36', {
    securityContext: { runAsUser: 1000 },
  });
  const running = (name: string) =>
    poll(`${name} to run`, async () => {
      const res = await client.get(`/api/v1/namespaces/${ns}/pods/${name}`);
      const statuses: any[] = res.body.status?.containerStatuses ?? [];
      return statuses.length > 0 && statuses.every(s => s.state?.running);
    });
  await Promise.all(['shop', 'slim', 'box'].map(running));
});

afterAll(async () => {
  await destroyNamespace(client, ns);
  await cluster.close();
});

/** One WebSocket session: what arrived on each channel, and the close code. */
async function session(
  path: string,
  protocol: string,
  send: (ws: WebSocket) => void,
) {
  const ws = new WebSocket(
    `${cluster.url.replace(/^http/, 'ws')}${path}`,
    [protocol],
    { headers: { Authorization: 'Bearer tok' } },
  );
  const channels = new Map<number, string>();
  return new Promise<{
    protocol: string;
    channels: Map<number, string>;
    close: number;
  }>((resolve, reject) => {
    ws.on('open', () => send(ws));
    ws.on('message', (data: Buffer) => {
      channels.set(
        data[0],
        (channels.get(data[0]) ?? '') + data.subarray(1).toString(),
      );
    });
    ws.on('error', reject);
    ws.on('close', code =>
      resolve({ protocol: ws.protocol, channels, close: code }),
    );
  });
}

const frame = (channel: number, text: string | number[]) =>
  Buffer.concat([
    Buffer.from([channel]),
    typeof text === 'string' ? Buffer.from(text) : Buffer.from(text),
  ]);

describe('exec and attach over WebSocket', () => {
  const exec = (query: string) =>
    `/api/v1/namespaces/${ns}/pods/shop/exec?container=web&${query}`;

  it('runs a TTY shell over v5: prompt, echo, resize accepted, exit status on channel 3', async () => {
    const result = await session(
      exec('command=sh&stdin=true&stdout=true&tty=true'),
      'v5.channel.k8s.io',
      ws => {
        ws.send(frame(4, JSON.stringify({ Width: 120, Height: 40 })));
        ws.send(frame(0, 'cd /etc/shop\r'));
        ws.send(frame(0, 'ls\r'));
        ws.send(frame(0, 'exit 4\r'));
      },
    );
    expect(result.protocol).toBe('v5.channel.k8s.io');
    expect(result.close).toBe(1000);
    const stdout = result.channels.get(1)!;
    expect(stdout.startsWith('/ # ')).toBe(true);
    expect(stdout).toContain('/etc/shop # ls\r\nMODE\r\napplication.yaml\r\n');
    expect(JSON.parse(result.channels.get(3)!)).toEqual({
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: error executing command [sh], exit code 4',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
  });

  it('runs piped input over v4 and v5, ending at the v5 close of stdin', async () => {
    const v4 = await session(
      exec('command=sh&stdin=true&stdout=true&stderr=true'),
      'v4.channel.k8s.io',
      ws => ws.send(frame(0, 'hostname\nnosuch\nexit\n')),
    );
    expect(v4.protocol).toBe('v4.channel.k8s.io');
    expect(v4.channels.get(1)).toBe('shop\n');
    expect(v4.channels.get(2)).toBe('sh: nosuch: not found\n');
    expect(JSON.parse(v4.channels.get(3)!).details.causes[0].message).toBe(
      '127',
    );

    const v5 = await session(
      exec('command=sh&stdin=true&stdout=true&stderr=true'),
      'v5.channel.k8s.io',
      ws => {
        ws.send(frame(0, 'pwd\ncd /app\npwd'));
        ws.send(frame(255, [0]));
      },
    );
    expect(v5.channels.get(1)).toBe('/\n/app\n');
    expect(JSON.parse(v5.channels.get(3)!)).toEqual({
      metadata: {},
      status: 'Success',
    });
  });

  it('refuses before the upgrade: unknown pod 404, not running 400, no protocol 400, no token 401', async () => {
    const refused = (path: string, protocols: string[], token = 'tok') =>
      new Promise<{ code: number; body: any }>(resolve => {
        const ws = new WebSocket(
          `${cluster.url.replace(/^http/, 'ws')}${path}`,
          protocols,
          { headers: { Authorization: `Bearer ${token}` } },
        );
        ws.on('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', c => {
            text += c;
          });
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }),
          );
        });
        ws.on('error', () => undefined);
      });
    const base = `/api/v1/namespaces/${ns}/pods`;
    const ghost = await refused(`${base}/ghost/exec?command=sh&stdout=true`, [
      'v5.channel.k8s.io',
    ]);
    expect(ghost).toMatchObject({
      code: 404,
      body: { reason: 'NotFound', message: 'pods "ghost" not found' },
    });
    const stuck = await refused(
      `${base}/stuck/exec?container=web&command=sh&stdout=true`,
      ['v5.channel.k8s.io'],
    );
    expect(stuck.code).toBe(400);
    expect(stuck.body.message).toMatch(
      /^container "web" in pod "stuck" is not running: waiting to start: (ErrImagePull|ImagePullBackOff|ContainerCreating)$/,
    );
    const spdy = await refused(
      `${base}/shop/exec?container=web&command=sh&stdout=true`,
      ['channel.k8s.io'],
    );
    expect(spdy.code).toBe(400);
    const anonymous = await refused(
      `${base}/shop/exec?container=web&command=sh&stdout=true`,
      ['v5.channel.k8s.io'],
      'wrong',
    );
    expect(anonymous.code).toBe(401);
  });

  it('answers exec of a shell in a distroless image as the runtime does (126)', async () => {
    const result = await session(
      `/api/v1/namespaces/${ns}/pods/slim/exec?container=web&command=sh&stdout=true&stderr=true`,
      'v5.channel.k8s.io',
      () => undefined,
    );
    expect(result.channels.get(1)).toBe(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown\r\n',
    );
    expect(JSON.parse(result.channels.get(3)!).details.causes[0].message).toBe(
      '126',
    );
  });
});

describe('sessions and the rest of the API', () => {
  it('ends an open session with exit code 137 when its pod goes away', async () => {
    await client.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'brief' },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: 'shop/web:1.0' }],
      },
    });
    await poll('brief to run', async () => {
      const res = await client.get(`/api/v1/namespaces/${ns}/pods/brief`);
      return res.body.status?.containerStatuses?.[0]?.state?.running;
    });
    const result = await session(
      `/api/v1/namespaces/${ns}/pods/brief/exec?command=sh&stdin=true&stdout=true`,
      'v5.channel.k8s.io',
      ws => {
        ws.send(frame(0, 'pwd\n'));
        client.delete(`/api/v1/namespaces/${ns}/pods/brief`);
      },
    );
    expect(result.channels.get(1)).toBe('/\n');
    expect(JSON.parse(result.channels.get(3)!).details.causes[0].message).toBe(
      '137',
    );
  });

  it('lists the subresources in discovery as Kubernetes does', async () => {
    const resources = new Map<string, any>(
      (await client.get('/api/v1')).body.resources.map((r: any) => [r.name, r]),
    );
    expect(resources.get('pods/exec')).toMatchObject({
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
    });
    expect(resources.get('pods/attach')).toMatchObject({
      kind: 'PodAttachOptions',
      verbs: ['create', 'get'],
    });
    expect(resources.get('pods/ephemeralcontainers')).toMatchObject({
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
  });

  it('refuses exec under an injected fault as other pod requests', async () => {
    const fault = await client.post('/sandbox/faults', {
      errors: { code: 503, seconds: 30, verbs: ['get'], resources: ['pods'] },
    });
    expect(fault.status).toBeLessThan(300);
    try {
      const refused = await new Promise<number>(resolve => {
        const ws = new WebSocket(
          `${cluster.url.replace(
            /^http/,
            'ws',
          )}/api/v1/namespaces/${ns}/pods/shop/exec?container=web&command=ls&stdout=true`,
          ['v5.channel.k8s.io'],
          { headers: { Authorization: 'Bearer tok' } },
        );
        ws.on('unexpected-response', (_req, res) =>
          resolve(res.statusCode ?? 0),
        );
        ws.on('error', () => undefined);
      });
      expect(refused).toBe(503);
    } finally {
      await client.delete('/sandbox/faults');
    }
  });
});

describe('the ephemeralcontainers subresource', () => {
  it('adds a debug container the kubelet starts, and refuses changing it (422)', async () => {
    const path = `/api/v1/namespaces/${ns}/pods/box/ephemeralcontainers`;
    const added = await client.patch(
      path,
      {
        spec: {
          ephemeralContainers: [
            {
              name: 'debugger-abcde',
              image: 'busybox:1.36',
              stdin: true,
              targetContainerName: 'web',
            },
          ],
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(added.status).toBe(200);
    expect(added.body.spec.ephemeralContainers[0]).toMatchObject({
      name: 'debugger-abcde',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePolicy: 'File',
    });
    await poll('the debugger to run', async () => {
      const pod = (await client.get(path)).body;
      return pod.status.ephemeralContainerStatuses?.[0]?.state?.running;
    });
    const events = await client.get(
      `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=box`,
    );
    expect(events.body.items.map((e: any) => e.message)).toContain(
      'Started container debugger-abcde',
    );
    const changed = await client.patch(
      path,
      {
        spec: {
          ephemeralContainers: [
            { name: 'debugger-abcde', image: 'busybox:1.37' },
          ],
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe(
      'Pod "box" is invalid: spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers "debugger-abcde" may not be changed',
    );

    const live = (await client.get(path)).body;
    const removed = await client.put(path, {
      ...live,
      spec: { ...live.spec, ephemeralContainers: [] },
    });
    expect(removed.status).toBe(422);
    expect(removed.body.message).toBe(
      'Pod "box" is invalid: spec: Forbidden: existing ephemeral containers "debugger-abcde" may not be removed',
    );

    const attached = await session(
      `/api/v1/namespaces/${ns}/pods/box/attach?container=debugger-abcde&stdin=true&stdout=true&stderr=true`,
      'v5.channel.k8s.io',
      ws => ws.send(frame(0, 'id\nps\nexit 0\n')),
    );
    expect(attached.channels.get(1)).toBe(
      'uid=1000 gid=0(root) groups=0(root)\n' +
        'PID   USER     TIME  COMMAND\n' +
        '    1 1000      0:00 sh\n' +
        '    7 1000      0:00 sh\n' +
        '   13 1000      0:00 ps\n',
    );
    await poll('the debugger to end', async () => {
      const pod = (await client.get(path)).body;
      return pod.status.ephemeralContainerStatuses[0].state.terminated;
    });
  });
});

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('kubectl exec and kubectl debug', () => {
  let kubectl: Kubectl;

  beforeAll(() => {
    kubectl = new Kubectl([cluster]);
  });

  afterAll(() => kubectl.dispose());

  it('prints the container’s environment as the pod spec resolves it', async () => {
    const env = await kubectl.run(
      'c',
      '-n',
      ns,
      'exec',
      'shop',
      '-c',
      'web',
      '--',
      'env',
    );
    expect(env.stderr).toBe('');
    expect(env.code).toBe(0);
    const lines = env.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'HOSTNAME=shop',
        'GREETING=hello',
        'MODE=blue',
        'DB_PASSWORD=s3cret',
        'POD_NAME=shop',
        'HOME=/root',
      ]),
    );
  });

  it('exits with the command’s exit code', async () => {
    const result = await kubectl.run(
      'c',
      '-n',
      ns,
      'exec',
      'shop',
      '-c',
      'web',
      '--',
      'sh',
      '-c',
      'exit 3',
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('command terminated with exit code 3');
  });

  it('runs piped stdin through sh', async () => {
    const result = await kubectl.runWithInput(
      'c',
      'ls\ncat /etc/shop/MODE; echo\nwhoami\n',
      '-n',
      ns,
      'exec',
      '-i',
      'shop',
      '-c',
      'web',
      '--',
      'sh',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('app\netc\nroot\ntmp\nblue\nroot\n');
  });

  it('refuses a pod that is not running and a container that does not exist', async () => {
    const stuck = await kubectl.run(
      'c',
      '-n',
      ns,
      'exec',
      'stuck',
      '-c',
      'web',
      '--',
      'ls',
    );
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(
      /container "web" in pod "stuck" is not running/,
    );
    const unknown = await kubectl.run(
      'c',
      '-n',
      ns,
      'exec',
      'shop',
      '-c',
      'db',
      '--',
      'ls',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('container db is not valid for pod shop');
  });

  it('runs a debug container’s one command, readable as its log', async () => {
    const debug = await kubectl.run(
      'c',
      '-n',
      ns,
      'debug',
      'shop',
      '--image=busybox:1.36',
      '--target=web',
      '--',
      'ps',
    );
    expect(debug.code).toBe(0);
    const name = /debugger-[a-z0-9]+/.exec(debug.stdout)![0];
    const ended = await poll(`${name} to end`, async () => {
      const pod = (await client.get(`/api/v1/namespaces/${ns}/pods/shop`)).body;
      return pod.status.ephemeralContainerStatuses?.find(
        (s: any) => s.name === name,
      )?.state?.terminated;
    });
    expect(ended).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const logs = await kubectl.run('c', '-n', ns, 'logs', 'shop', '-c', name);
    expect(logs.stdout).toBe(
      'PID   USER     TIME  COMMAND\n' +
        '    1 root      0:00 /app/web\n' +
        '    7 root      0:00 ps\n',
    );
  });

  it('debugs a pod with busybox targeting its app container, shown under ephemeralContainers', async () => {
    const debug = await kubectl.runWithInput(
      'c',
      'ps\n',
      '-n',
      ns,
      'debug',
      '-i',
      'shop',
      '--image=busybox:1.36',
      '--target=web',
    );
    expect(debug.code).toBe(0);
    const name = /debugger-[a-z0-9]+/.exec(debug.stderr + debug.stdout)?.[0];
    expect(name).toBeDefined();
    expect(debug.stdout).toContain('    1 root      0:00 /app/web\n');
    expect(debug.stdout).toContain('    7 root      0:00 sh\n');
    const yaml = await kubectl.run(
      'c',
      '-n',
      ns,
      'get',
      'pod',
      'shop',
      '-o',
      'yaml',
    );
    const pod = YAML.parse(yaml.stdout);
    expect(
      pod.spec.ephemeralContainers.find((c: any) => c.name === name),
    ).toMatchObject({
      image: 'busybox:1.36',
      stdin: true,
      targetContainerName: 'web',
    });
    // kubectl debug does not set stdinOnce: the end of piped input ends the session,
    // while the debug shell keeps running for a later kubectl attach.
    expect(
      pod.status.ephemeralContainerStatuses.find((c: any) => c.name === name)
        .state.running,
    ).toBeDefined();
  });

  it('runs an interactive shell with kubectl exec -it in a terminal', async () => {
    const result = await kubectl.runInTerminal(
      'c',
      [
        { after: '/ # ', send: 'cd /etc/shop\r' },
        { after: '/etc/shop # ', send: 'ls\r' },
        { after: 'application.yaml\r\n/etc/shop # ', send: 'exit 5\r' },
      ],
      '-n',
      ns,
      'exec',
      '-it',
      'shop',
      '-c',
      'web',
      '--',
      'sh',
    );
    expect(result.stdout).toContain(
      '/etc/shop # ls\r\nMODE\r\napplication.yaml\r\n/etc/shop # exit 5\r\n',
    );
    expect(result.stdout).toContain('command terminated with exit code 5');
    expect(result.code).toBe(5);
  });

  it('opens a debug shell with kubectl debug -it that sees the target’s processes', async () => {
    const result = await kubectl.runInTerminal(
      'c',
      [
        {
          after: "If you don't see a command prompt",
          send: '\r',
        },
        { after: '/ # ', send: 'ps\r' },
        { after: 'ps\r\n/ # ', send: 'exit\r' },
      ],
      '-n',
      ns,
      'debug',
      '-it',
      'shop',
      '--image=busybox:1.36',
      '--target=web',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'PID   USER     TIME  COMMAND\r\n' +
        '    1 root      0:00 /app/web\r\n' +
        '    7 root      0:00 sh\r\n' +
        '   13 root      0:00 ps\r\n',
    );
    expect(result.stdout).toContain('Session ended');
  });
});
