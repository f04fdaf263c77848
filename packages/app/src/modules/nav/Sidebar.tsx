import {
  Sidebar,
  SidebarDivider,
  SidebarGroup,
  SidebarItem,
  SidebarScrollWrapper,
  SidebarSpace,
} from '@backstage/core-components';
import { NavContentBlueprint } from '@backstage/plugin-app-react';
import { SidebarLogo } from './SidebarLogo';
import MenuIcon from '@material-ui/icons/Menu';
import SearchIcon from '@material-ui/icons/Search';
import { SidebarSearchModal } from '@backstage/plugin-search';
import { UserSettingsSignInAvatar } from '@backstage/plugin-user-settings';
import { NotificationsSidebarItem } from '@backstage/plugin-notifications';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2AppTranslationRef } from '../translations/translation';

/**
 * The nav items' words by page extension id. A page gives its nav item a plain
 * English title, so the nav names the pages it knows in the chosen language and
 * shows any other page by its own title.
 */
const PAGE_TITLES = {
  'page:catalog': 'nav.pages.catalog',
  'page:scaffolder': 'nav.pages.scaffolder',
  'page:api-docs': 'nav.pages.apiDocs',
  'page:catalog-graph': 'nav.pages.catalogGraph',
  'page:user-settings': 'nav.pages.userSettings',
  'page:k2-alerts': 'nav.pages.alerts',
  'page:k2-middleware-store': 'nav.pages.middleware',
} as const;

export const SidebarContent = NavContentBlueprint.make({
  params: {
    component: function K2Nav({ navItems }) {
      const { t } = useTranslationRef(k2AppTranslationRef);
      const nav = navItems.withComponent(item => {
        const key = PAGE_TITLES[item.node.spec.id as keyof typeof PAGE_TITLES];
        return (
          <SidebarItem
            icon={() => item.icon}
            to={item.href}
            text={key ? t(key) : item.title}
          />
        );
      });

      // Skipped items
      nav.take('page:search'); // Using search modal instead
      nav.take('page:notifications'); // Using NotificationsSidebarItem manually instead

      return (
        <Sidebar>
          <SidebarLogo />
          <SidebarGroup
            label={t('nav.search')}
            icon={<SearchIcon />}
            to="/search"
          >
            <SidebarSearchModal />
          </SidebarGroup>
          <SidebarDivider />
          <SidebarGroup label={t('nav.menu')} icon={<MenuIcon />}>
            {nav.take('page:catalog')}
            {nav.take('page:scaffolder')}
            <SidebarDivider />
            <SidebarScrollWrapper>
              {nav.rest({ sortBy: 'title' })}
            </SidebarScrollWrapper>
          </SidebarGroup>
          <SidebarSpace />
          <SidebarDivider />
          <NotificationsSidebarItem text={t('nav.notifications')} />
          <SidebarDivider />
          <SidebarGroup
            label={t('nav.settings')}
            icon={<UserSettingsSignInAvatar />}
            to="/settings"
          >
            {nav.take('page:user-settings')}
          </SidebarGroup>
        </Sidebar>
      );
    },
  },
});
