import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { TrafficCertificate } from '../config/readTrafficConfig';
import type { RenderedFile } from '../database/TrafficStore';
import { ENTRY_FILE } from '../rendering/renderSite';
import { flattenBundle, LineOrigin } from './flattenBundle';

/** Longest part of Nginx's output a refusal quotes. */
const MAX_OUTPUT = 8192;
/** Files of a candidate written at once. */
const WRITE_BATCH = 64;

/** The http block around the bundle, as a host's nginx.conf would include it. */
const NGINX_CONF = `# K2's candidate check: the bundle in an otherwise empty http block.
pid nginx.pid;
events {}
http {
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    variables_hash_max_size 65536;
    variables_hash_bucket_size 128;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    include ${ENTRY_FILE};
}
`;

/**
 * The environment `nginx -t` runs in: the backend's, with glibc's malloc asked to back
 * its heap with transparent huge pages (`glibc.malloc.hugetlb=1`). Parsing a cluster of
 * 5,000 sites builds over 200 MiB of configuration that Nginx walks again and again
 * (it finds each upstream by a linear search over all of them); on 4 KiB pages much of
 * that walk waits on TLB misses. What Nginx checks is the same either way; where the
 * kernel's THP is off or glibc predates 2.35 the tunable is ignored and only slower.
 */
export function nginxCheckEnv(
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES;
  return {
    ...env,
    GLIBC_TUNABLES: tunables
      ? `${tunables}:glibc.malloc.hugetlb=1`
      : 'glibc.malloc.hugetlb=1',
  };
}

/** The exit code of a finished process: 0, its code, or -1 when it did not exit. */
function exitCode(error: NodeJS.ErrnoException | null): number {
  if (!error) return 0;
  return typeof error.code === 'number' ? error.code : -1;
}

function run(
  binary: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string; error?: NodeJS.ErrnoException }> {
  return new Promise(resolve => {
    execFile(
      binary,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        encoding: 'utf8',
        env,
      },
      (error, stdout, stderr) => {
        const err = error as
          | (NodeJS.ErrnoException & { killed?: boolean })
          | null;
        resolve({
          code: exitCode(err),
          output: `${stdout}${stderr}`,
          error: err ?? undefined,
        });
      },
    );
  });
}

function replace(text: string, replacements: string[][]): string {
  return replacements.reduce(
    (result, [from, to]) => result.split(from).join(to),
    text,
  );
}

/** The bundle's files under `dir`, as a host's agent writes them. */
async function writeFiles(
  dir: string,
  files: RenderedFile[],
  replacements: string[][],
): Promise<void> {
  // Directories made once each, files written a batch at a time.
  const targets = files.map(file => path.join(dir, file.path));
  for (const directory of new Set(targets.map(t => path.dirname(t)))) {
    await fs.mkdir(directory, { recursive: true });
  }
  for (let i = 0; i < files.length; i += WRITE_BATCH) {
    await Promise.all(
      files
        .slice(i, i + WRITE_BATCH)
        .map((file, n) =>
          fs.writeFile(targets[i + n], replace(file.content, replacements)),
        ),
    );
  }
}

/** Nginx's `<flat config>:<line>` references as the bundle file and line they came from. */
function toBundleLines(
  output: string,
  flatPath: string,
  origin: (line: number) => LineOrigin | undefined,
): string {
  const [first, ...rest] = output.split(`${flatPath}:`);
  return [
    first,
    ...rest.map(part => {
      const line = /^\d+/.exec(part)?.[0];
      const from = line ? origin(Number(line)) : undefined;
      return from
        ? `${from.file}:${from.line}${part.slice(line!.length)}`
        : `${flatPath}:${part}`;
    }),
  ].join('');
}

/**
 * Runs the real `nginx -t` on a candidate cluster config: the bundle's files in a
 * fresh temporary prefix, under an nginx.conf whose http block includes `k2/k2.conf`
 * as a host's does. Nothing outside the temporary directory is read or written except
 * Nginx's own modules and mime types.
 *
 * Certificates are referenced by host paths that do not exist here, so in the
 * candidate copy (only there) each declared certificate's paths point at one
 * self-signed pair made for the check; Nginx's output names the host paths again.
 * Temporary paths are cut from what Nginx says, which then names bundle files as
 * `k2/...`.
 *
 * A cluster is thousands of files; when every included file is whole (see
 * `flattenBundle`) the candidate is written as one file with each `include` of a
 * bundle file replaced by the file, which Nginx parses as it parses the includes, and
 * the lines Nginx names are mapped back to `k2/<file>:<line>`. Otherwise each file is
 * written as the agent writes it. The http block sizes the server-name hash for a
 * cluster's 10,000+ names, as docs/traffic.md asks of a host's nginx.conf.
 */
