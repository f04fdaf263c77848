import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';
import { k2CatalogModule } from './modules/k2';
import { k2TranslationsModule } from './modules/translations';

export default createApp({
  features: [
    catalogPlugin,
    navModule,
    signInModule,
    k2CatalogModule,
    k2TranslationsModule,
  ],
});
