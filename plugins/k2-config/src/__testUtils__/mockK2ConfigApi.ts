import { createApiMock } from '@backstage/frontend-test-utils';
import { K2ApiError } from '@internal/plugin-k2-common';
import { minutesAgo } from '@internal/plugin-k2-react/testUtils';
import {
  checkConfigFormat,
  configContentBytes,
  K2ConfigFile,
  K2ConfigFormat,
  K2ConfigVersion,
} from '@internal/plugin-k2-config-common';
import { K2ConfigApi, k2ConfigApiRef } from '../api/K2ConfigApi';
import { APPLICATION_V1, APPLICATION_V2, SECRET_CONTENT } from './fixtures';

interface StoredFile {
  file: Omit<K2ConfigFile, 'latest' | 'versionCount'>;
  versions: { version: K2ConfigVersion; content: string }[];
}

/** A refusal as the Config backend answers it. */
function refuse(
  statusCode: number,
  name: string,
  message: string,
  extra: object = {},
): never {
  throw new K2ApiError(message, statusCode, {
    error: { name, message, ...extra },
  });
}

/**
 * A `K2ConfigApi` whose every method is a `jest.fn` over an in-memory store that
 * answers as the backend does: `test` has `application.yaml` (YAML, versions #1 by
 * alice and #2 by bob; #1 mounted by retained release #6, #2 by running release #7)
 * and `db.properties` (sensitive, version #1); `prod` has none. Saves check the base
 * version (409 when someone saved since) and the format (400 with the line); restore
 * appends a version with the older one's content. Override a method with
 * `createK2ConfigApi({ saveVersion: ... })` or `api.saveVersion.mockRejectedValue(...)`.
 */
