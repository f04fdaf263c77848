import { HttpAuthService } from '@backstage/backend-plugin-api';
import { K2ClusterAccess } from '@internal/plugin-k2-node';
import express from 'express';
import { CanaryService } from './canaries/CanaryService';
import { ReleaseStore } from './database/ReleaseStore';
import { InstanceActionsService } from './instances/InstanceActionsService';
import { InstanceEventsService } from './instances/InstanceEventsService';
import { InstanceHistoryService } from './instances/InstanceHistoryService';
import { InstanceLogsService } from './instances/InstanceLogsService';
import { InstanceUsageService } from './instances/InstanceUsageService';
import { AdoptionService } from './releases/AdoptionService';
import { ReleaseDriver } from './releases/ReleaseDriver';
import { ReleaseEngine } from './releases/ReleaseEngine';
import { ReleaseMounts } from './releases/ReleaseMounts';
import { RegistryTagsService } from './registries/RegistryTagsService';
import { adoptionRoutes } from './routes/adoption';
import { canaryRoutes } from './routes/canaries';
import { createDeployRouter } from './routes/contract';
import { imageTagRoutes } from './routes/imageTags';
import { instanceRoutes } from './routes/instances';
import { releaseRoutes } from './routes/releases';
import { runtimeRoutes } from './routes/runtime';
import { shellRoutes } from './routes/shell';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';
import { ShellService } from './shell/ShellService';

/**
 * The Deploy API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  access: K2ClusterAccess;
  runtime: ServiceRuntimeService;
  engine: ReleaseEngine;
  mounts: ReleaseMounts;
  canaries: CanaryService;
  adoption: AdoptionService;
  driver: ReleaseDriver;
  store: ReleaseStore;
  instanceHistory: InstanceHistoryService;
  instanceEvents: InstanceEventsService;
  instanceLogs: InstanceLogsService;
  instanceUsage: InstanceUsageService;
  instanceActions: InstanceActionsService;
  registryTags: RegistryTagsService;
  shell: ShellService;
}): Promise<express.Router> {
  const router = createDeployRouter();
  runtimeRoutes(router, options);
  releaseRoutes(router, options);
  canaryRoutes(router, options);
  adoptionRoutes(router, options);
  instanceRoutes(router, options);
  imageTagRoutes(router, options);
  shellRoutes(router, options);
  return router;
}
