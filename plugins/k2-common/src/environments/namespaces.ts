/**
 * Which Kubernetes namespaces K2 may release into: never a system namespace, and, where
 * an environment lists `namespaces.allowed`, only a namespace one of its patterns matches.
 */

/** A DNS-1123 label: what Kubernetes accepts as a namespace or a Service name. */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether a value is a DNS-1123 label (lowercase letters, digits, '-', at most 63). */
export function isDnsLabel(value: string): boolean {
  return DNS_LABEL_PATTERN.test(value);
}

/** Namespaces of the cluster itself, which K2 never releases into. */
export const SYSTEM_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

/** Whether a namespace belongs to the cluster: one of {@link SYSTEM_NAMESPACES} or `kube-*`. */
export function isSystemNamespace(namespace: string): boolean {
  return SYSTEM_NAMESPACES.includes(namespace) || namespace.startsWith('kube-');
}

/**
 * The syntax of an allowed-namespace pattern: a namespace name in which `*` stands for
 * any run of characters (none included), e.g. `payments-*` or `*-team`.
 */
const PATTERN_SYNTAX = /^[-a-z0-9*]{1,63}$/;

/** Why a pattern is not an allowed-namespace pattern, or undefined when it is one. */
export function namespacePatternProblem(pattern: string): string | undefined {
  if (!PATTERN_SYNTAX.test(pattern)) {
    return `'${pattern}' is not a namespace pattern: lowercase letters, digits, '-' and '*' (any characters), e.g. 'payments-*'`;
  }
  return undefined;
}

/** Whether a namespace matches one allowed-namespace pattern (`*` = any characters). */
export function matchesNamespacePattern(
  pattern: string,
  namespace: string,
): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === namespace;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (
    namespace.length < first.length + last.length ||
    !namespace.startsWith(first) ||
    !namespace.endsWith(last)
  ) {
    return false;
  }
  // The middle parts in order, each after the previous, between prefix and suffix.
  let at = first.length;
  const end = namespace.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = namespace.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/**
 * Whether an environment lets services use a namespace: never a system namespace; with
 * `allowed` patterns, only a namespace one of them matches; without, any other.
 */
export function isNamespaceAllowed(
  policy: { allowed?: string[] } | undefined,
  namespace: string,
): boolean {
  if (isSystemNamespace(namespace)) return false;
  const allowed = policy?.allowed;
  return !allowed || allowed.some(p => matchesNamespacePattern(p, namespace));
}
