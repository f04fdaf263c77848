import { ConfigReader } from '@backstage/config';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { readStorageConfig } from './readStorageConfig';

const k2 = (storage?: object) =>
  new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [{ name: 'test-a', url: 'http://127.0.0.1:1' }],
        },
      ],
    },
    k2: {
      environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
      ...(storage ? { storage } : {}),
    },
  });

const read = (storage?: object) => {
  const config = k2(storage);
  return readStorageConfig(config, readEnvironmentModel(config));
};

describe('readStorageConfig', () => {
  it('offers nothing and allows 1Gi to 1Ti when k2.storage is absent', () => {
    const config = read();
    expect(config.classes.size).toBe(0);
    expect(config).toMatchObject({
      minSize: '1Gi',
      minBytes: 2 ** 30,
      maxSize: '1Ti',
      maxBytes: 2 ** 40,
    });
  });

  it('gives each kind its access modes unless the class names them', () => {
    const config = read({
      environments: {
        test: {
          classes: [
            { name: 'nfs', label: 'NFS', kind: 'nfs' },
            { name: 'ceph-rbd', kind: 'block' },
            {
              name: 'local',
              kind: 'block',
              accessModes: ['ReadWriteOncePod'],
            },
          ],
        },
      },
    });
    expect(config.classes.get('test')).toEqual([
      {
        name: 'nfs',
        label: 'NFS',
        kind: 'nfs',
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
      },
      {
        name: 'ceph-rbd',
        label: 'ceph-rbd',
        kind: 'block',
        accessModes: ['ReadWriteOnce'],
      },
      {
        name: 'local',
        label: 'local',
        kind: 'block',
        accessModes: ['ReadWriteOncePod'],
      },
    ]);
  });

  it.each([
    [
      { maxSize: '1Mi' },
      "at 'k2.storage.maxSize': '1Mi' is smaller than minSize '1Gi'",
    ],
    [{ minSize: 'big' }, "at 'k2.storage.minSize': 'big' is not a positive"],
    [
      { environments: { staging: { classes: [] } } },
      "'staging' is not an environment of k2.environments",
    ],
    [
      {
        environments: {
          test: { classes: [{ name: 'nfs', kind: 'tape' }] },
        },
      },
      "at 'k2.storage.environments.test.classes[0].kind': 'tape' must be one of nfs, cephfs, block",
    ],
    [
      {
        environments: {
          test: {
            classes: [
              { name: 'nfs', kind: 'nfs' },
              { name: 'nfs', kind: 'nfs' },
            ],
          },
        },
      },
      "at 'k2.storage.environments.test.classes[1].name': 'nfs' is listed twice",
    ],
    [
      {
        environments: {
          test: {
            classes: [{ name: 'nfs', kind: 'nfs', accessModes: ['RWX'] }],
          },
        },
      },
      "at 'k2.storage.environments.test.classes[0].accessModes': 'RWX' must be one of",
    ],
  ])('refuses %j naming the key', (storage, message) => {
    expect(() => read(storage)).toThrow(message);
  });
});
