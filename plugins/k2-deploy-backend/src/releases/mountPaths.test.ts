import { InputError } from '@backstage/errors';
import { K2VolumeMount } from '@internal/plugin-k2-common';
import { checkMountPaths, MAX_MOUNTS } from './ReleaseMountResolver';

const volume = (mountPath: string, extra: Partial<K2VolumeMount> = {}) => ({
  volume: 'data',
  mountPath,
  readOnly: false,
  ...extra,
});
const config = (mountPath: string) => ({ file: 'application.yaml', mountPath });

function refusal(mounts: Parameters<typeof checkMountPaths>[0]) {
  try {
    checkMountPaths(mounts);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  return undefined;
}

describe('checkMountPaths', () => {
  it('takes separate absolute paths, nested volumes and a relative subPath', () => {
    expect(
      refusal({
        volumes: [
          volume('/data'),
          volume('/data/cache', { subPath: 'cache/v2' }),
        ],
        configFiles: [config('/app/config/application.yaml')],
      }),
    ).toBeUndefined();
  });

  it.each([
    [
      { volumes: [volume('/log-dir')], configFiles: [] },
      "'volumes[0].mountPath': '/log-dir' is at or under '/log-dir', where K2 mounts the service's log directory",
    ],
    [
      { volumes: [], configFiles: [config('/log-dir/app/application.yaml')] },
      "'configFiles[0].mountPath': '/log-dir/app/application.yaml' is at or under '/log-dir'",
    ],
    [
      {
        volumes: [volume('/var/run/secrets/kubernetes.io/serviceaccount')],
        configFiles: [],
      },
      'which the kubelet mounts into every container',
    ],
    [
      { volumes: [volume('/data'), volume('/data')], configFiles: [] },
      "'volumes[0].mountPath' and 'volumes[1].mountPath' are both '/data'",
    ],
    [
      {
        volumes: [volume('/app/config/application.yaml')],
        configFiles: [config('/app/config/application.yaml')],
      },
      "'volumes[0].mountPath' and 'configFiles[0].mountPath' are both '/app/config/application.yaml'",
    ],
    [
      {
        volumes: [volume('/app/settings.yaml/cache')],
        configFiles: [config('/app/settings.yaml')],
      },
      "'volumes[0].mountPath' '/app/settings.yaml/cache' is inside '/app/settings.yaml', where 'configFiles[0]' mounts a config file",
    ],
    [
      { volumes: [volume('/data/../etc')], configFiles: [] },
      "'volumes[0].mountPath' must be an absolute path without '.', '..' or '//' segments",
    ],
    [
      { volumes: [volume('/')], configFiles: [] },
      "'volumes[0].mountPath' must name a directory or file below '/'",
    ],
    [
      { volumes: [volume('/data', { subPath: '../other' })], configFiles: [] },
      "'volumes[0].subPath' must be a relative path inside the volume",
    ],
    [
      { volumes: [volume('/data', { subPath: '/abs' })], configFiles: [] },
      "'volumes[0].subPath' must be a relative path inside the volume",
    ],
    [
      {
        volumes: Array.from({ length: 11 }, (_, i) => volume(`/v${i}`)),
        configFiles: Array.from({ length: 10 }, (_, i) => config(`/c${i}`)),
      },
      `A release mounts at most ${MAX_MOUNTS} volumes and config files, got 21`,
    ],
  ])('refuses %j naming the field', (mounts, message) => {
    expect(refusal(mounts)).toContain(message);
  });
});
