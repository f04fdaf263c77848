/**
 * K2 Builds, shared by the build service, the scaffolder template and the frontend:
 * the per-language Dockerfile templates and their renderer, and the Dockerfile lint
 * that runs before a build and in the browser's editor.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_BASE_IMAGES,
  DockerfileSpecError,
  POETRY_VERSION,
  renderDockerfile,
} from './dockerfiles/renderDockerfile';
export type {
  DockerfileSpec,
  DockerfileTemplateName,
  JavaBuildTool,
  PythonDependencies,
  RenderedDockerfile,
} from './dockerfiles/renderDockerfile';
export {
  lintDockerfile,
  looksLikeSecretName,
  MAX_DOCKERFILE_LENGTH,
  MAX_DOCKERFILE_PROBLEMS,
} from './lint/lintDockerfile';
export type {
  DockerfileLintOptions,
  DockerfileLintRule,
  DockerfileProblem,
  DockerfileProblemSeverity,
} from './lint/types';
export * from './client';
export type { components, operations, paths } from './generated/openapi';
