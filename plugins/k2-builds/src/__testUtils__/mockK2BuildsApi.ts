import { createApiMock } from '@backstage/frontend-test-utils';
import {
  isBuildFinished,
  K2Build,
  K2BuildDockerfile,
  K2BuildSettings,
  K2BuildStatus,
} from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import { minutesAgo } from '@internal/plugin-k2-react/testUtils';
import { K2BuildsApi, k2BuildsApiRef } from '../api/K2BuildsApi';

/** A refusal as the Builds backend answers it. */
export function refuse(
  statusCode: number,
  name: string,
  message: string,
): never {
  throw new K2ApiError(message, statusCode, { error: { name, message } });
}

const REPOSITORY = 'http://127.0.0.1:7108/payments/payment-gateway';
const IMAGE = 'registry.northwind.example/payments/payment-gateway';
const DIGEST =
  'sha256:4f2b8c1d9e7a6b5c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c';

/** The settings of a service that builds: generated Dockerfile, releases to test. */
export const BUILD_SETTINGS: K2BuildSettings = {
  runner: 'local',
  available: true,
  repository: REPOSITORY,
  defaultRef: 'main',
  image: IMAGE,
  dockerfile: { source: 'generated', template: 'node' },
  releaseTo: 'test',
  releaseTargets: ['test'],
  problems: [],
};

/** The Dockerfile build #2 used: the lint warned about its `latest` base image. */
export const DOCKERFILE: K2BuildDockerfile = {
  source: 'generated',
  template: 'node',
  text: [
    'FROM registry.northwind.example/k2-base/node-build:latest AS build',
    'WORKDIR /app',
    'COPY . .',
    'RUN npm ci && npm run build',
    '',
  ].join('\n'),
  problems: [
    {
      rule: 'pinned-base-image',
      severity: 'warning',
      message: 'Pin the base image to a version instead of latest',
      line: 1,
      column: 6,
      endLine: 1,
      endColumn: 59,
    },
  ],
};

const base = {
  service: 'component:default/payment-gateway',
  runner: 'local' as const,
  dockerfileSource: 'generated' as const,
  logTruncated: false,
};

/** Builds #1 (failed), #2 (succeeded, released as #7 to test) and #3 (running). */
export function sampleBuilds(): K2Build[] {
  return [
    {
      ...base,
      id: 'b3',
      number: 3,
      ref: 'main',
      commit: 'c3d4e5f60718293a4b5c6d7e8f9012345678abcd',
      commitMessage: 'Retry refunds on a timeout',
      trigger: 'webhook',
      triggeredBy: 'push by alice',
      status: 'running',
      image: `${IMAGE}:c3d4e5f60718`,
      releaseTo: 'test',
      createdAt: minutesAgo(2),
      startedAt: minutesAgo(1),
      logBytes: 0,
    },
    {
      ...base,
      id: 'b2',
      number: 2,
      ref: 'main',
      commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      commitMessage: 'Add the refunds endpoint',
      trigger: 'ui',
      triggeredBy: 'user:default/alice',
      status: 'succeeded',
      image: `${IMAGE}:a1b2c3d4e5f6`,
      imageDigest: DIGEST,
      releaseTo: 'test',
      release: { id: 'r7', number: 7, environment: 'test' },
      createdAt: minutesAgo(62),
      startedAt: minutesAgo(61),
      finishedAt: minutesAgo(59),
      logBytes: 0,
    },
    {
      ...base,
      id: 'b1',
      number: 1,
      ref: 'feature/refunds',
      commit: '0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6',
      trigger: 'scaffolder',
      triggeredBy: 'user:default/alice',
      status: 'failed',
      reason: 'RUN npm ci && npm run build exited with 1 (line 4)',
      image: `${IMAGE}:0f1e2d3c4b5a`,
      createdAt: minutesAgo(120),
      startedAt: minutesAgo(119),
      finishedAt: minutesAgo(118),
      logBytes: 0,
    },
  ];
}

interface Reader {
  wake(): void;
  drop(error: Error): void;
}

/**
 * The Builds backend as the tab's tests play it: settings, builds newest first and
 * each build's log, which a test writes to (`append`), ends (`finish`) and whose open
 * connections it can drop (`dropConnections`). Followed logs stream as the backend's
 * do: what was written from the byte asked for, then each append, until the build ends.
 */
