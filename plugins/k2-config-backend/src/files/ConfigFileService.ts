import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  k2ConfigReadPermission,
  k2ConfigSensitiveReadPermission,
  k2ConfigWritePermission,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  checkConfigFormat,
  configContentBytes,
  K2_CONFIG_CONTENT_MAX_BYTES,
  K2ConfigFormat,
  K2ConfigSignal,
  k2ConfigSignalChannel,
} from '@internal/plugin-k2-config-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ResolvedService,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import {
  ConfigFileSummary,
  ConfigStore,
  StoredConfigFile,
  StoredConfigVersion,
} from '../database/ConfigStore';
import { ConfigObjects } from '../objects/ConfigObjects';
import { contentHash, fileSlug, objectName } from '../objects/manifests';
import {
  ConfigMountIndex,
  MountingRelease,
  ReleaseMounts,
} from '../mounts/ReleaseMounts';

/** A version as the API shows it (never its content). */
function versionView(
  file: StoredConfigFile,
  version: StoredConfigVersion,
  releases?: MountingRelease[],
) {
  return {
    file: file.name,
    number: version.number,
    hash: version.hash,
    object: version.object,
    sensitive: version.sensitive,
    size: version.size,
    author: version.author,
    message: version.message,
    createdAt: version.createdAt,
    ...(version.restoredFrom !== undefined
      ? { restoredFrom: version.restoredFrom }
      : {}),
    collected: version.collectedAt !== undefined,
    ...(version.collectedAt !== undefined
      ? { collectedAt: version.collectedAt }
      : {}),
    ...(releases ? { releases } : {}),
  };
}

function fileView(summary: ConfigFileSummary, mounts?: ConfigMountIndex) {
  const { file } = summary;
  return {
    name: file.name,
    format: file.format,
    sensitive: file.sensitive,
    ...(file.description !== undefined
      ? { description: file.description }
      : {}),
    mountPath: file.mountPath,
    versionCount: summary.versionCount,
    latest: versionView(
      file,
      summary.latest,
      mounts?.byObject(summary.latest.object),
    ),
    createdBy: file.createdBy,
    createdAt: file.createdAt,
  };
}

/** How a release reads in a refusal: "release #7 in test". */
function releaseText(release: MountingRelease, environment: string) {
  return `release #${release.number} in ${environment}${
    release.current ? '' : ' (kept for rollback)'
  }`;
}

/**
 * Refuses a content that is too large or that its format rejects: a 400 naming the
 * limit, or the line (and column) of the first error as `line`/`column` on the error.
 */
function checkContent(format: K2ConfigFormat, content: string) {
  const bytes = configContentBytes(content);
  if (bytes > K2_CONFIG_CONTENT_MAX_BYTES) {
    throw new InputError(
      `The content is ${Math.ceil(
        bytes / 1024,
      )} KiB; a config file holds at most ${
        K2_CONFIG_CONTENT_MAX_BYTES / 1024
      } KiB (a ConfigMap holds 1 MiB in all)`,
    );
  }
  const error = checkConfigFormat(format, content);
  if (error) {
    throw Object.assign(
      new InputError(
        `Not valid ${format}: line ${error.line}${
          error.column !== undefined ? `, column ${error.column}` : ''
        }: ${error.message}`,
      ),
      { line: error.line, column: error.column },
    );
  }
}

/** What a save writes: the version's content and where it came from. */
interface Save {
  content: string;
  message: string;
  /** The version the new one must follow. */
  after: StoredConfigVersion;
  restoredFrom?: number;
  /** Who saves, as the activity log names them. */
  author: string;
}

/**
 * Config files of a service per environment: reading them, their versions and
 * contents; creating, saving, restoring and deleting.
 *
 * Invariants: every mutation goes through the action gate (k2.config.write, audit
 * event, activity entry); a version's object is written to every cluster of the
 * environment before the version is recorded, so a failure records nothing and a retry
 * writes the same object; a version follows exactly the version its editor started
 * from; a sensitive file's content is never stored, logged or audited, and is read back
 * from the clusters only for those with k2.config.sensitive.read; a file or version a
 * current or retained release mounts is never deleted. Every change is announced on
 * the service's Signals channel (`k2-config:<entity ref>`).
 */
export class ConfigFileService {
  readonly #store: ConfigStore;
  readonly #objects: ConfigObjects;
  readonly #mounts: ReleaseMounts;
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #signals: Pick<SignalsService, 'publish'>;
  readonly #logger: LoggerService;

