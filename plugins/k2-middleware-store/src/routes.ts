import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The route of the App Store page (`/k2/middleware`); the tab links to it. */
export const middlewarePageRouteRef = createRouteRef();
