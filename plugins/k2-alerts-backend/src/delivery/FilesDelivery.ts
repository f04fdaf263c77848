import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  PrometheusClient,
  PrometheusRefusedError,
} from '../prometheus/PrometheusClient';
import { GroupContent, RuleDelivery } from './types';

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `content` to `file` through a temporary file and a rename, or removes it. */
async function put(file: string, content: string | undefined) {
  if (content === undefined) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

/**
 * The `files` delivery: one rule file per service (`<directory>/<group>.yml`) and one
 * file_sd file of its probe targets (`<probeDirectory>/<group>.json`),
 * each written atomically (a temporary file renamed over it), then Prometheus's
 * `/-/reload`. Invariant: a rule file Prometheus refuses to load does not stay: the
 * previous one is put back and Prometheus reloaded again, so one service's bad group
 * never stops the others' from loading on the next reload.
 */
export class FilesDelivery implements RuleDelivery {
  readonly #directory: string;
  readonly #probeDirectory: string;
  readonly #prometheus: PrometheusClient;

  constructor(options: {
    directory: string;
    probeDirectory: string;
    prometheus: PrometheusClient;
  }) {
    this.#directory = options.directory;
    this.#probeDirectory = options.probeDirectory;
    this.#prometheus = options.prometheus;
  }

  /** The rule file of a group. */
  ruleFile(group: string) {
    return join(this.#directory, `${group}.yml`);
  }

  /** The probe targets file of a group. */
  probeFile(group: string) {
    return join(this.#probeDirectory, `${group}.json`);
  }

  async deliver(content: GroupContent): Promise<void> {
    const ruleFile = this.ruleFile(content.name);
    const probeFile = this.probeFile(content.name);
    const previous = await readIfThere(ruleFile);
    await put(ruleFile, content.yaml);
    await put(
      probeFile,
      content.probes.length
        ? `${JSON.stringify(
            content.probes.map(probe => ({
              targets: [probe.url],
              labels: { k2_rule: probe.rule },
            })),
            null,
            2,
          )}\n`
        : undefined,
    );
    try {
      await this.#prometheus.reload();
    } catch (error) {
      if (error instanceof PrometheusRefusedError) {
        // Prometheus answered and refused the files: put the previous one back.
        await put(ruleFile, previous);
        await this.#prometheus.reload().catch(() => undefined);
      }
      throw error;
    }
  }
}
