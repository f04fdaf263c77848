import { Route, Routes } from 'react-router-dom';
import { AlertsPage } from '../AlertsPage';
import { TeamSettingsPage } from './TeamSettingsPage';

/**
 * The Alerts pages under `/k2/alerts`: the team overview, and a team's alert settings
 * at `settings?team=<group ref>` (a link in a chat message can point at either).
 */
export function AlertsPageRoutes() {
  return (
    <Routes>
      <Route path="settings" element={<TeamSettingsPage />} />
      <Route path="*" element={<AlertsPage />} />
    </Routes>
  );
}
