/**
 * Test helpers: a real nginx master on loopback with upstreams and requests through it
 * (`nginx.ts`), and a stand-in for K2's agent endpoints (`standInK2.ts`).
 */
export * from './nginx';
export * from './standInK2';
export * from './bundles';
