import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  InputError,
  isError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  K2_SECRET_MASK,
  K2EnvInput,
  K2EnvVar,
  K2ReleaseSpec,
  secretEnvName,
} from '@internal/plugin-k2-common';
import {
  K2ClusterAccess,
  KubeApiError,
  KubeObject,
} from '@internal/plugin-k2-node';
import { k2Labels, selectorLabels } from './renderManifests';

/** Annotation of K2's env Secrets: the version marker of each key, as JSON. */
export const ANNOTATION_ENV_VERSIONS = 'k2.io/env-versions';

/** A new secret value, on its way to the cluster. Never stored, logged or returned. */
export interface SecretWrite {
  name: string;
  value: string;
  version: string;
}

/** Where a service's env Secret lives: one per service and environment, per cluster. */
export interface SecretTarget {
  spec: Pick<K2ReleaseSpec, 'name' | 'namespace' | 'clusters'>;
  environment: string;
}

/** The Secret production releases stage new values in until they are approved. */
export const pendingSecretName = (kubernetesId: string) =>
  `${secretEnvName(kubernetesId)}-pending`;

const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');
const encode = (value: string) => Buffer.from(value, 'utf8').toString('base64');

/** A secret variable as a release spec keeps it: masked, with its version. */
export const secretVar = (name: string, version: string): K2EnvVar => ({
  name,
  secret: true,
  version,
  value: K2_SECRET_MASK,
});

function versionsOf(secret: KubeObject | undefined): Record<string, string> {
  try {
    const parsed = JSON.parse(
      secret?.metadata.annotations?.[ANNOTATION_ENV_VERSIONS] ?? '{}',
    );
    return typeof parsed === 'object' && parsed ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * The env Secret (or its pending twin) with these values, labelled as every object K2
 * makes for the service, with each value's version in an annotation.
 */
export function renderEnvSecret(
  target: SecretTarget,
  name: string,
  writes: SecretWrite[],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: target.spec.namespace,
      labels: k2Labels(target.spec, target.environment),
      annotations: {
        [ANNOTATION_ENV_VERSIONS]: JSON.stringify(
          Object.fromEntries(writes.map(w => [w.name, w.version])),
        ),
      },
    },
    type: 'Opaque',
    data: Object.fromEntries(writes.map(w => [w.name, encode(w.value)])),
  };
}

/**
 * Secret environment variables. A release request may mark a variable `secret: true`;
 * its value then goes only into the Kubernetes Secret `<kubernetes-id>-k2-env` of the
 * service in the environment (every cluster of it, by server-side apply under K2's field
 * manager), the container reads it through `secretKeyRef`, and the release spec keeps
 * `{ name, secret: true, version }`: a random marker drawn when the value is replaced,
 * never derived from it (a hash of a short password could be brute-forced).
 *
 * Values are written at request time by the engine, after the permission check: the
 * stored spec cannot carry them for the driver to apply later. Releases that wait for
 * approval stage new values in `<kubernetes-id>-k2-env-pending`, which no pod reads; the
 * approval copies them into the Secret before the release may be applied, a rejection
 * deletes them. So the values running pods (and pods restarted meanwhile) read change
 * only once a release may go ahead.
 *
 * A variable given without a value keeps the Secret's current value: re-releasing, a
 * rollback and an automatic rollback run on the values in the Secret now, whatever
 * version the re-applied spec shows. Keys are never removed, so a rollback to a release
 * that had a variable still finds it.
 *
 * Every error message is cleared of the values before it leaves this class: messages
 * reach the API response, the audit event and the activity log.
 */
export class ReleaseSecrets {
  readonly #access: K2ClusterAccess;

  constructor(options: { access: K2ClusterAccess }) {
    this.#access = options.access;
  }

