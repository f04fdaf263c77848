import {
  DEFAULT_PORT,
  K2_JVM_OPTIONS,
  K2Language,
  parseImageReference,
} from '@internal/plugin-k2-common';
import { dockerfileTemplates } from './templates.generated';

/** The file name (without `.Dockerfile`) of each template in `templates/`. */
export type DockerfileTemplateName = keyof typeof dockerfileTemplates;

/** The build tool of a Java (Spring Boot) service. */
export type JavaBuildTool = 'maven' | 'gradle';

/** How a Python service declares its dependencies. */
export type PythonDependencies = 'requirements' | 'poetry';

/**
 * What a Dockerfile is rendered from: the service's language (`k2.io/language`), its
 * port (`k2.io/port`) and the language's options. Base images default to
 * {@link DEFAULT_BASE_IMAGES}; the build service points them at its own registry.
 */
export type DockerfileSpec = DockerfileCommon &
  (
    | {
        language: 'java';
        /** Default `maven`. */
        buildTool?: JavaBuildTool;
        /**
         * `JAVA_TOOL_OPTIONS` baked into the image; default {@link K2_JVM_OPTIONS}.
         * Letters, digits and `-+=:.,_/%` separated by single spaces.
         */
        jvmOptions?: string;
      }
    | { language: 'node' }
    | {
        language: 'go';
        /** The main package to build, relative to the module root: `.` (default) or `./cmd/server`. */
        mainPackage?: string;
      }
    | {
        language: 'python';
        /** `requirements` (requirements.txt, the default) or `poetry` (pyproject.toml + poetry.lock). */
        dependencies?: PythonDependencies;
        /** The module `python -m` runs, e.g. `app` (default) or `service.main`. */
        module?: string;
      }
  );

interface DockerfileCommon {
  language: K2Language;
  /** The port the service listens on and K2 probes; default 8080 as for `k2.io/port`. */
  port?: number;
  /** The image of the build stage; default the template's in {@link DEFAULT_BASE_IMAGES}. */
  buildImage?: string;
  /** The image of the runtime stage; default the template's in {@link DEFAULT_BASE_IMAGES}. */
  runtimeImage?: string;
}

/** What {@link renderDockerfile} returns. */
export interface RenderedDockerfile {
  /** The template rendered, e.g. `java-maven`. */
  template: DockerfileTemplateName;
  /** The Dockerfile's text. */
  text: string;
  /** The base images it starts from. */
  buildImage: string;
  runtimeImage: string;
}

/**
 * The base images of each template, each pinned to a version. Every one is a public
 * image; in development the build service passes its local registry's copies instead.
 */
export const DEFAULT_BASE_IMAGES: Record<
  DockerfileTemplateName,
  { build: string; runtime: string }
> = {
  node: {
    build: 'node:22.12.0-bookworm-slim',
    runtime: 'node:22.12.0-bookworm-slim',
  },
  'java-maven': {
    build: 'maven:3.9.9-eclipse-temurin-21',
    runtime: 'eclipse-temurin:21.0.5_11-jre-noble',
  },
  'java-gradle': {
    build: 'gradle:8.11.1-jdk21',
    runtime: 'eclipse-temurin:21.0.5_11-jre-noble',
  },
  go: {
    build: 'golang:1.23.4-bookworm',
    runtime: 'debian:bookworm-20241202-slim',
  },
  'python-pip': {
    build: 'python:3.12.8-slim-bookworm',
    runtime: 'python:3.12.8-slim-bookworm',
  },
  'python-poetry': {
    build: 'python:3.12.8-slim-bookworm',
    runtime: 'python:3.12.8-slim-bookworm',
  },
};

/** The Poetry version the Poetry template installs. */
export const POETRY_VERSION = '1.8.5';

/** A spec {@link renderDockerfile} cannot render; the message names the field. */
export class DockerfileSpecError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'DockerfileSpecError';
    this.field = field;
  }
}

