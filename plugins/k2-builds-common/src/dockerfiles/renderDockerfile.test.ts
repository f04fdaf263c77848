import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K2_JVM_OPTIONS } from '@internal/plugin-k2-common';
import {
  DEFAULT_BASE_IMAGES,
  DockerfileSpec,
  DockerfileSpecError,
  fillTemplate,
  renderDockerfile,
} from './renderDockerfile';
import { dockerfileTemplates } from './templates.generated';
import { lintDockerfile } from '../lint/lintDockerfile';

/** The instruction lines of a Dockerfile, comments and blank lines left out. */
function instructions(text: string): string[] {
  return text.split('\n').filter(line => line.trim() && !line.startsWith('#'));
}

/** The instructions from the last FROM on. */
function runtimeStage(text: string): string[] {
  const lines = instructions(text);
  const from = lines.map(l => l.startsWith('FROM ')).lastIndexOf(true);
  return lines.slice(from);
}

function indexOf(lines: string[], line: string) {
  const index = lines.indexOf(line);
  if (index < 0) throw new Error(`no line '${line}' in\n${lines.join('\n')}`);
  return index;
}

/** Every spec the templates are rendered for below: each language and option. */
const SPECS: DockerfileSpec[] = [
  { language: 'node' },
  { language: 'node', port: 3000 },
  { language: 'java' },
  { language: 'java', buildTool: 'maven', port: 8081 },
  { language: 'java', buildTool: 'gradle' },
  {
    language: 'java',
    buildTool: 'gradle',
    jvmOptions: '-XX:MaxRAMPercentage=60.0 -Xss512k',
  },
  { language: 'go' },
  { language: 'go', mainPackage: './cmd/server', port: 9090 },
  { language: 'python' },
  { language: 'python', dependencies: 'requirements', module: 'service.main' },
  { language: 'python', dependencies: 'poetry' },
  {
    language: 'python',
    dependencies: 'poetry',
    buildImage: 'localhost:5000/k2/python:3.12.8-slim-bookworm',
    runtimeImage: 'localhost:5000/k2/python:3.12.8-slim-bookworm',
  },
  {
    language: 'go',
    runtimeImage: `registry.example.com/base/debian@sha256:${'a'.repeat(64)}`,
  },
];

