import { Knex } from 'knex';
import { isoTimestamp } from '@internal/plugin-k2-node';
import { migrate, PluginDatabase } from '../database/migrations';
import { TeamAlertSettings } from './TeamSettings';

const TABLE = 'k2_alert_team_settings';

export interface StoredTeamSettings {
  settings: TeamAlertSettings;
  updatedAt: string;
  updatedBy: string;
}

/** Team alert settings by lowercased group ref, one row per team. */
export class TeamSettingsStore {
  readonly #knex: Knex;

  static async create(options: PluginDatabase): Promise<TeamSettingsStore> {
    return new TeamSettingsStore(await migrate(options));
  }

  private constructor(knex: Knex) {
    this.#knex = knex;
  }

  async get(teamRef: string): Promise<StoredTeamSettings | undefined> {
    const row = await this.#knex(TABLE).where({ team_ref: teamRef }).first();
    if (!row) return undefined;
    return {
      settings: JSON.parse(row.settings),
      updatedAt: isoTimestamp(row.updated_at),
      updatedBy: row.updated_by,
    };
  }

  async put(
    teamRef: string,
    settings: TeamAlertSettings,
    by: string,
  ): Promise<StoredTeamSettings> {
    const updatedAt = new Date().toISOString();
    await this.#knex(TABLE)
      .insert({
        team_ref: teamRef,
        settings: JSON.stringify(settings),
        updated_at: updatedAt,
        updated_by: by,
      })
      .onConflict('team_ref')
      .merge();
    return { settings, updatedAt, updatedBy: by };
  }
}