  /**
   * The spec's variables from a request's, and the values to write. A secret kept
   * (no value, or the mask) must be in the Secret of every cluster already.
   *
   * @throws InputError naming the variable when a kept secret has no stored value
   */
  async resolve(
    env: K2EnvInput[] | undefined,
    target: SecretTarget,
  ): Promise<{ env: K2EnvVar[]; writes: SecretWrite[] }> {
    const writes: SecretWrite[] = [];
    const resolved: Array<K2EnvVar | { keep: string }> = (env ?? []).map(
      item => {
        if (!item.secret) return { name: item.name, value: item.value ?? '' };
        if (item.value === undefined || item.value === K2_SECRET_MASK) {
          return { keep: item.name };
        }
        const version = randomBytes(8).toString('hex');
        writes.push({ name: item.name, value: item.value, version });
        return secretVar(item.name, version);
      },
    );
    if (!resolved.some(e => 'keep' in e)) {
      return { env: resolved as K2EnvVar[], writes };
    }
    const stored = await Promise.all(
      target.spec.clusters.map(async c => ({
        cluster: c.name,
        secret: await this.#read(
          c.name,
          target.spec.namespace,
          secretEnvName(target.spec.name),
        ),
      })),
    );
    return {
      env: resolved.map((e, index) => {
        if (!('keep' in e)) return e;
        for (const { cluster, secret } of stored) {
          if (secret?.data?.[e.keep] === undefined) {
            throw new InputError(
              `'env[${index}]': ${e.keep} has no stored value in cluster '${cluster}'; give its value`,
            );
          }
        }
        const version = versionsOf(stored[0]?.secret)[e.keep] ?? 'unknown';
        return secretVar(e.keep, version);
      }),
      writes,
    };
  }

  /** Writes new values into the Secret the containers read, in every cluster. */
  async write(target: SecretTarget, writes: SecretWrite[]): Promise<void> {
    await this.#guard(writes, () =>
      Promise.all(
        target.spec.clusters.map(c =>
          this.#merge(c.name, target, secretEnvName(target.spec.name), writes),
        ),
      ),
    );
  }

  /** Stages new values of a release that waits for approval; no pod reads them. */
  async stage(target: SecretTarget, writes: SecretWrite[]): Promise<void> {
    await this.#guard(writes, () =>
      Promise.all(
        target.spec.clusters.map(async c => {
          await this.#namespace(c.name, target.spec.namespace);
          // The whole pending Secret is this release's: one release waits per target.
          await this.#access.apply(
            c.name,
            renderEnvSecret(
              target,
              pendingSecretName(target.spec.name),
              writes,
            ),
            { force: true },
          );
        }),
      ),
    );
  }

  /**
   * Copies the values a release staged (matched by version) into the Secret the
   * containers read, then deletes the staged ones.
   *
   * @throws ConflictError when a staged value is gone from a cluster
   */
  async promote(target: SecretTarget, env: K2EnvVar[]): Promise<void> {
    const secrets = env.filter(e => e.secret);
    if (!secrets.length) return;
    const pendingName = pendingSecretName(target.spec.name);
    const current = secretEnvName(target.spec.name);
    for (const c of target.spec.clusters) {
      const [pending, live] = await Promise.all([
        this.#read(c.name, target.spec.namespace, pendingName),
        this.#read(c.name, target.spec.namespace, current),
      ]);
      const staged = versionsOf(pending);
      const running = versionsOf(live);
      const writes: SecretWrite[] = [];
      for (const e of secrets) {
        if (!e.secret || running[e.name] === e.version) continue;
        const data = pending?.data?.[e.name];
        if (staged[e.name] === e.version && data !== undefined) {
          writes.push({
            name: e.name,
            value: decode(data),
            version: e.version,
          });
        } else if (!(e.name in running)) {
          throw new ConflictError(
            `The value of secret ${e.name} is not in cluster '${c.name}' (${pendingName}); reject this release and release again with the value`,
          );
        }
        // Otherwise a rollback: it runs on the Secret's current value.
      }
      if (writes.length) {
        await this.#guard(writes, () =>
          this.#merge(c.name, target, current, writes),
        );
      }
    }
    await this.discard(target);
  }

  /** Deletes staged values (a rejected release, or after promotion). */
  async discard(target: SecretTarget): Promise<void> {
    await Promise.all(
      target.spec.clusters.map(c =>
        this.#access.delete(c.name, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: pendingSecretName(target.spec.name),
            namespace: target.spec.namespace,
          },
        }),
      ),
    );
  }

  /**
   * Adds values to a Secret, keeping its other keys (server-side apply removes keys
   * K2 applied before and omits now), only if nobody changed it since it was read.
   */
  async #merge(
    cluster: string,
    target: SecretTarget,
    name: string,
    writes: SecretWrite[],
  ): Promise<void> {
    await this.#namespace(cluster, target.spec.namespace);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.#read(cluster, target.spec.namespace, name);
      const selector = selectorLabels(target.spec, target.environment);
      if (
        existing &&
        !Object.entries(selector).every(
          ([k, v]) => existing.metadata.labels?.[k] === v,
        )
      ) {
        throw new ConflictError(
          `Secret ${target.spec.namespace}/${name} in cluster '${cluster}' is not K2's for ${target.spec.name} in ${target.environment}; K2 does not write over it`,
        );
      }
      const versions = { ...versionsOf(existing) };
      const data: Record<string, string> = { ...(existing?.data ?? {}) };
      for (const w of writes) {
        versions[w.name] = w.version;
        data[w.name] = encode(w.value);
      }
      const secret = renderEnvSecret(target, name, []);
      secret.metadata.annotations = {
        [ANNOTATION_ENV_VERSIONS]: JSON.stringify(versions),
      };
      secret.data = data;
      if (existing) {
        secret.metadata.resourceVersion = existing.metadata.resourceVersion;
      }
      try {
        await this.#access.apply(cluster, secret, { force: true });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 2) throw error;
      }
    }
  }

  /** The service's namespace, as the release applies it: a first release's Secret comes first. */
  async #namespace(cluster: string, namespace: string) {
    await this.#access.apply(cluster, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  }

  async #read(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.#access.get<KubeObject>(
        cluster,
        `/api/v1/namespaces/${encodeURIComponent(
          namespace,
        )}/secrets/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /** Runs a write; an error leaves with every value (plain or base64) masked. */
  async #guard(writes: SecretWrite[], write: () => Promise<unknown>) {
    try {
      await write();
    } catch (error) {
      if (!isError(error)) throw error;
      let message = error.message;
      for (const w of writes) {
        for (const form of [w.value, encode(w.value)]) {
          if (form) message = message.split(form).join(K2_SECRET_MASK);
        }
      }
      // A new error without the cause: the cause's message is not masked.
      const Type = [ConflictError, InputError, NotAllowedError].find(
        t => error instanceof t,
      );
      message = `Could not store the secret values: ${message}`;
      throw Type ? new Type(message) : new ServiceUnavailableError(message);
    }
  }
}
