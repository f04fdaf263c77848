/**
 * Test helpers for sandbox clusters: a small HTTP client, a watch reader and a polling
 * helper (`http.ts`), and the real kubectl with a kubeconfig for the clusters
 * (`kubectl.ts`).
 */
export * from './http';
export * from './kubectl';