  constructor(options: {
    store: ConfigStore;
    objects: ConfigObjects;
    mounts: ReleaseMounts;
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    signals: Pick<SignalsService, 'publish'>;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#objects = options.objects;
    this.#mounts = options.mounts;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#signals = options.signals;
    this.#logger = options.logger;
  }

  async list(ref: CompoundEntityRef, environment: string, caller: Caller) {
    const { service, resolved } = await this.#readable(
      ref,
      environment,
      caller,
    );
    const files = await this.#store.listFiles(service, environment);
    const mounts = files.length
      ? await this.#mountsIfKnown(resolved, environment)
      : undefined;
    return { items: files.map(f => fileView(f, mounts)) };
  }

  async get(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    caller: Caller,
  ) {
    const { service } = await this.#readable(ref, environment, caller);
    // Without the releases mounting it: the Deploy backend reads this route while it
    // resolves a release, and should not wait for its own mounts endpoint.
    return fileView(await this.#summary(service, environment, name));
  }

  async versions(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    query: { limit: number; before?: number },
    caller: Caller,
  ) {
    const { service, resolved } = await this.#readable(
      ref,
      environment,
      caller,
    );
    const file = await this.#file(service, environment, name);
    const page = await this.#store.listVersions(file.id, query);
    const mounts = await this.#mountsIfKnown(resolved, environment);
    return {
      items: page.items.map(v =>
        versionView(file, v, mounts?.byObject(v.object)),
      ),
      total: page.total,
    };
  }

