import { ShellCommand } from './ShellSessionStore';

/** Lines kept per session, and characters kept per line. */
export const MAX_COMMANDS = 1000;
export const MAX_LINE = 1000;

/**
 * The lines a user typed, rebuilt from a terminal's input as a line editor would see
 * it: printable characters are kept, backspace and DEL erase one, Ctrl-U clears the
 * line, CR or LF ends it, escape sequences (arrow keys, function keys, bracketed paste
 * marks) and other control characters are dropped. Empty lines are not recorded.
 * It records what was typed, not what the shell ran: history recall and tab completion
 * happen inside the container and are not seen here.
 */
export class CommandRecorder {
  readonly #commands: ShellCommand[] = [];
  #line = '';
  /** Where an escape sequence is being skipped: after ESC, or inside CSI/OSC. */
  #escape: 'none' | 'esc' | 'csi' | 'osc' | 'osc-esc' = 'none';

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The lines so far, oldest first (at most {@link MAX_COMMANDS}). */
  get commands(): ShellCommand[] {
    return [...this.#commands];
  }

  write(input: string) {
    for (const c of input) this.#char(c);
  }

  #char(c: string) {
    const code = c.codePointAt(0)!;
    switch (this.#escape) {
      case 'esc':
        // CSI (ESC [) and SS3 (ESC O, one more byte) end at a final byte; OSC (ESC ])
        // at BEL or ESC \; anything else is a two-character sequence.
        if (c === '[' || c === 'O') this.#escape = 'csi';
        else if (c === ']') this.#escape = 'osc';
        else this.#escape = 'none';
        return;
      case 'csi':
        // Parameters and intermediates, up to the final byte @..~.
        if (code >= 0x40 && code <= 0x7e) this.#escape = 'none';
        return;
      case 'osc':
        if (c === '\x07') this.#escape = 'none';
        else if (c === '\x1b') this.#escape = 'osc-esc';
        return;
      case 'osc-esc':
        this.#escape = c === '\\' ? 'none' : 'osc';
        return;
      default:
    }
    if (c === '\x1b') {
      this.#escape = 'esc';
    } else if (c === '\r' || c === '\n') {
      this.#endLine();
    } else if (c === '\x7f' || c === '\b') {
      this.#line = [...this.#line].slice(0, -1).join('');
    } else if (c === '\x15') {
      this.#line = '';
    } else if (c === '\x03') {
      // Ctrl-C: the shell drops the line.
      this.#line = '';
    } else if (
      code >= 0x20 &&
      code !== 0x7f &&
      !(code >= 0x80 && code < 0xa0)
    ) {
      if (this.#line.length < MAX_LINE) this.#line += c;
    }
  }

  #endLine() {
    const line = this.#line.trim();
    this.#line = '';
    if (!line || this.#commands.length >= MAX_COMMANDS) return;
    this.#commands.push({ at: this.now().toISOString(), line });
  }
}