export class NginxValidator {
  readonly #binary: string;
  readonly #timeoutMs: number;
  #validationPair?: Promise<{ certificate: string; key: string }>;

  constructor(options: { binary: string; timeoutMs: number }) {
    this.#binary = options.binary;
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * @throws InputError quoting Nginx when it rejects the config
   * @throws ServiceUnavailableError when Nginx cannot be run or takes too long
   */
  async check(
    files: RenderedFile[],
    certificates: TrafficCertificate[],
  ): Promise<void> {
    const pair = certificates.length
      ? await this.#pair()
      : { certificate: '', key: '' };
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-nginx-check-'));
    try {
      const replacements = certificates.flatMap(c => [
        [c.certificate, pair.certificate],
        [c.key, pair.key],
      ]);
      await fs.mkdir(path.join(dir, 'temp'));
      for (const file of files) {
        if (!path.join(dir, file.path).startsWith(`${dir}${path.sep}`)) {
          throw new Error(`Bundle path ${file.path} leaves its directory`);
        }
      }
      const flat = flattenBundle(
        { path: 'nginx.conf', content: NGINX_CONF },
        files,
      );
      if (flat) {
        await fs.writeFile(
          path.join(dir, 'nginx.conf'),
          replace(flat.text, replacements),
        );
      } else {
        await fs.writeFile(path.join(dir, 'nginx.conf'), NGINX_CONF);
        await writeFiles(dir, files, replacements);
      }
      const result = await run(
        this.#binary,
        [
          '-t',
          '-q',
          '-e',
          'stderr',
          '-p',
          `${dir}/`,
          '-c',
          `${dir}/nginx.conf`,
        ],
        this.#timeoutMs,
        nginxCheckEnv(),
      );
      if (result.error?.code === 'ENOENT') {
        throw new ServiceUnavailableError(
          `Cannot check the config: ${
            this.#binary
          } is not installed on the K2 backend (Debian package nginx)`,
        );
      }
      if ((result.error as { killed?: boolean } | undefined)?.killed) {
        throw new ServiceUnavailableError(
          `nginx -t took longer than ${Math.round(
            this.#timeoutMs / 1000,
          )} s; nothing was published`,
        );
      }
      if (result.code !== 0) {
        let output = result.output;
        if (flat)
          output = toBundleLines(output, `${dir}/nginx.conf`, flat.origin);
        output = output.split(`${dir}/`).join('');
        for (const [from, to] of replacements) {
          output = output.split(to).join(from);
        }
        // Error-log lines carry a time and process id; the closing line names the
        // check's own nginx.conf. Neither helps the user.
        output = output
          .split('\n')
          .map(line =>
            line.replace(
              /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /,
              '$1 ',
            ),
          )
          .filter(line => !/configuration file .* test failed$/.test(line))
          .join('\n')
          .trim();
        throw new InputError(
          `nginx -t rejected the cluster config: ${
            output.length > MAX_OUTPUT
              ? `${output.slice(0, MAX_OUTPUT)}…`
              : output
          }`,
        );
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** A self-signed certificate and key, made once per process with openssl. */
  #pair() {
    this.#validationPair ??= (async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-nginx-cert-'));
      const pair = {
        certificate: path.join(dir, 'validation.crt'),
        key: path.join(dir, 'validation.key'),
      };
      const result = await run(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '3650',
          '-subj',
          '/CN=k2-nginx-validation',
          '-keyout',
          pair.key,
          '-out',
          pair.certificate,
        ],
        this.#timeoutMs,
      );
      if (result.code !== 0) {
        this.#validationPair = undefined;
        throw new ServiceUnavailableError(
          `Cannot check a config with certificates: openssl could not make a validation certificate (${result.output.trim()})`,
        );
      }
      return pair;
    })();
    return this.#validationPair;
  }
}
