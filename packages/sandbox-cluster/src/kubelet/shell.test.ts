import { KubeObject } from '../api/types';
import {
  ContainerView,
  ObjectLookup,
  SimulatedShell,
  imageDefaultUser,
  imageHasShell,
  mainCommand,
} from './shell';

const objects: Record<string, KubeObject> = {
  'configmaps/settings': {
    metadata: { name: 'settings' },
    data: { 'app.properties': 'mode=blue\n', LEVEL: 'debug' },
  },
  'secrets/db': {
    metadata: { name: 'db' },
    data: {
      password: Buffer.from('s3cret').toString('base64'),
      user: Buffer.from('shop').toString('base64'),
    },
  },
};
const lookup: ObjectLookup = (resource, _namespace, name) =>
  objects[`${resource}/${name}`];

function pod(container: any, spec: any = {}): KubeObject {
  return {
    metadata: { name: 'shop-7d9f', namespace: 'shop', uid: 'u1' },
    spec: { nodeName: 'n1', containers: [container], ...spec },
    status: { podIP: '10.244.0.9' },
  };
}

function shell(container: any, spec: any = {}) {
  const p = pod(container, spec);
  return new SimulatedShell(new ContainerView(p, container, lookup), 13);
}

describe('the simulated container', () => {
  it('resolves env from values, ConfigMaps, Secrets, the downward API and envFrom prefixes', () => {
    const sh = shell({
      name: 'web',
      image: 'shop/web:1.0',
      env: [
        { name: 'A', value: 'one' },
        { name: 'B', value: '$(A)-two' },
        {
          name: 'PASS',
          valueFrom: { secretKeyRef: { name: 'db', key: 'password' } },
        },
        {
          name: 'IP',
          valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
        },
        {
          name: 'MISSING',
          valueFrom: { configMapKeyRef: { name: 'nope', key: 'x' } },
        },
      ],
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
    });
    const env = sh.run('env').stdout.split('\n');
    expect(env).toEqual(
      expect.arrayContaining([
        'A=one',
        'B=one-two',
        'PASS=s3cret',
        'IP=10.244.0.9',
        'CFG_LEVEL=debug',
        'HOSTNAME=shop-7d9f',
      ]),
    );
    expect(env.some(line => line.startsWith('MISSING='))).toBe(false);
  });

  it('lists and reads mounted ConfigMap and Secret files, items and subPath honoured', () => {
    const sh = shell(
      {
        name: 'web',
        image: 'shop/web:1.0',
        volumeMounts: [
          { name: 'conf', mountPath: '/etc/shop' },
          { name: 'creds', mountPath: '/run/db-user', subPath: 'user' },
        ],
      },
      {
        volumes: [
          {
            name: 'conf',
            configMap: {
              name: 'settings',
              items: [{ key: 'app.properties', path: 'conf/app.properties' }],
            },
          },
          { name: 'creds', secret: { secretName: 'db' } },
        ],
      },
    );
    expect(sh.run('ls /etc/shop/conf').stdout).toBe('app.properties\n');
    expect(sh.run('cat /etc/shop/conf/app.properties').stdout).toBe(
      'mode=blue\n',
    );
    expect(sh.run('cat /run/db-user').stdout).toBe('shop');
    expect(sh.run('ls /etc').stdout).toBe('hostname\nos-release\nshop\n');
  });

  it('keeps a working directory and answers errors as BusyBox sh does', () => {
    const sh = shell({ name: 'web', image: 'shop/web:1.0' });
    expect(sh.run('cd /app && pwd').stdout).toBe('/app\n');
    expect(sh.run('ls').stdout).toBe('VERSION\nweb\n');
    expect(sh.run('cat VERSION').stdout).toBe('1.0\n');
    expect(sh.run('cd /nope')).toMatchObject({
      stderr: "sh: cd: can't cd to /nope: No such file or directory\n",
      code: 2,
    });
    expect(sh.prompt()).toBe('/app # ');
    expect(sh.run('frobnicate; echo $?')).toEqual({
      stdout: '127\n',
      stderr: 'sh: frobnicate: not found\n',
      code: 0,
    });
    expect(sh.run('false || echo "fallback $HOSTNAME"').stdout).toBe(
      'fallback shop-7d9f\n',
    );
    expect(sh.run("echo 'a  $b'").stdout).toBe('a  $b\n');
    expect(sh.run('exit 300')).toMatchObject({ exit: 44 });
    expect(sh.run('echo after')).toMatchObject({ stdout: '' });
  });

  it('runs as the security context’s user, root by default', () => {
    const root = shell({ name: 'web', image: 'shop/web:1.0' });
    expect(root.run('whoami; id').stdout).toBe(
      'root\nuid=0(root) gid=0(root) groups=0(root)\n',
    );
    const user = shell(
      {
        name: 'web',
        image: 'shop/web:1.0',
        securityContext: { runAsUser: 1001 },
      },
      { securityContext: { runAsUser: 2000, runAsGroup: 3000 } },
    );
    expect(user.run('whoami')).toMatchObject({
      stderr: 'whoami: unknown uid 1001\n',
      code: 1,
    });
    expect(user.run('id').stdout).toBe('uid=1001 gid=3000 groups=3000\n');
    expect(user.prompt()).toBe('/ $ ');
  });

  it('shows the container’s command as PID 1, or its image’s', () => {
    expect(
      mainCommand({ name: 'api', image: 'shop/api:1', command: ['/srv/api'] }),
    ).toEqual(['/srv/api']);
    expect(
      mainCommand({ name: 'api', image: 'shop/spring-api:1', args: ['--x'] }),
    ).toEqual(['java', '-jar', '/app/app.jar', '--x']);
    expect(mainCommand({ name: 'dbg', image: 'busybox:1.36' })).toEqual(['sh']);
    const sh = shell({ name: 'web', image: 'shop/node-web:2' });
    expect(sh.run('ps').stdout).toBe(
      'PID   USER     TIME  COMMAND\n' +
        '    1 root      0:00 node /app/server.js\n' +
        '   13 root      0:00 sh\n' +
        '   19 root      0:00 ps\n',
    );
  });

  it('runs a service image pushed to a registry as uid 1000 and tool images as root', () => {
    // As K2's generated Dockerfiles set USER 1000 (no group).
    const app = shell({
      name: 'web',
      image: 'registry.northwind.example/payments-core/payment-gateway:1.4.2',
    });
    expect(app.run('id; whoami').stdout).toBe(
      'uid=1000 gid=0(root) groups=0(root)\n',
    );
    expect(app.prompt()).toBe('/ $ ');
    expect(shell({ name: 'box', image: 'busybox:1.36' }).run('id').stdout).toBe(
      'uid=0(root) gid=0(root) groups=0(root)\n',
    );
    // The security context still decides when it says.
    const asRoot = shell({
      name: 'web',
      image: 'registry.k2.local/shop/web:1.0',
      securityContext: { runAsUser: 0 },
    });
    expect(asRoot.run('id').stdout).toBe(
      'uid=0(root) gid=0(root) groups=0(root)\n',
    );
    expect(imageDefaultUser('localhost:5000/shop/web:2')).toBe(1000);
    expect(imageDefaultUser('registry.k2.local/tools/alpine:3.20')).toBe(0);
    expect(imageDefaultUser('docker.io/library/debian:12')).toBe(0);
    expect(imageDefaultUser('ubuntu@sha256:abc')).toBe(0);
    expect(imageDefaultUser('shop/web:1.0')).toBe(0);
  });

  it('marks distroless and noshell images as having no shell', () => {
    expect(imageHasShell('gcr.io/distroless/java17-debian12:nonroot')).toBe(
      false,
    );
    expect(imageHasShell('shop/web:1.0-noshell')).toBe(false);
    expect(imageHasShell('shop/web:1.0')).toBe(true);
    const sh = shell({ name: 'web', image: 'gcr.io/distroless/static:1' });
    expect(sh.run('ls')).toMatchObject({
      stderr: 'sh: ls: not found\n',
      code: 127,
    });
  });
});