const JVM_OPTIONS = /^[A-Za-z0-9\-+=:.,_/%]+(?: [A-Za-z0-9\-+=:.,_/%]+)*$/;
const GO_PACKAGE = /^\.(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const FIELD = /\$\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

function templateOf(spec: DockerfileSpec): DockerfileTemplateName {
  switch (spec.language) {
    case 'node':
      return 'node';
    case 'go':
      return 'go';
    case 'java': {
      const tool = spec.buildTool ?? 'maven';
      if (tool !== 'maven' && tool !== 'gradle') {
        throw new DockerfileSpecError(
          'buildTool',
          `'${String(
            tool,
          )}' is not a Java build tool K2 has a template for (maven, gradle)`,
        );
      }
      return `java-${tool}`;
    }
    case 'python': {
      const dependencies = spec.dependencies ?? 'requirements';
      if (dependencies === 'requirements') return 'python-pip';
      if (dependencies === 'poetry') return 'python-poetry';
      throw new DockerfileSpecError(
        'dependencies',
        `'${String(
          dependencies,
        )}' is not a way of declaring Python dependencies K2 has a template for (requirements, poetry)`,
      );
    }
    default:
      throw new DockerfileSpecError(
        'language',
        `'${String(
          (spec as { language: unknown }).language,
        )}' is not a language K2 has a Dockerfile template for (java, node, go, python)`,
      );
  }
}

function image(field: string, reference: string): string {
  try {
    const parsed = parseImageReference(reference);
    if (parsed.implicitTag || (parsed.tag === 'latest' && !parsed.digest)) {
      throw new DockerfileSpecError(
        field,
        `'${reference}' names no version: give a tag other than latest, or a digest`,
      );
    }
  } catch (error) {
    if (error instanceof DockerfileSpecError) throw error;
    throw new DockerfileSpecError(field, (error as Error).message);
  }
  return reference;
}

function matching(
  field: string,
  value: string,
  pattern: RegExp,
  expected: string,
): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new DockerfileSpecError(
      field,
      `'${String(value)}' is not ${expected}`,
    );
  }
  return value;
}

/** The template's fields, each checked so that no value can change the Dockerfile's structure. */
function fieldsOf(
  spec: DockerfileSpec,
  template: DockerfileTemplateName,
): Record<string, string> {
  const port = spec.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DockerfileSpecError(
      'port',
      `'${String(port)}' is not a port number (1 to 65535)`,
    );
  }
  const fields: Record<string, string> = {
    buildImage: image(
      'buildImage',
      spec.buildImage ?? DEFAULT_BASE_IMAGES[template].build,
    ),
    runtimeImage: image(
      'runtimeImage',
      spec.runtimeImage ?? DEFAULT_BASE_IMAGES[template].runtime,
    ),
    port: String(port),
  };
  if (spec.language === 'java') {
    fields.jvmOptions = matching(
      'jvmOptions',
      spec.jvmOptions ?? K2_JVM_OPTIONS,
      JVM_OPTIONS,
      'a list of JVM options (letters, digits and -+=:.,_/% separated by single spaces)',
    );
  }
  if (spec.language === 'go') {
    fields.goPackage = matching(
      'mainPackage',
      spec.mainPackage ?? '.',
      GO_PACKAGE,
      'a package path relative to the module root, such as . or ./cmd/server',
    );
  }
  if (spec.language === 'python') {
    fields.pythonModule = matching(
      'module',
      spec.module ?? 'app',
      PYTHON_MODULE,
      'a Python module name, such as app or service.main',
    );
    fields.poetryVersion = POETRY_VERSION;
  }
  return fields;
}

/**
 * Fills a template's `${{ name }}` fields by plain substitution (no expressions).
 * Dockerfile variables (`$VAR`, `${VAR}`) pass through untouched.
 *
 * @throws Error naming the template and the field when the template uses a field
 *   that has no value: a template and the renderer out of step.
 */
export function fillTemplate(
  name: string,
  template: string,
  fields: Record<string, string>,
): string {
  return template.replace(FIELD, (_, field: string) => {
    if (!Object.prototype.hasOwnProperty.call(fields, field)) {
      throw new Error(
        `The Dockerfile template ${name} uses the field '${field}', which has no value`,
      );
    }
    return fields[field];
  });
}

/**
 * The Dockerfile K2 builds a service from when the service brings none of its own:
 * multi-stage, dependencies cached before the sources, run by user 1000, the K2 log
 * directory `/log-dir` owned by that user, the service's port exposed, no
 * HEALTHCHECK (K2 probes the health path). Every rendering lints clean with
 * `lintDockerfile`.
 *
 * @throws DockerfileSpecError naming the field of a spec it cannot render
 */
export function renderDockerfile(spec: DockerfileSpec): RenderedDockerfile {
  const template = templateOf(spec);
  const fields = fieldsOf(spec, template);
  return {
    template,
    text: fillTemplate(template, dockerfileTemplates[template], fields),
    buildImage: fields.buildImage,
    runtimeImage: fields.runtimeImage,
  };
}
