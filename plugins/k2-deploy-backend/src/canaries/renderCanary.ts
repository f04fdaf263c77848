import { LABEL_TRACK, TRACK_CANARY } from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';
import {
  renderManifests,
  RenderTarget,
  selectorLabels,
} from '../releases/renderManifests';

/** The canary Deployment of a service's Deployment `name`. */
export function canaryName(name: string): string {
  return `${name}-canary`;
}

/**
 * The canary Deployment of one cluster: the stable release's Deployment as
 * {@link renderManifests} renders it from `spec` (the stable spec with the canary's
 * image and replicas), named `<name>-canary`, its selector and pod labels carrying
 * `k2.io/track: canary` besides the stable ones. So its pods are the service's
 * instances (the stable selector's labels, `k2.io/traffic: on`) while the canary
 * Deployment never adopts a stable pod, and K2's Nginx can route them apart. Only the
 * Deployment: the Namespace, the Service and the autoscaler stay the stable release's.
 */
export function renderCanary(
  spec: Parameters<typeof renderManifests>[0],
  target: RenderTarget,
): KubeObject {
  const deployment = renderManifests(
    { ...spec, autoscaling: undefined },
    target,
  ).find(o => o.kind === 'Deployment')!;
  const track = { [LABEL_TRACK]: TRACK_CANARY };
  return {
    ...deployment,
    metadata: {
      ...deployment.metadata,
      name: canaryName(spec.name),
      labels: { ...deployment.metadata.labels, ...track },
    },
    spec: {
      ...deployment.spec,
      selector: {
        matchLabels: { ...selectorLabels(spec, target.environment), ...track },
      },
      template: {
        ...deployment.spec.template,
        metadata: {
          ...deployment.spec.template.metadata,
          labels: { ...deployment.spec.template.metadata.labels, ...track },
        },
      },
    },
  };
}
