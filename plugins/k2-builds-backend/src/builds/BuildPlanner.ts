import { InputError } from '@backstage/errors';
import {
  DockerfileSpec,
  DockerfileTemplateName,
  renderDockerfile,
} from '@internal/plugin-k2-builds-common';
import {
  ANNOTATION_IMAGE,
  ANNOTATION_LANGUAGE,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import { K2ResolvedService } from '@internal/plugin-k2-node';
import { BuildsConfig } from '../config/readBuildsConfig';
import { MAX_SOURCE_KEY_LENGTH } from '../database/BuildStore';
import { ServiceSource, sourceOf } from '../sources';
import {
  ANNOTATION_BUILD_BRANCH,
  ANNOTATION_BUILD_RELEASE,
  ANNOTATION_DOCKERFILE,
} from './annotations';

/** Where a service's Dockerfile comes from. */
export type DockerfilePlan =
  | { source: 'repository'; path: string }
  | {
      source: 'generated';
      template: DockerfileTemplateName;
      spec: DockerfileSpec;
    };

/** What a build of a service uses, read from its annotations and `k2.builds`. */
export interface BuildPlan {
  source?: ServiceSource;
  /** `k2.io/build-branch`; undefined: the repository's default branch. */
  branch?: string;
  /** The image repository without a tag, `registry/path`. */
  image?: { repository: string; registryHost: string; path: string };
  dockerfile?: DockerfilePlan;
  /** `k2.io/build-release` when it names an environment a build may release to. */
  releaseTo?: string;
  /** The service's environments without required approval. */
  releaseTargets: string[];
  /** Why the service cannot build; empty when it can. */
  problems: string[];
}

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/+-]+(?<![./])$/;
const DOCKERFILE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]{1,500}$/;

/** The template a language renders with by default (the options K2 does not read yet keep theirs). */
function specOf(
  service: K2ResolvedService,
  config: BuildsConfig,
): { template: DockerfileTemplateName; spec: DockerfileSpec } {
  const language = service.spec.language!;
  const base: DockerfileSpec = {
    language,
    port: service.spec.port,
  } as DockerfileSpec;
  // Rendered once to learn the template, then with that template's base images.
  const { template } = renderDockerfile(base);
  const images = config.baseImages[template];
  return {
    template,
    spec: images
      ? ({
          ...base,
          buildImage: images.build,
          runtimeImage: images.runtime,
        } as DockerfileSpec)
      : base,
  };
}

/**
 * Reads what a build of `service` would use, with every problem that keeps it from
 * building (never throwing for the service's own annotations).
 */
export function planBuild(
  service: K2ResolvedService,
  config: BuildsConfig,
  registries: ReadonlySet<string>,
): BuildPlan {
  const annotations = service.entity.metadata.annotations ?? {};
  const problems: string[] = [];
  const plan: BuildPlan = { releaseTargets: [], problems };

  try {
    plan.source = sourceOf(service.entity);
    if (!plan.source) {
      problems.push(
        'backstage.io/source-location is missing: set it to url:<the repository URL>',
      );
    } else if (plan.source.key.length > MAX_SOURCE_KEY_LENGTH) {
      problems.push(
        `backstage.io/source-location is longer than ${MAX_SOURCE_KEY_LENGTH} characters: K2 builds from a repository URL of at most that length`,
      );
    } else if (!config.sources.some(s => s.host === plan.source!.host)) {
      problems.push(
        `The source host ${plan.source.host} is not one K2 builds from (k2.builds.sources)`,
      );
    }
  } catch (error) {
    problems.push((error as Error).message);
  }

  const branch = annotations[ANNOTATION_BUILD_BRANCH]?.trim();
  if (branch !== undefined) {
    if (BRANCH.test(branch) && branch.length <= 200) plan.branch = branch;
    else
      problems.push(
        `${ANNOTATION_BUILD_BRANCH} '${branch}' is not a branch name`,
      );
  }

  const imageAnnotation = service.spec.image;
  if (!imageAnnotation) {
    problems.push(
      `${ANNOTATION_IMAGE} is missing: set it to the image repository builds push to`,
    );
  } else {
    const parsed = tryParseImageReference(imageAnnotation);
    if (!parsed || !parsed.registry) {
      problems.push(
        `${ANNOTATION_IMAGE} '${imageAnnotation}' is not an image repository of a registry (registry.example.com/team/app)`,
      );
    } else if (!registries.has(parsed.registry)) {
      problems.push(
        `The registry ${parsed.registry} of ${ANNOTATION_IMAGE} is not one K2 pushes to (k2.registries)`,
      );
    } else {
      plan.image = {
        repository: parsed.repository,
        registryHost: parsed.registry,
        path: parsed.path,
      };
    }
  }

  const dockerfilePath = annotations[ANNOTATION_DOCKERFILE]?.trim();
  if (dockerfilePath !== undefined) {
    if (DOCKERFILE_PATH.test(dockerfilePath)) {
      plan.dockerfile = { source: 'repository', path: dockerfilePath };
    } else {
      problems.push(
        `${ANNOTATION_DOCKERFILE} '${dockerfilePath}' is not a path in the repository (relative, without '..')`,
      );
    }
  } else if (!service.spec.language) {
    problems.push(
      `${ANNOTATION_LANGUAGE} is missing: set it (java, node, go or python) for a generated Dockerfile, or ${ANNOTATION_DOCKERFILE} to the repository's own`,
    );
  } else {
    try {
      plan.dockerfile = { source: 'generated', ...specOf(service, config) };
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  plan.releaseTargets = service.spec.targets
    .filter(t => !t.environment.approval.required)
    .map(t => t.environment.name);
  const releaseTo = annotations[ANNOTATION_BUILD_RELEASE]?.trim();
  if (releaseTo) {
    const problem = releaseProblem(
      service,
      releaseTo,
      ANNOTATION_BUILD_RELEASE,
    );
    if (problem) problems.push(problem);
    else plan.releaseTo = releaseTo;
  }
  return plan;
}

/** Why a build may not release to `environment`; undefined when it may. */
export function releaseProblem(
  service: K2ResolvedService,
  environment: string,
  field: string,
): string | undefined {
  const target = service.spec.targets.find(
    t => t.environment.name === environment,
  );
  if (!target) {
    return `${field} '${environment}' is not one of the environments of ${
      service.entity.metadata.name
    } (${
      service.spec.targets.map(t => t.environment.name).join(', ') || 'none'
    })`;
  }
  if (target.environment.approval.required) {
    return `${field} '${environment}' needs approval for releases; a build releases only where none is needed`;
  }
  return undefined;
}

/** The plan, or an InputError naming every problem. */
export function requireBuildable(
  plan: BuildPlan,
): Required<Pick<BuildPlan, 'source' | 'image' | 'dockerfile'>> & BuildPlan {
  if (
    plan.problems.length > 0 ||
    !plan.source ||
    !plan.image ||
    !plan.dockerfile
  ) {
    throw new InputError(
      `This service cannot build: ${plan.problems.join('; ')}`,
    );
  }
  return plan as Required<Pick<BuildPlan, 'source' | 'image' | 'dockerfile'>> &
    BuildPlan;
}