  async version(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    number: number,
    caller: Caller,
  ) {
    const { service } = await this.#readable(ref, environment, caller);
    const file = await this.#file(service, environment, name);
    return versionView(file, await this.#version(file, number));
  }

  /** A version's content; a sensitive one only for those who may read it. */
  async content(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    number: number,
    caller: Caller,
  ) {
    const readable = await this.#readable(ref, environment, caller);
    const file = await this.#file(readable.service, environment, name);
    if (file.sensitive) await this.#mayReadSensitive(readable.resolved, caller);
    return this.#content(readable, file, await this.#version(file, number));
  }

  async compare(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    from: number,
    to: number,
    caller: Caller,
  ) {
    const readable = await this.#readable(ref, environment, caller);
    const file = await this.#file(readable.service, environment, name);
    if (file.sensitive) await this.#mayReadSensitive(readable.resolved, caller);
    const [a, b] = await Promise.all([
      this.#version(file, from),
      this.#version(file, to),
    ]);
    return {
      from: await this.#content(readable, file, a),
      to: await this.#content(readable, file, b),
    };
  }

  /** Creates a file with version 1 (or brings a deleted one back, numbering on). */
  async create(
    ref: CompoundEntityRef,
    environment: string,
    input: {
      name: string;
      format: K2ConfigFormat;
      sensitive?: boolean;
      description?: string;
      mountPath: string;
      content: string;
      message?: string;
    },
    caller: Caller,
  ) {
    return this.#gate.audited(
      caller,
      'config-file-create',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Create config file ${input.name} in ${environment}`,
      },
      {
        permission: k2ConfigWritePermission,
        verb: 'change the config files of',
      },
      async () => {
        const { resolved, target, service } = await this.#writable(
          ref,
          environment,
        );
        checkContent(input.format, input.content);
        const existing = await this.#store.listFiles(service, environment);
        if (existing.some(f => f.file.name === input.name)) {
          throw new ConflictError(
            `${resolved.entity.metadata.name} already has a config file ${input.name} in ${environment}`,
          );
        }
        const twin = existing.find(
          f => fileSlug(f.file.name) === fileSlug(input.name),
        );
        if (twin) {
          throw new ConflictError(
            `${input.name} and ${twin.file.name} would name the same objects; choose another name`,
          );
        }
        const sensitive = input.sensitive ?? false;
        const version = await this.#write(resolved, target, {
          name: input.name,
          sensitive,
          content: input.content,
        });
        const created = await this.#store.createFile(
          {
            service,
            environment,
            name: input.name,
            format: input.format,
            sensitive,
            description: input.description,
            mountPath: input.mountPath,
            createdBy: actorOf(caller.credentials),
          },
          {
            ...version,
            author: actorOf(caller.credentials),
            message: input.message ?? `Create ${input.name}`,
          },
        );
        if (!created) {
          throw new ConflictError(
            `${input.name} was just created by someone else in ${environment}`,
          );
        }
        this.#announce(resolved, {
          environment,
          file: input.name,
          change: 'created',
          version: created.latest.number,
        });
        return {
          ...fileView(created),
          summary: `Create config file ${input.name} (version ${created.latest.number}, ${created.latest.hash}) in ${environment}`,
        };
      },
    );
  }

  /** Saves a new version after `baseVersion`, which must still be the latest. */
  async save(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    input: { content: string; message?: string; baseVersion: number },
    caller: Caller,
  ) {
    return this.#gate.audited(
      caller,
      'config-file-save',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Save config file ${name} in ${environment}`,
      },
      {
        permission: k2ConfigWritePermission,
        verb: 'change the config files of',
      },
      async () => {
        const { resolved, target, service } = await this.#writable(
          ref,
          environment,
        );
        const file = await this.#file(service, environment, name);
        checkContent(file.format, input.content);
        const latest = (await this.#store.latestVersion(file.id))!;
        if (latest.number !== input.baseVersion) {
          throw new ConflictError(
            `${name} is at version ${latest.number} (by ${latest.author}), not ${input.baseVersion}: reload it and apply your change again`,
          );
        }
        return this.#save(resolved, target, file, {
          content: input.content,
          message: input.message ?? '',
          after: latest,
          author: actorOf(caller.credentials),
        });
      },
    );
  }

  /** Saves an older version's content again as the next version. */
  async restore(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    number: number,
    input: { message?: string },
    caller: Caller,
  ) {
    return this.#gate.audited(
      caller,
      'config-file-restore',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Restore config file ${name} to version ${number} in ${environment}`,
      },
      {
        permission: k2ConfigWritePermission,
        verb: 'change the config files of',
      },
      async () => {
        const { resolved, target, service } = await this.#writable(
          ref,
          environment,
        );
        const file = await this.#file(service, environment, name);
        const old = await this.#version(file, number);
        const { content } = await this.#content(
          { resolved, target },
          file,
          old,
        );
        return this.#save(resolved, target, file, {
          content,
          message: input.message ?? `Restore version ${number}`,
          after: (await this.#store.latestVersion(file.id))!,
          restoredFrom: number,
          author: actorOf(caller.credentials),
        });
      },
    );
  }

  /**
   * Deletes a file no current or retained release mounts: its objects leave every
   * cluster, the file is marked deleted and its versions stay as history.
   */
  async remove(
    ref: CompoundEntityRef,
    environment: string,
    name: string,
    caller: Caller,
  ) {
    await this.#gate.audited(
      caller,
      'config-file-delete',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Delete config file ${name} in ${environment}`,
      },
      {
        permission: k2ConfigWritePermission,
        verb: 'change the config files of',
      },
      async () => {
        const { resolved, target, service } = await this.#writable(
          ref,
          environment,
        );
        const file = await this.#file(service, environment, name);
        const mounts = await this.#mounts.forService(resolved.ref, environment);
        const [release] = mounts.byFile(name);
        if (release) {
          throw new ConflictError(
            `${name} is mounted by ${releaseText(
              release,
              environment,
            )}; release without it first`,
          );
        }
        const versions = await this.#store.allVersions(file.id);
        // Each object once, as the kind its version was written as.
        const objects = new Map(
          versions
            .filter(v => !v.collectedAt)
            .map(v => [v.object, v.sensitive]),
        );
        const clusters = target.clusters.map(c => c.name);
        for (const [object, sensitive] of objects) {
          await this.#objects.remove(clusters, {
            namespace: target.namespace,
            sensitive,
            name: object,
          });
        }
        await this.#store.markDeleted(file.id, actorOf(caller.credentials));
        this.#announce(resolved, {
          environment,
          file: name,
          change: 'deleted',
        });
        return {};
      },
    );
  }

  async #save(
    resolved: K2ResolvedService,
    target: K2ServiceTarget,
    file: StoredConfigFile,
    save: Save,
  ) {
    const hash = contentHash(save.content);
    if (hash === save.after.hash) {
      throw new ConflictError(
        `No changes: the content is version ${save.after.number}'s`,
      );
    }
    const version = await this.#write(resolved, target, {
      name: file.name,
      sensitive: file.sensitive,
      content: save.content,
    });
    const number = save.after.number + 1;
    const saved = await this.#store.addVersion(file.id, {
      ...version,
      number,
      author: save.author,
      message: save.message,
      restoredFrom: save.restoredFrom,
    });
    if (!saved) {
      throw new ConflictError(
        `Someone saved version ${number} of ${file.name} first: reload it and apply your change again`,
      );
    }
    this.#announce(resolved, {
      environment: target.environment.name,
      file: file.name,
      change: save.restoredFrom === undefined ? 'saved' : 'restored',
      version: number,
    });
    return {
      ...versionView(file, saved),
      summary: `Save config file ${file.name} version ${number} (${hash}) in ${target.environment.name}`,
    };
  }

  /**
   * Writes the object of a content to every cluster of the target and returns the
   * version's facts (the content is kept only for a file that is not sensitive).
   */
  async #write(
    resolved: K2ResolvedService,
    target: K2ServiceTarget,
    file: { name: string; sensitive: boolean; content: string },
  ) {
    const hash = contentHash(file.content);
    const { kubernetesId } = resolved.spec;
    await this.#objects.write(
      target.clusters.map(c => c.name),
      {
        kubernetesId,
        environment: target.environment.name,
        namespace: target.namespace,
        file: file.name,
        hash,
        sensitive: file.sensitive,
        content: file.content,
      },
    );
    return {
      hash,
      object: objectName(kubernetesId, file.name, hash),
      sensitive: file.sensitive,
      size: configContentBytes(file.content),
      content: file.content,
    };
  }

  async #content(
    readable: { resolved: K2ResolvedService; target: K2ServiceTarget },
    file: StoredConfigFile,
    version: StoredConfigVersion,
  ) {
    let content = version.content;
    if (version.sensitive) {
      content = await this.#objects.read(
        readable.target.clusters.map(c => c.name),
        {
          namespace: readable.target.namespace,
          sensitive: true,
          name: version.object,
        },
        file.name,
      );
    }
    if (content === undefined) {
      throw new NotFoundError(
        `Version ${version.number} of ${file.name} has no content left: it was sensitive and its Secret was removed`,
      );
    }
    return {
      version: versionView(file, version),
      format: file.format,
      content,
    };
  }

  async #readable(ref: CompoundEntityRef, environment: string, caller: Caller) {
    const resolved = await this.#resolver.service(ref);
    await this.#gate.authorize(resolved.ref, caller, {
      permission: k2ConfigReadPermission,
      verb: 'read the config files of',
    });
    return {
      resolved,
      service: resolved.ref.toLocaleLowerCase('en-US'),
      target: this.#resolver.target(resolved, environment),
    };
  }

  async #writable(ref: CompoundEntityRef, environment: string) {
    const resolved = await this.#resolver.service(ref);
    // Objects are named by the workload identity: it must be this service's.
    const target = this.#resolver.actionTarget(resolved, environment);
    return {
      resolved,
      target,
      service: resolved.ref.toLocaleLowerCase('en-US'),
    };
  }

  /**
   * Tells open Config tabs of the service that a file changed (broadcast, no content:
   * they refetch through the API). A failure to announce never fails the change.
   */
  #announce(resolved: K2ResolvedService, signal: K2ConfigSignal) {
    const channel = k2ConfigSignalChannel(stringifyEntityRef(resolved.entity));
    this.#signals
      .publish({ recipients: { type: 'broadcast' }, channel, message: signal })
      .catch(error =>
        this.#logger.warn(`Could not announce on ${channel}: ${error}`),
      );
  }

  /**
   * Which releases mount what, for views: undefined when the Deploy backend cannot
   * say (the views then show no releases rather than fail).
   */
  async #mountsIfKnown(
    resolved: K2ResolvedService,
    environment: string,
  ): Promise<ConfigMountIndex | undefined> {
    try {
      return await this.#mounts.forService(resolved.ref, environment);
    } catch {
      return undefined;
    }
  }

  async #mayReadSensitive(resolved: K2ResolvedService, caller: Caller) {
    try {
      await this.#gate.authorize(resolved.ref, caller, {
        permission: k2ConfigSensitiveReadPermission,
        verb: 'read sensitive config files of',
      });
    } catch (error) {
      if (error instanceof NotAllowedError) {
        throw new NotAllowedError(
          `This config file is sensitive: only the owners of ${resolved.entity.metadata.name} may read it`,
        );
      }
      throw error;
    }
  }

  async #summary(
    service: string,
    environment: string,
    name: string,
  ): Promise<ConfigFileSummary> {
    const file = await this.#file(service, environment, name);
    const { items, total } = await this.#store.listVersions(file.id, {
      limit: 1,
    });
    return { file, latest: items[0], versionCount: total };
  }

  async #file(service: string, environment: string, name: string) {
    const file = await this.#store.getFile(service, environment, name);
    if (!file) {
      throw new NotFoundError(`No config file ${name} in ${environment}`);
    }
    return file;
  }

  async #version(file: StoredConfigFile, number: number) {
    const version = await this.#store.getVersion(file.id, number);
    if (!version) {
      throw new NotFoundError(`${file.name} has no version ${number}`);
    }
    return version;
  }
}
