/**
 * Kubernetes resource quantities, as far as K2 needs them: CPU in cores or millicores,
 * memory in binary or decimal units.
 */

const CPU = /^([0-9]+)m$|^([0-9]+(?:\.[0-9]{1,3})?)$/;
const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Millicores of a CPU quantity such as `2`, `0.5` or `250m`; undefined if invalid. */
export function parseCpu(value: string): number | undefined {
  const match = CPU.exec(value);
  if (!match) return undefined;
  return match[1] !== undefined
    ? Number(match[1])
    : Math.round(Number(match[2]) * 1000);
}

/** Bytes of a memory quantity such as `1Gi`, `512Mi` or `1G`; undefined if invalid. */
export function parseMemory(value: string): number | undefined {
  const match = MEMORY.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * MEMORY_UNITS[match[2] ?? '']);
}

/** A millicore count in the shortest exact notation: `1`, `1500m`, `250m`. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** A byte count in Mi (or Gi when whole), rounded down to whole Mi. */
export function formatMemory(bytes: number): string {
  const mi = Math.floor(bytes / 2 ** 20);
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}
