/** An alert rule as stored. */
export interface StoredRule {
  id: string;
  /** Lowercased entity ref of the service. */
  serviceRef: string;
  environment: string;
  name: string;
  templateId?: string;
  parameters: Record<string, string | number>;
  /** Raw PromQL rules only. */
  expr?: string;
  for: string;
  severity: string;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

/** How a service's compiled rule group of one environment reached Prometheus. */
export interface StoredGroupDelivery {
  serviceRef: string;
  environment: string;
  /** The group file delivered (or being delivered); undefined when no rule is enabled. */
  content?: string;
  state: 'delivered' | 'pending' | 'failed';
  message?: string;
  at: string;
  /** Failed attempts since the last success. */
  attempts: number;
}

/** The rules of services and the delivery state of their rule groups. */
export interface RuleStore {
  /** A service's rules of one environment (or all), by environment and name. */
  list(serviceRef: string, environment?: string): Promise<StoredRule[]>;
  get(id: string): Promise<StoredRule | undefined>;
  /** How many rules a service has, over all environments. */
  count(serviceRef: string): Promise<number>;
  /** How many rules use a template. */
  countByTemplate(templateId: string): Promise<number>;
  /** The services and environments with rules of a template. */
  usesOfTemplate(
    templateId: string,
  ): Promise<Array<{ serviceRef: string; environment: string }>>;
  /** @returns false when the service already has a rule of that name in the environment */
  insert(rule: StoredRule): Promise<boolean>;
  /** @returns false when another rule of the service has that name in the environment */
  update(rule: StoredRule): Promise<boolean>;
  delete(id: string): Promise<void>;
  group(
    serviceRef: string,
    environment: string,
  ): Promise<StoredGroupDelivery | undefined>;
  setGroup(delivery: StoredGroupDelivery): Promise<void>;
  /** The groups whose last delivery did not succeed (or never finished). */
  undelivered(): Promise<StoredGroupDelivery[]>;
}
