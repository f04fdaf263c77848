import { Entity } from '@backstage/catalog-model';
import { tryParseImageReference } from '../images';
import {
  ANNOTATION_CLUSTERS_PREFIX,
  ANNOTATION_ENVIRONMENTS,
  ANNOTATION_HEALTH_PATH,
  ANNOTATION_IMAGE,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_LANGUAGE,
  ANNOTATION_NAMESPACE,
  ANNOTATION_NODE_SELECTOR,
  ANNOTATION_PORT,
  ANNOTATION_PRIORITY_CLASS,
  ANNOTATION_REPLICAS_PREFIX,
  DEFAULT_HEALTH_PATH,
  DEFAULT_PORT,
  K2_LANGUAGES,
  K2Language,
} from '../annotations';
import {
  K2Environment,
  K2EnvironmentCluster,
  K2EnvironmentModel,
} from '../environments/types';
import {
  isDnsLabel,
  isNamespaceAllowed,
  isSystemNamespace,
} from '../environments/namespaces';
import { placementProblems, replicasOverLimit } from '../environments/limits';

/** Where and how a service runs in one environment. */
export interface K2ServiceTarget {
  environment: K2Environment;
  /** The environment's clusters this service runs in, with their weights. */
  clusters: K2EnvironmentCluster[];
  namespace: string;
  /** From {@link K2ServiceTarget.replicasAnnotation} when set, else the environment's default. */
  replicas: number;
  /** `k2.io/replicas.<env>` when the replica count comes from it (a valid count). */
  replicasAnnotation?: string;
  /** `<service>.<environment>.<wildcard domain>` where the environment has one. */
  domain?: string;
  /**
   * Set when the service's workload identity (its `backstage.io/kubernetes-id` and
   * namespace) is not valid here: K2 shows what runs but does not act on this target.
   * Names the annotation; the same text is in the spec's `problems`.
   */
  identityProblem?: string;
}

/** A service's K2 settings, resolved from its annotations and the environment model. */
export interface K2ServiceSpec {
  /** The `backstage.io/kubernetes-id`, which names the workloads in every cluster. */
  kubernetesId: string;
  language?: K2Language;
  image?: string;
  port: number;
  healthPath: string;
  /** Service profile: node labels the pods must run on, and their priority class. */
  nodeSelector: Record<string, string>;
  priorityClassName?: string;
  targets: K2ServiceTarget[];
  /** Annotation problems, each naming the annotation; empty when all is well. */
  problems: string[];
}

const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// Label keys with an optional DNS prefix, and label values, as Kubernetes allows them.
const LABEL_KEY_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_PATTERN =
  /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether the entity carries K2 annotations at all. */
export function isK2Service(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ANNOTATION_ENVIRONMENTS]);
}

function splitList(value: string) {
  return value
    .split(',')
    .map(item => item.trim())
    .filter(Boolean);
}

/**
 * Resolves a service's K2 settings. Never throws: every problem with the annotations is
 * reported in `problems`, and the remaining settings fall back to defaults.
 */
