import { InputError } from '@backstage/errors';
import {
  cpuOverLimit,
  K2Environment,
  memoryOverLimit,
  placementProblems,
  replicasOverLimit,
} from '@internal/plugin-k2-common';

/**
 * Refuses what is outside the environment's `limits`, naming the field (or the
 * annotation it came from) and the limit. Checked before anything is written.
 *
 * @throws InputError on the first value outside the limits
 */
export function assertWithinLimits(
  environment: K2Environment,
  values: {
    cpu?: { millicores: number; shown: string };
    memory?: { bytes: number; shown: string };
    replicas?: { count: number; field: string };
    placement?: {
      nodeSelector: Record<string, string>;
      priorityClassName?: string;
    };
  },
): void {
  const { cpu, memory, replicas, placement } = values;
  const problem =
    (cpu &&
      cpuOverLimit(environment, 'resources.cpu', cpu.millicores, cpu.shown)) ??
    (memory &&
      memoryOverLimit(
        environment,
        'resources.memory',
        memory.bytes,
        memory.shown,
      )) ??
    (replicas &&
      replicasOverLimit(environment, replicas.field, replicas.count)) ??
    (placement && placementProblems(environment, placement)[0]);
  if (problem) throw new InputError(problem);
}
