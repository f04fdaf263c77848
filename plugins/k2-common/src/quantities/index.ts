export {
  parseQuantity,
  parseCpuMillicores,
  parseMemoryBytes,
  formatCpu,
  formatMemory,
  formatBytes,
} from './quantities';
