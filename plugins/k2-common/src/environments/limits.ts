import {
  ANNOTATION_NODE_SELECTOR,
  ANNOTATION_PRIORITY_CLASS,
} from '../annotations';
import { formatCpu, formatMemory } from '../quantities';
import { K2Environment } from './types';

/** `8 CPUs`, `1 CPU`, `1500m CPU`. */
export function describeCpu(millicores: number): string {
  if (millicores % 1000 !== 0) return `${formatCpu(millicores)} CPU`;
  return `${millicores / 1000} CPU${millicores === 1000 ? '' : 's'}`;
}

const over = (
  field: string,
  shown: string | number,
  environment: K2Environment,
  limit: string,
) => `'${field}' ${shown} is over ${environment.title}'s limit of ${limit}`;

/**
 * Why a container's CPU limit is over the environment's bound, or undefined when it
 * is within it. `shown` is the value as the caller gave it.
 */
export function cpuOverLimit(
  environment: K2Environment,
  field: string,
  millicores: number,
  shown: string,
): string | undefined {
  const max = environment.limits.maxCpuMillicores;
  return max !== undefined && millicores > max
    ? over(field, shown, environment, describeCpu(max))
    : undefined;
}

/** Why a container's memory limit is over the environment's bound, or undefined. */
export function memoryOverLimit(
  environment: K2Environment,
  field: string,
  bytes: number,
  shown: string,
): string | undefined {
  const max = environment.limits.maxMemoryBytes;
  return max !== undefined && bytes > max
    ? over(field, shown, environment, formatMemory(max))
    : undefined;
}

/** Why a replica count is over the environment's bound, or undefined. */
export function replicasOverLimit(
  environment: K2Environment,
  field: string,
  replicas: number,
): string | undefined {
  const max = environment.limits.maxReplicas;
  return max !== undefined && replicas > max
    ? over(
        field,
        replicas,
        environment,
        `${max} replica${max === 1 ? '' : 's'}`,
      )
    : undefined;
}

const allowedList = (items: string[]) =>
  items.length ? items.join(', ') : 'none';

/**
 * What a service asks for in its placement annotations that the environment does not
 * allow, one message per annotation value, each naming the annotation. The priority
 * class must be listed in `limits.priorityClasses`; each node label `key=value` must
 * be listed as its key (any value) or as `key=value` in `limits.nodeSelectors`.
 */
export function placementProblems(
  environment: K2Environment,
  placement: {
    nodeSelector: Record<string, string>;
    priorityClassName?: string;
  },
): string[] {
  const { priorityClasses, nodeSelectors } = environment.limits;
  const problems: string[] = [];
  const { priorityClassName } = placement;
  if (priorityClassName && !priorityClasses.includes(priorityClassName)) {
    problems.push(
      `${ANNOTATION_PRIORITY_CLASS} '${priorityClassName}' is not allowed in ${
        environment.title
      }; allowed: ${allowedList(priorityClasses)}`,
    );
  }
  for (const [key, value] of Object.entries(placement.nodeSelector)) {
    if (
      !nodeSelectors.includes(key) &&
      !nodeSelectors.includes(`${key}=${value}`)
    ) {
      problems.push(
        `${ANNOTATION_NODE_SELECTOR} '${key}=${value}' is not allowed in ${
          environment.title
        }; allowed: ${allowedList(nodeSelectors)}`,
      );
    }
  }
  return problems;
}