describe('renderDockerfile', () => {
  it('renders Node.js: npm ci on package.json and the lockfile before the sources, node . as user 1000', () => {
    const { template, text, buildImage, runtimeImage } = renderDockerfile({
      language: 'node',
      port: 3000,
    });
    expect(template).toBe('node');
    expect(buildImage).toBe(DEFAULT_BASE_IMAGES.node.build);
    expect(runtimeImage).toBe(DEFAULT_BASE_IMAGES.node.runtime);
    const lines = instructions(text);
    expect(lines[0]).toBe('FROM node:22.12.0-bookworm-slim AS build');
    expect(
      indexOf(lines, 'COPY package.json package-lock.json ./'),
    ).toBeLessThan(indexOf(lines, 'RUN npm ci --no-audit --no-fund'));
    expect(indexOf(lines, 'RUN npm ci --no-audit --no-fund')).toBeLessThan(
      indexOf(lines, 'COPY . .'),
    );
    expect(runtimeStage(text)).toEqual([
      'FROM node:22.12.0-bookworm-slim',
      'ENV NODE_ENV=production',
      'WORKDIR /app',
      'RUN mkdir -p /log-dir && chown 1000:1000 /log-dir',
      'COPY --from=build --chown=1000:1000 /app /app',
      'USER 1000:1000',
      'EXPOSE 3000',
      'CMD ["node", "."]',
    ]);
  });

  it('renders Spring Boot with Maven: dependency:go-offline on pom.xml before the sources, JVM container options', () => {
    const { template, text } = renderDockerfile({ language: 'java' });
    expect(template).toBe('java-maven');
    const lines = instructions(text);
    expect(lines[0]).toBe('FROM maven:3.9.9-eclipse-temurin-21 AS build');
    expect(indexOf(lines, 'COPY pom.xml ./')).toBeLessThan(
      indexOf(lines, 'RUN mvn --batch-mode --quiet dependency:go-offline'),
    );
    expect(
      indexOf(lines, 'RUN mvn --batch-mode --quiet dependency:go-offline'),
    ).toBeLessThan(indexOf(lines, 'COPY src ./src'));
    expect(runtimeStage(text)).toEqual([
      'FROM eclipse-temurin:21.0.5_11-jre-noble',
      'WORKDIR /app',
      'RUN mkdir -p /log-dir && chown 1000:1000 /log-dir',
      'COPY --from=build --chown=1000:1000 /build/app.jar /app/app.jar',
      `ENV JAVA_TOOL_OPTIONS="${K2_JVM_OPTIONS}"`,
      'USER 1000:1000',
      'EXPOSE 8080',
      'ENTRYPOINT ["java", "-jar", "/app/app.jar"]',
    ]);
    expect(K2_JVM_OPTIONS).toContain('-XX:MaxRAMPercentage=75.0');
    expect(K2_JVM_OPTIONS).toContain('-XX:+ExitOnOutOfMemoryError');
  });

  it('renders Spring Boot with Gradle and the JVM options given', () => {
    const { template, text } = renderDockerfile({
      language: 'java',
      buildTool: 'gradle',
      jvmOptions: '-XX:MaxRAMPercentage=60.0 -Xss512k',
    });
    expect(template).toBe('java-gradle');
    const lines = instructions(text);
    expect(lines[0]).toBe('FROM gradle:8.11.1-jdk21 AS build');
    expect(indexOf(lines, 'COPY *.gradle* ./')).toBeLessThan(
      indexOf(lines, 'RUN gradle --no-daemon --quiet dependencies'),
    );
    expect(
      indexOf(lines, 'RUN gradle --no-daemon --quiet dependencies'),
    ).toBeLessThan(indexOf(lines, 'COPY src ./src'));
    expect(runtimeStage(text)).toContain(
      'ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60.0 -Xss512k"',
    );
  });

  it('renders Go: go mod download on go.mod and go.sum before the sources, the main package given', () => {
    const { template, text } = renderDockerfile({
      language: 'go',
      mainPackage: './cmd/server',
      port: 9090,
    });
    expect(template).toBe('go');
    const lines = instructions(text);
    expect(lines[0]).toBe('FROM golang:1.23.4-bookworm AS build');
    expect(indexOf(lines, 'COPY go.* ./')).toBeLessThan(
      indexOf(lines, 'RUN go mod download'),
    );
    expect(indexOf(lines, 'RUN go mod download')).toBeLessThan(
      indexOf(lines, 'COPY . .'),
    );
    expect(lines).toContain(
      'RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/server',
    );
    expect(runtimeStage(text)).toEqual([
      'FROM debian:bookworm-20241202-slim',
      'WORKDIR /app',
      'RUN mkdir -p /log-dir && chown 1000:1000 /log-dir',
      'COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
      'COPY --from=build --chown=1000:1000 /out/app /app/app',
      'USER 1000:1000',
      'EXPOSE 9090',
      'ENTRYPOINT ["/app/app"]',
    ]);
  });

  it('renders Python with requirements.txt: pip install into a virtual environment before the sources', () => {
    const { template, text } = renderDockerfile({
      language: 'python',
      module: 'service.main',
    });
    expect(template).toBe('python-pip');
    const lines = instructions(text);
    expect(lines[0]).toBe('FROM python:3.12.8-slim-bookworm AS build');
    expect(
      indexOf(lines, 'COPY requirements.txt /tmp/requirements.txt'),
    ).toBeLessThan(
      indexOf(
        lines,
        'RUN /opt/venv/bin/pip install --requirement /tmp/requirements.txt',
      ),
    );
    expect(runtimeStage(text)).toEqual([
      'FROM python:3.12.8-slim-bookworm',
      'ENV PATH="/opt/venv/bin:$PATH" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1',
      'WORKDIR /app',
      'RUN mkdir -p /log-dir && chown 1000:1000 /log-dir',
      'COPY --from=build --chown=1000:1000 /opt/venv /opt/venv',
      'COPY --chown=1000:1000 . /app',
      'USER 1000:1000',
      'EXPOSE 8080',
      'CMD ["python", "-m", "service.main"]',
    ]);
  });

  it('renders Python with Poetry: the locked main dependencies before the sources, Poetry pinned', () => {
    const { template, text } = renderDockerfile({
      language: 'python',
      dependencies: 'poetry',
    });
    expect(template).toBe('python-poetry');
    const lines = instructions(text);
    expect(lines).toContain(
      'RUN python -m venv /opt/poetry && /opt/poetry/bin/pip install poetry==1.8.5 && python -m venv /opt/venv',
    );
    expect(indexOf(lines, 'COPY pyproject.toml poetry.lock ./')).toBeLessThan(
      indexOf(
        lines,
        'RUN /opt/poetry/bin/poetry install --only main --no-root --no-interaction --no-ansi',
      ),
    );
    expect(runtimeStage(text)).toContain('CMD ["python", "-m", "app"]');
  });

  it('starts from the base images given, as the build service does with its registry', () => {
    const { text, buildImage, runtimeImage } = renderDockerfile({
      language: 'node',
      buildImage: 'localhost:5000/k2/node:22.12.0-bookworm-slim',
      runtimeImage: `localhost:5000/k2/node@sha256:${'b'.repeat(64)}`,
    });
    expect(buildImage).toBe('localhost:5000/k2/node:22.12.0-bookworm-slim');
    expect(runtimeImage).toBe(
      `localhost:5000/k2/node@sha256:${'b'.repeat(64)}`,
    );
    const froms = instructions(text).filter(l => l.startsWith('FROM '));
    expect(froms).toEqual([
      'FROM localhost:5000/k2/node:22.12.0-bookworm-slim AS build',
      `FROM localhost:5000/k2/node@sha256:${'b'.repeat(64)}`,
    ]);
  });

  it.each(SPECS.map(spec => [JSON.stringify(spec), spec] as const))(
    'renders %s multi-stage, as user 1000, with the log directory, the port and no HEALTHCHECK, and it lints clean',
    (_, spec) => {
      const { text } = renderDockerfile(spec);
      const lines = instructions(text);
      expect(lines.filter(l => l.startsWith('FROM '))).toHaveLength(2);
      expect(lines[0]).toMatch(/ AS build$/);
      const runtime = runtimeStage(text);
      expect(runtime).toContain(
        'RUN mkdir -p /log-dir && chown 1000:1000 /log-dir',
      );
      expect(runtime.filter(l => l.startsWith('USER '))).toEqual([
        'USER 1000:1000',
      ]);
      expect(
        runtime
          .filter(l => l.startsWith('COPY '))
          .every(
            l =>
              l.includes('--chown=1000:1000') || l.includes('ca-certificates'),
          ),
      ).toBe(true);
      expect(runtime).toContain(`EXPOSE ${spec.port ?? 8080}`);
      expect(text).not.toContain('HEALTHCHECK ');
      expect(text).not.toContain('${{');

      // Not an error, not a warning, not even a hint.
      expect(lintDockerfile(text, { port: spec.port ?? 8080 })).toEqual([]);
    },
  );

  it.each([
    [
      { language: 'rust' },
      'language',
      "'rust' is not a language K2 has a Dockerfile template for",
    ],
    [
      { language: 'java', buildTool: 'ant' },
      'buildTool',
      "'ant' is not a Java build tool",
    ],
    [
      { language: 'python', dependencies: 'pipenv' },
      'dependencies',
      "'pipenv' is not a way",
    ],
    [{ language: 'node', port: 0 }, 'port', "'0' is not a port number"],
    [{ language: 'node', port: 65536 }, 'port', "'65536' is not a port number"],
    [{ language: 'node', port: 80.5 }, 'port', "'80.5' is not a port number"],
    [
      { language: 'node', buildImage: 'node' },
      'buildImage',
      "'node' names no version",
    ],
    [
      { language: 'node', runtimeImage: 'node:latest' },
      'runtimeImage',
      "'node:latest' names no version",
    ],
    [
      { language: 'node', buildImage: 'Node:22' },
      'buildImage',
      'is not an image reference',
    ],
    [
      { language: 'node', buildImage: 'node:22\nUSER root' },
      'buildImage',
      'whitespace',
    ],
    [
      { language: 'java', jvmOptions: '-Xmx1g"\nUSER root' },
      'jvmOptions',
      'is not a list of JVM options',
    ],
    [
      { language: 'java', jvmOptions: '-Dx=$(id)' },
      'jvmOptions',
      'is not a list of JVM options',
    ],
    [
      { language: 'go', mainPackage: '../other' },
      'mainPackage',
      'is not a package path',
    ],
    [
      { language: 'go', mainPackage: './cmd && curl x' },
      'mainPackage',
      'is not a package path',
    ],
    [
      { language: 'python', module: 'app", "-c' },
      'module',
      'is not a Python module name',
    ],
  ])('refuses %j, naming %s', (spec, field, message) => {
    let thrown: unknown;
    try {
      renderDockerfile(spec as unknown as DockerfileSpec);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DockerfileSpecError);
    expect((thrown as DockerfileSpecError).field).toBe(field);
    expect((thrown as Error).message).toContain(message);
  });
});