export function readServiceSpec(
  entity: Entity,
  model: K2EnvironmentModel,
): K2ServiceSpec {
  const annotations = entity.metadata.annotations ?? {};
  const problems: string[] = [];

  const kubernetesId =
    annotations[ANNOTATION_KUBERNETES_ID] ?? entity.metadata.name;
  if (!annotations[ANNOTATION_KUBERNETES_ID]) {
    problems.push(
      `${ANNOTATION_KUBERNETES_ID} is missing; the stock Kubernetes tab will not find this service`,
    );
  }
  // The id names the Deployment and the Service and is the value of their labels, so
  // it must be a DNS-1123 label; K2 acts on no target of a service whose id is not.
  let identityProblem: string | undefined;
  if (!isDnsLabel(kubernetesId)) {
    identityProblem = `${ANNOTATION_KUBERNETES_ID} '${kubernetesId}'${
      annotations[ANNOTATION_KUBERNETES_ID] ? '' : ' (the entity name)'
    } is not a DNS-1123 label (lowercase letters, digits and '-', at most 63); K2 does not act on this service`;
    problems.push(identityProblem);
  }

  let language: K2Language | undefined;
  const rawLanguage = annotations[ANNOTATION_LANGUAGE];
  if (rawLanguage !== undefined) {
    if ((K2_LANGUAGES as readonly string[]).includes(rawLanguage)) {
      language = rawLanguage as K2Language;
    } else {
      problems.push(
        `${ANNOTATION_LANGUAGE} '${rawLanguage}' is not one of ${K2_LANGUAGES.join(
          ', ',
        )}`,
      );
    }
  }

  const image = annotations[ANNOTATION_IMAGE];
  if (image !== undefined && !tryParseImageReference(image)?.implicitTag) {
    problems.push(
      `${ANNOTATION_IMAGE} '${image}' is not an image repository such as 'registry.example.com/team/app' (no tag)`,
    );
  }

  let port = DEFAULT_PORT;
  const rawPort = annotations[ANNOTATION_PORT];
  if (rawPort !== undefined) {
    const parsed = Number(rawPort);
    if (Number.isInteger(parsed) && parsed >= 1 && parsed <= 65535) {
      port = parsed;
    } else {
      problems.push(
        `${ANNOTATION_PORT} '${rawPort}' is not a port between 1 and 65535`,
      );
    }
  }

  const healthPath = annotations[ANNOTATION_HEALTH_PATH] ?? DEFAULT_HEALTH_PATH;
  if (!healthPath.startsWith('/') || /\s/.test(healthPath)) {
    problems.push(
      `${ANNOTATION_HEALTH_PATH} '${healthPath}' must be an absolute path without spaces`,
    );
  }

  const nodeSelector: Record<string, string> = {};
  for (const pair of splitList(annotations[ANNOTATION_NODE_SELECTOR] ?? '')) {
    const [key, value, ...rest] = pair.split('=');
    if (
      rest.length === 0 &&
      value !== undefined &&
      LABEL_KEY_PATTERN.test(key) &&
      LABEL_VALUE_PATTERN.test(value)
    ) {
      nodeSelector[key] = value;
    } else {
      problems.push(
        `${ANNOTATION_NODE_SELECTOR} '${pair}' is not a node label such as 'pool=payments'`,
      );
    }
  }

  const priorityClassName = annotations[ANNOTATION_PRIORITY_CLASS];
  if (
    priorityClassName !== undefined &&
    !NAMESPACE_PATTERN.test(priorityClassName)
  ) {
    problems.push(
      `${ANNOTATION_PRIORITY_CLASS} '${priorityClassName}' is not a PriorityClass name`,
    );
  }

  const namespace =
    annotations[ANNOTATION_NAMESPACE] ??
    (typeof entity.spec?.system === 'string'
      ? entity.spec.system.replace(/^.*[:/]/, '')
      : entity.metadata.namespace ?? 'default');
  const namespaceSource = annotations[ANNOTATION_NAMESPACE]
    ? ''
    : ` (not set, so taken from the entity's ${
        typeof entity.spec?.system === 'string' ? 'system' : 'namespace'
      })`;
  if (!isDnsLabel(namespace)) {
    const problem = `${ANNOTATION_NAMESPACE} '${namespace}'${namespaceSource} is not a valid Kubernetes namespace name; K2 does not act on this service`;
    identityProblem ??= problem;
    problems.push(problem);
  } else if (isSystemNamespace(namespace)) {
    const problem = `${ANNOTATION_NAMESPACE} '${namespace}'${namespaceSource} is a system namespace; K2 does not act on services in it`;
    identityProblem ??= problem;
    problems.push(problem);
  }

  const names = splitList(annotations[ANNOTATION_ENVIRONMENTS] ?? '');
  const targets: K2ServiceTarget[] = [];
  for (const name of names) {
    const environment = model.environments.find(e => e.name === name);
    if (!environment) {
      problems.push(
        `${ANNOTATION_ENVIRONMENTS} names unknown environment '${name}'; known: ${model.environments
          .map(e => e.name)
          .join(', ')}`,
      );
      continue;
    }

    let clusters = environment.clusters;
    const clusterKey = `${ANNOTATION_CLUSTERS_PREFIX}${name}`;
    if (annotations[clusterKey] !== undefined) {
      const wanted = splitList(annotations[clusterKey]);
      const unknown = wanted.filter(c => !clusters.some(k => k.name === c));
      if (unknown.length || wanted.length === 0) {
        problems.push(
          `${clusterKey} names ${
            unknown.length
              ? `unknown cluster(s) ${unknown.join(', ')}`
              : 'no cluster'
          }; clusters of '${name}': ${clusters.map(c => c.name).join(', ')}`,
        );
      } else {
        clusters = clusters.filter(c => wanted.includes(c.name));
      }
    }

    let replicas = environment.defaults.replicas;
    let replicasAnnotation: string | undefined;
    const replicasKey = `${ANNOTATION_REPLICAS_PREFIX}${name}`;
    if (annotations[replicasKey] !== undefined) {
      const parsed = Number(annotations[replicasKey]);
      if (Number.isInteger(parsed) && parsed >= 0 && parsed <= 1000) {
        replicas = parsed;
        replicasAnnotation = replicasKey;
      } else {
        problems.push(
          `${replicasKey} '${annotations[replicasKey]}' is not a replica count between 0 and 1000`,
        );
      }
    }

    // The environment's bounds: said here, refused on release.
    const overLimit =
      annotations[replicasKey] !== undefined
        ? replicasOverLimit(environment, replicasKey, replicas)
        : undefined;
    if (overLimit) problems.push(overLimit);
    problems.push(
      ...placementProblems(environment, {
        nodeSelector,
        priorityClassName:
          priorityClassName && NAMESPACE_PATTERN.test(priorityClassName)
            ? priorityClassName
            : undefined,
      }),
    );

    let targetProblem = identityProblem;
    if (
      !targetProblem &&
      !isNamespaceAllowed(environment.namespaces, namespace)
    ) {
      targetProblem = `${ANNOTATION_NAMESPACE} '${namespace}'${namespaceSource} is not allowed in environment '${name}' (allowed: ${environment.namespaces?.allowed?.join(
        ', ',
      )}); K2 does not act on this service there`;
      problems.push(targetProblem);
    }

    targets.push({
      environment,
      clusters,
      namespace,
      replicas,
      ...(replicasAnnotation ? { replicasAnnotation } : {}),
      domain: environment.wildcardDomain
        ? `${kubernetesId}.${name}.${environment.wildcardDomain}`
        : undefined,
      ...(targetProblem ? { identityProblem: targetProblem } : {}),
    });
  }

  // Per-environment keys that name an environment the service does not run in are
  // almost always typos; say so instead of ignoring them.
  for (const key of Object.keys(annotations)) {
    for (const prefix of [
      ANNOTATION_CLUSTERS_PREFIX,
      ANNOTATION_REPLICAS_PREFIX,
    ]) {
      if (key.startsWith(prefix) && !names.includes(key.slice(prefix.length))) {
        problems.push(
          `${key} refers to environment '${key.slice(
            prefix.length,
          )}', which is not in ${ANNOTATION_ENVIRONMENTS}`,
        );
      }
    }
  }

  return {
    kubernetesId,
    language,
    image,
    port,
    healthPath,
    nodeSelector,
    priorityClassName:
      priorityClassName && NAMESPACE_PATTERN.test(priorityClassName)
        ? priorityClassName
        : undefined,
    targets,
    problems,
  };
}