export class FakeBuildsBackend {
  settings: K2BuildSettings = structuredClone(BUILD_SETTINGS);
  builds: K2Build[] = sampleBuilds();
  readonly #logs = new Map<number, string>([
    [1, 'STEP 1/4: FROM node-build\nnpm ERR! missing script: build\n'],
    [2, 'STEP 1/4: FROM node-build\nSTEP 4/4: RUN npm ci\nPushed.\n'],
    [3, 'STEP 1/4: FROM registry.northwind.example/k2-base/node-build:18\n'],
  ]);
  readonly #readers = new Map<number, Set<Reader>>();

  get(number: number): K2Build | undefined {
    return this.builds.find(b => b.number === number);
  }

  log(number: number): string {
    return this.#logs.get(number) ?? '';
  }

  /** Writes `text` to a build's log; followers receive it. */
  append(number: number, text: string) {
    this.#logs.set(number, this.log(number) + text);
    this.#readers.get(number)?.forEach(r => r.wake());
  }

  /** Ends a build; its followed logs end. */
  finish(number: number, status: K2BuildStatus, extra: Partial<K2Build> = {}) {
    Object.assign(this.get(number)!, {
      status,
      finishedAt: new Date().toISOString(),
      ...extra,
    });
    this.#readers.get(number)?.forEach(r => r.wake());
  }

  /** Drops the open connections of a build's followed logs, as a network would. */
  dropConnections(number: number) {
    this.#readers
      .get(number)
      ?.forEach(r => r.drop(new TypeError('network error')));
  }

  /** How many connections follow a build's log now. */
  followers(number: number): number {
    return this.#readers.get(number)?.size ?? 0;
  }

  readonly api: K2BuildsApi = {
    getBuildSettings: async () => structuredClone(this.settings),
    getBuilds: async (_service, page = {}) => {
      const limit = page.limit ?? 20;
      const older = this.builds.filter(
        b => !page.before || b.number < page.before,
      );
      const items = older.slice(0, limit);
      return {
        items: structuredClone(items),
        total: this.builds.length,
        ...(older.length > limit
          ? { nextBefore: items[items.length - 1].number }
          : {}),
      };
    },
    getBuild: async (_service, number) => {
      const build = this.get(number);
      if (!build) return refuse(404, 'NotFoundError', `No build #${number}`);
      return structuredClone(build);
    },
    startBuild: async (_service, input = {}) => {
      const ref = input.ref ?? this.settings.defaultRef!;
      if (ref === 'gone') {
        refuse(
          400,
          'InputError',
          `Branch or tag 'gone' is not in ${REPOSITORY}`,
        );
      }
      const number = Math.max(0, ...this.builds.map(b => b.number)) + 1;
      const build: K2Build = {
        ...base,
        id: `b${number}`,
        number,
        ref,
        trigger: 'ui',
        triggeredBy: 'user:default/alice',
        status: 'queued',
        image: `${IMAGE}:${input.tag ?? 'pending'}`,
        ...(input.releaseTo ? { releaseTo: input.releaseTo } : {}),
        createdAt: new Date().toISOString(),
        logBytes: 0,
      };
      this.builds.unshift(build);
      return structuredClone(build);
    },
    cancelBuild: async (_service, number) => {
      const build = this.get(number);
      if (!build) return refuse(404, 'NotFoundError', `No build #${number}`);
      if (isBuildFinished(build.status)) {
        refuse(
          409,
          'ConflictError',
          `Build #${number} has ended (${build.status})`,
        );
      }
      this.finish(number, 'cancelled', { reason: 'Cancelled by alice' });
      return structuredClone(build);
    },
    getBuildDockerfile: async (_service, number) => {
      const build = this.get(number);
      if (!build || build.status === 'queued') {
        return refuse(
          404,
          'NotFoundError',
          `Build #${number} has no Dockerfile yet`,
        );
      }
      return structuredClone(DOCKERFILE);
    },
    readLog: async (_service, number, query, onText, signal) => {
      const encoder = new TextEncoder();
      let position = query.offset ?? 0;
      for (;;) {
        const bytes = encoder.encode(this.log(number));
        if (bytes.length > position) {
          onText(new TextDecoder().decode(bytes.slice(position)));
          position = bytes.length;
        }
        const build = this.get(number);
        if (!query.follow || !build || isBuildFinished(build.status)) return;
        await new Promise<void>((resolve, reject) => {
          const readers = this.#readers.get(number) ?? new Set<Reader>();
          this.#readers.set(number, readers);
          const reader: Reader = {
            wake: () => {
              readers.delete(reader);
              resolve();
            },
            drop: error => {
              readers.delete(reader);
              reject(error);
            },
          };
          readers.add(reader);
          signal.addEventListener('abort', () => reader.wake());
        });
        if (signal.aborted) return;
      }
    },
  };
}

/**
 * A `K2BuildsApi` whose every method is a `jest.fn` over `backend` (a fresh
 * {@link FakeBuildsBackend} by default), so tests assert on calls and override.
 */
export function createK2BuildsApi(backend = new FakeBuildsBackend()) {
  return createApiMock(
    k2BuildsApiRef,
    () =>
      Object.fromEntries(
        Object.entries(backend.api).map(([name, method]) => [
          name,
          jest.fn(method as (...args: unknown[]) => unknown),
        ]),
      ) as unknown as jest.Mocked<K2BuildsApi>,
  )();
}