describe('the templates', () => {
  const dir = join(__dirname, '../../templates');

  it('are what templates.generated.ts holds (run yarn templates:generate after editing one)', () => {
    const files = Object.fromEntries(
      readdirSync(dir)
        .filter(file => file.endsWith('.Dockerfile'))
        .map(file => [
          file.replace(/\.Dockerfile$/, ''),
          readFileSync(join(dir, file), 'utf8'),
        ]),
    );
    expect(dockerfileTemplates).toEqual(files);
    expect(Object.keys(files).sort()).toEqual(
      Object.keys(DEFAULT_BASE_IMAGES).sort(),
    );
  });

  it('fill fields by name and leave Dockerfile variables alone', () => {
    expect(
      fillTemplate(
        't',
        'FROM ${{ image }}\nENV PATH="/x:$PATH" A=${HOME}\nEXPOSE ${{port}}',
        {
          image: 'node:22',
          port: '80',
        },
      ),
    ).toBe('FROM node:22\nENV PATH="/x:$PATH" A=${HOME}\nEXPOSE 80');
  });

  it('fail loudly on a field the renderer does not give', () => {
    expect(() => fillTemplate('node', 'FROM ${{ baseImage }}', {})).toThrow(
      "The Dockerfile template node uses the field 'baseImage', which has no value",
    );
    expect(() => fillTemplate('node', 'FROM ${{ constructor }}', {})).toThrow(
      "uses the field 'constructor'",
    );
  });
});
