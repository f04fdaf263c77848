/**
 * Test helpers: a real nginx master on loopback with upstreams and requests through it
 * (`nginx.ts`), the agent as a process (`agentProcess.ts`), and a stand-in for K2's
 * agent endpoints for the faults the real backend cannot produce (`standInK2.ts`,
 * `bundles.ts`). K2's real Traffic backend is in `trafficBackend.ts`, imported only by
 * the tests that start it (it loads a whole Backstage backend).
 */
export * from './agentProcess';
export * from './bundles';
export * from './nginx';
export * from './standInK2';
