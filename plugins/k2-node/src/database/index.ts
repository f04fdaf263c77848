/**
 * A timestamp column as ISO 8601: PostgreSQL returns Dates, SQLite the strings K2
 * wrote; a null column is undefined.
 */
export function isoTimestamp(value: Date | string): string;
export function isoTimestamp(value: Date | string | null): string | undefined;
export function isoTimestamp(value: Date | string | null) {
  if (value === null) return undefined;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/**
 * Whether a write lost a race on a unique key or primary key (another backend replica,
 * or another request, wrote the same row first): PostgreSQL's unique_violation, SQLite's
 * constraint errors.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}
