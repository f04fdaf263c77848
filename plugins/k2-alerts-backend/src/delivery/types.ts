import { RuleTarget } from '../rules/compile';

/** A URL Prometheus probes through the blackbox exporter for one rule. */
export interface ProbeTarget {
  /** The rule's id: the probe's series carry it as `k2_rule`. */
  rule: string;
  url: string;
}

/** What one delivery puts in place for a service in an environment. */
export interface GroupContent {
  target: RuleTarget;
  /** The group's name, `k2-<namespace>-<kubernetes-id>`. */
  name: string;
  /** The rule file; undefined when the service has no enabled rule (removed). */
  yaml?: string;
  /** The rules' parsed groups, for objects that embed them. */
  groups: unknown[];
  probes: ProbeTarget[];
}

/**
 * Puts a service's rule group (and its probe targets) in place for Prometheus, or
 * removes them when the group is empty. Delivering the same content twice is
 * harmless.
 *
 * @throws Error with a message for the rules' delivery state when it did not work
 */
export interface RuleDelivery {
  deliver(content: GroupContent): Promise<void>;
}
