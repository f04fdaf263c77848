import {
  lintDockerfile,
  looksLikeSecretName,
  MAX_DOCKERFILE_LENGTH,
  MAX_DOCKERFILE_PROBLEMS,
} from './lintDockerfile';
import { DockerfileLintOptions, DockerfileLintRule } from './types';

function lint(lines: string[], options?: DockerfileLintOptions) {
  return lintDockerfile(lines.join('\n'), options);
}

/** The problems of one rule, as severity@line:column. */
function found(
  lines: string[],
  rule: DockerfileLintRule,
  options?: DockerfileLintOptions,
) {
  return lint(lines, options)
    .filter(p => p.rule === rule)
    .map(p => `${p.severity}@${p.line}:${p.column}`);
}

function messages(lines: string[], rule: DockerfileLintRule) {
  return lint(lines)
    .filter(p => p.rule === rule)
    .map(p => p.message);
}

const TAIL = ['USER 1000', 'CMD ["node", "."]'];

describe('lintDockerfile', () => {
  it('finds nothing in a small correct Dockerfile', () => {
    expect(
      lint(['FROM node:22.12.0-bookworm-slim', 'EXPOSE 8080', ...TAIL], {
        port: 8080,
      }),
    ).toEqual([]);
  });

  describe('parse', () => {
    it('names an instruction that does not exist, at its line', () => {
      const file = ['FROM node:22', 'FORM node:22', ...TAIL];
      expect(found(file, 'parse')).toEqual(['error@2:1']);
      expect(messages(file, 'parse')).toEqual([
        'FORM is not a Dockerfile instruction.',
      ]);
    });

    it('names an instruction with nothing after it', () => {
      expect(found(['FROM node:22', 'RUN', ...TAIL], 'parse')).toEqual([
        'error@2:1',
      ]);
    });

    it('names an instruction before the first FROM other than ARG', () => {
      expect(
        found(['ARG V=22', 'RUN echo', 'FROM node:$V', ...TAIL], 'parse'),
      ).toEqual(['error@2:1']);
      expect(found(['ARG V=22', 'FROM node:$V', ...TAIL], 'parse')).toEqual([]);
    });

    it('names a FROM that is not an image reference, or has a broken AS', () => {
      expect(found(['FROM Node:22', ...TAIL], 'parse')).toEqual(['error@1:6']);
      expect(found(['FROM node:22 AS', ...TAIL], 'parse')).toEqual([
        'error@1:6',
      ]);
      expect(found(['FROM node:22 AS base', ...TAIL], 'parse')).toEqual([]);
    });

    it('names an EXPOSE that is not a port', () => {
      expect(
        found(['FROM node:22', 'EXPOSE 8080 http 70000', ...TAIL], 'parse'),
      ).toEqual(['error@2:13', 'error@2:18']);
      expect(
        found(
          ['FROM node:22', 'EXPOSE 8080/tcp 9000-9010/udp', ...TAIL],
          'parse',
        ),
      ).toEqual([]);
    });

    it('answers binary bytes with one problem where they start', () => {
      const problems = lintDockerfile('FROM node:22\nRUN a\u0000\u0001\u0002');
      expect(problems).toEqual([
        expect.objectContaining({
          rule: 'parse',
          severity: 'error',
          line: 2,
          column: 6,
          message:
            'This is not a text file: it holds the control character U+0000.',
        }),
      ]);
      expect(lintDockerfile('FROM node:22\n\ufffd\ufffd')[0]).toMatchObject({
        line: 2,
        column: 1,
        message:
          'This is not a text file: it holds bytes that are not UTF-8 text.',
      });
    });

    it('answers what is not a string with a problem', () => {
      expect(
        lintDockerfile(undefined as unknown as string).map(p => p.rule),
      ).toEqual(['parse']);
    });
  });

  describe('no-from', () => {
    it('is an error on an empty file or one without FROM', () => {
      expect(found([''], 'no-from')).toEqual(['error@1:1']);
      expect(found(['# a comment', 'ARG X=1'], 'no-from')).toEqual([
        'error@1:1',
      ]);
      expect(found(['FROM scratch', ...TAIL], 'no-from')).toEqual([]);
    });
  });

  describe('base-image-tag', () => {
    it('warns about an untagged image and about latest, at the image', () => {
      expect(found(['FROM node', ...TAIL], 'base-image-tag')).toEqual([
        'warning@1:6',
      ]);
      expect(
        found(
          ['# base', 'FROM node:latest AS build', ...TAIL],
          'base-image-tag',
        ),
      ).toEqual(['warning@2:6']);
    });

    it('checks an image named by a build argument through its default', () => {
      const file = ['ARG BASE=node', 'FROM ${BASE}', ...TAIL];
      expect(found(file, 'base-image-tag')).toEqual(['warning@2:6']);
      expect(messages(file, 'base-image-tag')[0]).toContain(
        "'${BASE}' ('node') names no tag",
      );
      expect(
        found(['ARG BASE', 'FROM ${BASE}', ...TAIL], 'base-image-tag'),
      ).toEqual([]);
    });

    it('accepts a tag, a digest, scratch and an earlier stage', () => {
      expect(
        found(
          [
            'FROM node:22.12.0 AS build',
            `FROM registry.example.com:5000/node@sha256:${'c'.repeat(
              64,
            )} AS pinned`,
            'FROM scratch AS empty',
            'FROM build',
            ...TAIL,
          ],
          'base-image-tag',
        ),
      ).toEqual([]);
    });
  });

  describe('root-user', () => {
    it('is an error when the last USER is root, at that USER', () => {
      expect(
        found(
          ['FROM node:22', 'USER 1000', 'RUN x', 'USER root', 'CMD ["x"]'],
          'root-user',
        ),
      ).toEqual(['error@4:1']);
      expect(
        found(['FROM node:22', 'USER 0:0', 'CMD ["x"]'], 'root-user'),
      ).toEqual(['error@2:1']);
    });

    it('warns at the final FROM when the final stage sets no USER, whatever earlier stages do', () => {
      expect(
        found(
          [
            'FROM node:22 AS build',
            'USER 1000',
            'FROM node:22-slim',
            'CMD ["x"]',
          ],
          'root-user',
        ),
      ).toEqual(['warning@3:1']);
    });

    it('accepts a last USER that is not root, also from the stage the final one builds on', () => {
      expect(
        found(
          ['FROM node:22', 'USER root', 'RUN x', 'USER 1000:1000', 'CMD ["x"]'],
          'root-user',
        ),
      ).toEqual([]);
      expect(
        found(
          ['FROM node:22 AS base', 'USER node', 'FROM base', 'CMD ["x"]'],
          'root-user',
        ),
      ).toEqual([]);
    });
  });

  describe('add', () => {
    it('warns about ADD of a URL without a checksum, at the URL', () => {
      expect(
        found(
          ['FROM node:22', 'ADD https://example.com/a.tgz /opt/', ...TAIL],
          'add',
        ),
      ).toEqual(['warning@2:5']);
      expect(
        found(
          [
            'FROM node:22',
            `ADD --checksum=sha256:${'d'.repeat(
              64,
            )} https://example.com/a.tgz /opt/`,
            ...TAIL,
          ],
          'add',
        ),
      ).toEqual([]);
    });

    it('never shows the credentials of a URL', () => {
      const file = [
        'FROM node:22',
        'ADD https://ci:hunter2@example.com/a.tgz /opt/',
        ...TAIL,
      ];
      expect(found(file, 'add')).toEqual(['warning@2:5']);
      expect(messages(file, 'add')[0]).toContain(
        'ADD downloads https://…@example.com/a.tgz without checking',
      );
      expect(messages(file, 'add')[0]).not.toContain('hunter2');
    });

    it('warns about ADD of a local file where COPY would do', () => {
      const file = ['FROM node:22', 'ADD --chown=1000 app.js /app/', ...TAIL];
      expect(found(file, 'add')).toEqual(['warning@2:18']);
      expect(messages(file, 'add')[0]).toContain('Use COPY');
      expect(
        found(['FROM node:22', 'COPY app.js /app/', ...TAIL], 'add'),
      ).toEqual([]);
    });

    it('warns about ADD of an archive to a path of the same name, which unpacks it', () => {
      expect(
        found(
          ['FROM node:22', 'ADD dist.tar.gz /app/dist.tar.gz', ...TAIL],
          'add',
        ),
      ).toEqual(['warning@2:5']);
      expect(
        found(['FROM node:22', 'ADD dist.tar.gz /app/', ...TAIL], 'add'),
      ).toEqual([]);
    });
  });

  describe('apt-get', () => {
    it('warns about an install without --no-install-recommends and without cleaning the lists, at apt-get', () => {
      const file = [
        'FROM debian:bookworm-slim',
        'RUN apt-get update && \\',
        '    apt-get install -y curl',
        'RUN rm -rf /var/lib/apt/lists/*',
        ...TAIL,
      ];
      expect(found(file, 'apt-get')).toEqual(['warning@3:5', 'warning@3:5']);
      expect(messages(file, 'apt-get')).toEqual([
        expect.stringContaining('without --no-install-recommends'),
        expect.stringContaining(
          'end the same RUN with rm -rf /var/lib/apt/lists/*',
        ),
      ]);
    });

    it('accepts an install with --no-install-recommends that cleans up in the same RUN', () => {
      expect(
        found(
          [
            'FROM debian:bookworm-slim',
            'RUN apt-get update \\',
            '    && apt-get install -y --no-install-recommends curl \\',
            '    && rm -rf /var/lib/apt/lists/*',
            ...TAIL,
          ],
          'apt-get',
        ),
      ).toEqual([]);
    });

    it('reads a heredoc RUN line by line', () => {
      expect(
        found(
          [
            'FROM debian:bookworm-slim',
            'RUN <<EOF',
            'apt-get update',
            'apt-get install -y --no-install-recommends curl',
            'EOF',
            ...TAIL,
          ],
          'apt-get',
        ),
      ).toEqual(['warning@4:1']);
    });
  });

  describe('sudo', () => {
    it('warns about sudo, at the word', () => {
      expect(
        found(
          ['FROM node:22', 'RUN mkdir /x && sudo chown 1000 /x', ...TAIL],
          'sudo',
        ),
      ).toEqual(['warning@2:17']);
      expect(
        found(
          ['FROM node:22', 'RUN mkdir /x && chown 1000 /x', ...TAIL],
          'sudo',
        ),
      ).toEqual([]);
    });
  });

  describe('secret-name', () => {
    it('warns about ENV and ARG names that say secret, at the name, never showing the value', () => {
      const file = [
        'ARG NPM_TOKEN',
        'FROM node:22',
        'ENV LOG_LEVEL=info DB_PASSWORD=hunter2',
        'ENV apiKey s3cr3t-value',
        ...TAIL,
      ];
      expect(found(file, 'secret-name')).toEqual([
        'warning@1:5',
        'warning@3:20',
        'warning@4:5',
      ]);
      const text = messages(file, 'secret-name').join('\n');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('s3cr3t');
      expect(text).toContain('ENV DB_PASSWORD looks like a secret');
      expect(text).toContain('ARG NPM_TOKEN looks like a secret');
    });

    it('leaves names that only contain the letters alone', () => {
      expect(
        found(
          [
            'FROM node:22',
            'ENV MONKEY=1 KEYCLOAK_URL=http://k PASSAGE=1 JAVA_TOOL_OPTIONS=x',
            ...TAIL,
          ],
          'secret-name',
        ),
      ).toEqual([]);
      expect(looksLikeSecretName('GITHUB_TOKEN')).toBe(true);
      expect(looksLikeSecretName('dbPassword')).toBe(true);
      expect(looksLikeSecretName('AWS_SECRET_ACCESS_KEY')).toBe(true);
      expect(looksLikeSecretName('AUTHTOKEN')).toBe(true);
      expect(looksLikeSecretName('TOKENIZER_MODEL')).toBe(false);
    });
  });

  describe('copy-before-install', () => {
    it('notes COPY . . before the dependency install, at the COPY', () => {
      const file = [
        'FROM node:22',
        'WORKDIR /app',
        'COPY . .',
        'RUN npm ci',
        ...TAIL,
      ];
      expect(found(file, 'copy-before-install')).toEqual(['info@3:1']);
      expect(messages(file, 'copy-before-install')[0]).toContain(
        'comes before npm ci (line 4)',
      );
      expect(
        found(
          [
            'FROM python:3.12',
            'COPY . /app',
            'RUN pip install -r /app/requirements.txt',
            ...TAIL,
          ],
          'copy-before-install',
        ),
      ).toEqual(['info@2:1']);
    });

    it('accepts the dependency files copied and installed first, and a COPY from another stage', () => {
      expect(
        found(
          [
            'FROM node:22',
            'COPY package.json package-lock.json ./',
            'RUN npm ci',
            'COPY . .',
            'RUN npm run build',
            ...TAIL,
          ],
          'copy-before-install',
        ),
      ).toEqual([]);
      expect(
        found(
          [
            'FROM node:22 AS build',
            'FROM node:22',
            'COPY --from=build . .',
            'RUN npm ci',
            ...TAIL,
          ],
          'copy-before-install',
        ),
      ).toEqual([]);
    });
  });

  describe('expose-port', () => {
    it('warns when EXPOSE does not name the service’s port, at the EXPOSE', () => {
      const file = ['FROM node:22', 'EXPOSE 3000', ...TAIL];
      expect(found(file, 'expose-port', { port: 8080 })).toEqual([
        'warning@2:1',
      ]);
      expect(
        lint(file, { port: 8080 }).find(p => p.rule === 'expose-port')?.message,
      ).toBe(
        'EXPOSE 3000, but the service listens on 8080 (k2.io/port), where K2 sends traffic and probes.',
      );
    });

    it('notes an image that exposes nothing, at the final FROM', () => {
      expect(
        found(
          ['FROM node:22 AS build', 'EXPOSE 8080', 'FROM node:22', ...TAIL],
          'expose-port',
          {
            port: 8080,
          },
        ),
      ).toEqual(['info@3:1']);
    });

    it('accepts the port, with a protocol or in a range, and checks nothing without a port', () => {
      expect(
        found(
          ['FROM node:22', 'EXPOSE 9090 8080/tcp', ...TAIL],
          'expose-port',
          { port: 8080 },
        ),
      ).toEqual([]);
      expect(
        found(['FROM node:22', 'EXPOSE 8000-8100', ...TAIL], 'expose-port', {
          port: 8080,
        }),
      ).toEqual([]);
      expect(
        found(['FROM node:22', 'EXPOSE 3000', ...TAIL], 'expose-port'),
      ).toEqual([]);
    });
  });

  describe('shell-form', () => {
    it('warns about CMD and ENTRYPOINT in shell form in the final stage, with the JSON form', () => {
      const file = [
        'FROM node:22',
        'USER 1000',
        'ENTRYPOINT /docker-entrypoint.sh',
        'CMD npm start',
      ];
      expect(found(file, 'shell-form')).toEqual(['warning@3:1', 'warning@4:1']);
      expect(messages(file, 'shell-form')[1]).toContain(
        'Write it as a JSON array: CMD ["npm", "start"].',
      );
    });

    it('warns about a shell-form CMD the final stage inherits from the stage it builds on', () => {
      expect(
        found(
          ['FROM node:22 AS base', 'CMD npm start', 'FROM base', 'USER 1000'],
          'shell-form',
        ),
      ).toEqual(['warning@2:1']);
    });

    it('accepts the JSON form, and shell form in a build stage', () => {
      expect(
        found(
          [
            'FROM node:22 AS test',
            'CMD npm test',
            'FROM node:22',
            'USER 1000',
            'CMD ["npm", "start"]',
          ],
          'shell-form',
        ),
      ).toEqual([]);
    });
  });

  describe('healthcheck', () => {
    it('notes a HEALTHCHECK, which Kubernetes ignores', () => {
      expect(
        found(
          [
            'FROM node:22',
            'HEALTHCHECK CMD curl -f http://localhost/',
            ...TAIL,
          ],
          'healthcheck',
        ),
      ).toEqual(['info@2:1']);
      expect(
        found(['FROM node:22', 'HEALTHCHECK NONE', ...TAIL], 'healthcheck'),
      ).toEqual([]);
    });
  });

  describe('absurd input', () => {
    it('reads a 1 MiB file and answers with problems', () => {
      const line = `RUN echo ${'a'.repeat(90)}\n`;
      const text = `FROM node:22\n${line.repeat(
        Math.floor((MAX_DOCKERFILE_LENGTH - 13) / line.length),
      )}`.padEnd(MAX_DOCKERFILE_LENGTH, '#');
      expect(text).toHaveLength(MAX_DOCKERFILE_LENGTH);
      const problems = lintDockerfile(text);
      expect(problems.map(p => p.rule)).toContain('root-user');
      expect(problems.every(p => p.rule !== 'parse')).toBe(true);
    });

    it('refuses a file over 1 MiB with one problem, without reading it', () => {
      const problems = lintDockerfile('#'.repeat(MAX_DOCKERFILE_LENGTH + 1));
      expect(problems).toEqual([
        expect.objectContaining({
          rule: 'parse',
          severity: 'error',
          line: 1,
          column: 1,
          message:
            'The Dockerfile is 1,048,577 characters long; K2 reads Dockerfiles of up to 1,048,576 (1 MiB).',
        }),
      ]);
    });

    it('answers random bytes with a problem', () => {
      let seed = 42;
      const bytes = Buffer.from(
        Array.from({ length: 64 * 1024 }, () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % 256;
        }),
      );
      for (const encoding of ['utf8', 'latin1'] as const) {
        const problems = lintDockerfile(bytes.toString(encoding));
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatchObject({ rule: 'parse', severity: 'error' });
        expect(problems[0].message).toMatch(/^This is not a text file/);
      }
    });

    it('lists at most the cap on 10,000 lines of problems, and says how many more, as errors when there are', () => {
      const text = [
        'FROM node:22',
        ...Array.from({ length: 10_000 }, (_, i) => `RUN sudo touch /f${i}`),
        'USER root',
      ].join('\n');
      const problems = lintDockerfile(text);
      expect(problems).toHaveLength(MAX_DOCKERFILE_PROBLEMS);
      expect(problems.slice(0, -1).every(p => p.rule === 'sudo')).toBe(true);
      expect(problems[MAX_DOCKERFILE_PROBLEMS - 2].line).toBe(
        MAX_DOCKERFILE_PROBLEMS,
      );
      expect(problems[MAX_DOCKERFILE_PROBLEMS - 1]).toMatchObject({
        severity: 'error',
        line: MAX_DOCKERFILE_PROBLEMS + 1,
        message:
          '9802 more problems from here on are not listed, 1 of them errors.',
      });
    });

    it('answers any mix of Dockerfile pieces with problems inside the text', () => {
      const pieces = [
        'FROM',
        'node:22',
        'AS',
        'RUN',
        '\\\n',
        '\n',
        '[',
        ']',
        '"',
        "'",
        '$',
        '${',
        '}',
        'USER',
        'root',
        'COPY',
        '.',
        'ADD',
        'http://x',
        'ENV',
        'A=',
        '<<EOF',
        'EOF',
        'EXPOSE',
        '99999',
        '# escape=`',
        '`',
        'CMD',
        '&&',
        'apt-get',
        'install',
        ' ',
        '\t',
        'ONBUILD',
        'HEALTHCHECK',
        '--from=',
        'ARG',
        '=',
        '\r\n',
      ];
      let seed = 7;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed;
      };
      for (let round = 0; round < 300; round++) {
        const text = Array.from(
          { length: next() % 60 },
          () => pieces[next() % pieces.length],
        ).join(next() % 2 ? ' ' : '');
        const lines = text.split('\n').length;
        const problems = lintDockerfile(text, { port: 8080 });
        expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) {
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.line).toBeLessThanOrEqual(lines);
          expect(p.column).toBeGreaterThanOrEqual(1);
          expect(p.message).toMatch(/\S/);
        }
      }
    });
  });
});