export const createK2ConfigApi = createApiMock(k2ConfigApiRef, () => {
  const store = new Map<string, StoredFile[]>([
    ['test', []],
    ['prod', []],
  ]);
  const hash = (content: string) =>
    Array.from(content)
      .reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)
      .toString(36)
      .padStart(10, 'k')
      .slice(0, 10);
  const version = (
    name: string,
    number: number,
    content: string,
    extra: Partial<K2ConfigVersion> = {},
  ): { version: K2ConfigVersion; content: string } => ({
    content,
    version: {
      file: name,
      number,
      hash: hash(content),
      object: `payment-gateway-${name.replace(/[._]/g, '-')}-${hash(content)}`,
      sensitive: false,
      size: configContentBytes(content),
      author: 'user:default/alice',
      message: '',
      createdAt: minutesAgo(5),
      collected: false,
      releases: [],
      ...extra,
    },
  });
  store.get('test')!.push(
    {
      file: {
        name: 'application.yaml',
        format: 'yaml',
        sensitive: false,
        mountPath: '/config/application.yaml',
        createdBy: 'user:default/alice',
        createdAt: minutesAgo(60),
      },
      versions: [
        version('application.yaml', 2, APPLICATION_V2, {
          author: 'user:default/bob',
          message: 'Debug logging and search',
          releases: [{ id: 'r7', number: 7, current: true }],
        }),
        version('application.yaml', 1, APPLICATION_V1, {
          message: 'Initial config',
          createdAt: minutesAgo(60),
          releases: [{ id: 'r6', number: 6, current: false }],
        }),
      ],
    },
    {
      file: {
        name: 'db.properties',
        format: 'properties',
        sensitive: true,
        mountPath: '/config/db.properties',
        createdBy: 'user:default/alice',
        createdAt: minutesAgo(30),
      },
      versions: [
        version('db.properties', 1, SECRET_CONTENT, {
          sensitive: true,
          message: 'Database credentials',
        }),
      ],
    },
  );

  const find = (environment: string, name: string) => {
    const stored = store.get(environment)?.find(f => f.file.name === name);
    return stored ?? refuse(404, 'NotFoundError', `No config file ${name}`);
  };
  const answer = (stored: StoredFile): K2ConfigFile => ({
    ...stored.file,
    latest: stored.versions[0].version,
    versionCount: stored.versions.length,
  });
  const checked = (format: K2ConfigFormat, content: string) => {
    const problem = checkConfigFormat(format, content);
    if (problem) {
      refuse(400, 'InputError', `Line ${problem.line}: ${problem.message}`, {
        line: problem.line,
        column: problem.column,
      });
    }
  };
  const append = (stored: StoredFile, content: string, message: string) => {
    const next = version(
      stored.file.name,
      stored.versions[0].version.number + 1,
      content,
      { sensitive: stored.file.sensitive, message, createdAt: minutesAgo(0) },
    );
    stored.versions.unshift(next);
    return next.version;
  };
  const contentOf = (environment: string, name: string, number: number) => {
    const stored = find(environment, name);
    const found = stored.versions.find(v => v.version.number === number);
    if (!found) return refuse(404, 'NotFoundError', `No version ${number}`);
    return {
      version: found.version,
      format: stored.file.format,
      content: found.content,
    };
  };

  const fake: K2ConfigApi = {
    getFiles: async (_service, environment) => ({
      items: (store.get(environment) ?? []).map(answer),
    }),
    createFile: async (_service, environment, input) => {
      checked(input.format, input.content);
      const stored: StoredFile = {
        file: {
          name: input.name,
          format: input.format,
          sensitive: input.sensitive ?? false,
          mountPath: input.mountPath,
          ...(input.description ? { description: input.description } : {}),
          createdBy: 'user:default/alice',
          createdAt: minutesAgo(0),
        },
        versions: [
          version(input.name, 1, input.content, {
            sensitive: input.sensitive ?? false,
            message: input.message ?? '',
            createdAt: minutesAgo(0),
          }),
        ],
      };
      store.get(environment)!.push(stored);
      return answer(stored);
    },
    getFile: async (_service, environment, name) =>
      answer(find(environment, name)),
    deleteFile: async (_service, environment, name) => {
      const stored = find(environment, name);
      const mounted = stored.versions.find(v => v.version.releases?.length);
      if (mounted) {
        const release = mounted.version.releases![0];
        refuse(
          409,
          'ConflictError',
          `${name} version ${mounted.version.number} is mounted by release #${release.number} in ${environment}`,
        );
      }
      store.set(
        environment,
        store.get(environment)!.filter(f => f !== stored),
      );
    },
    getVersions: async (_service, environment, name) => {
      const stored = find(environment, name);
      return {
        items: stored.versions.map(v => v.version),
        total: stored.versions.length,
      };
    },
    saveVersion: async (_service, environment, name, input) => {
      const stored = find(environment, name);
      const latest = stored.versions[0];
      if (latest.version.number !== input.baseVersion) {
        refuse(
          409,
          'ConflictError',
          `Version ${latest.version.number} was saved since version ${input.baseVersion}`,
        );
      }
      checked(stored.file.format, input.content);
      return append(stored, input.content, input.message ?? '');
    },
    getContent: async (_service, environment, name, number) =>
      contentOf(environment, name, number),
    restoreVersion: async (_service, environment, name, number, input) => {
      const stored = find(environment, name);
      const { content } = contentOf(environment, name, number);
      const restored = append(stored, content, input?.message ?? '');
      restored.restoredFrom = number;
      return restored;
    },
    compareVersions: async (_service, environment, name, from, to) => ({
      from: contentOf(environment, name, from),
      to: contentOf(environment, name, to),
    }),
  };
  // Every method a jest.fn over the fake, so tests can assert on calls and override.
  return Object.fromEntries(
    Object.entries(fake).map(([name, method]) => [
      name,
      jest.fn(method as (...args: unknown[]) => unknown),
    ]),
  ) as unknown as jest.Mocked<K2ConfigApi>;
});

/** Simulates another user saving a new version of `name` in `environment`. */
export async function saveAsSomeoneElse(
  api: jest.Mocked<K2ConfigApi>,
  environment: string,
  name: string,
  content: string,
) {
  const file = await api.getFile(
    { namespace: 'default', name: 'x' },
    environment,
    name,
  );
  await api.saveVersion(
    { namespace: 'default', name: 'x' },
    environment,
    name,
    {
      content,
      baseVersion: file.latest.number,
    },
  );
  api.getFile.mockClear();
  api.saveVersion.mockClear();
}
