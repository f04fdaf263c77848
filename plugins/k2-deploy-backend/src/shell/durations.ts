/**
 * A duration as messages say it: whole hours or minutes when it is one ("2 hours",
 * "15 minutes", "1 minute"), else seconds ("90 seconds", "0.3 seconds").
 */
export function describeDuration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms >= 3600_000 && ms % 3600_000 === 0) return unit(ms / 3600_000, 'hour');
  if (ms >= 60_000 && ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  const seconds = Math.round(ms / 100) / 10;
  return unit(seconds, 'second');
}
