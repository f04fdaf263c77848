/**
 * A React development warning K2's tests tolerate because K2 cannot fix it: code
 * outside K2 prints it whatever K2 renders. `says` matches the whole printed message
 * (component stack included); `reason` says why it is not K2's.
 */
export interface AllowedWarning {
  says: RegExp;
  reason: string;
}

/**
 * React warnings printed by the libraries K2 builds on, whatever K2 renders; the one
 * list every K2 package's tests share. Keep it to what K2 cannot change.
 */
export const THIRD_PARTY_REACT_WARNINGS: AllowedWarning[] = [
  {
    says: /^Warning: findDOMNode is deprecated and will be removed in the next major release\./,
    reason:
      "MUI v4's Tooltip and transitions call ReactDOM.findDOMNode on every render, and React 18.3 warns on each call; K2's own code never calls it",
  },
  {
    says: /^Warning: (MTable\w+|Connect\((Droppable|Draggable)\)): Support for defaultProps will be removed from (function|memo) components/,
    reason:
      "core-components' Table is material-table (@material-table/core) on react-beautiful-dnd, whose components declare defaultProps, which React 18.3 warns about; K2's components declare none",
  },
];

/** What React prints for a development warning: `Warning: …` on console.error or warn. */
const REACT_WARNING = /^Warning: /;

/** `console` substitutions (%s, %d, %o …) filled in the way the console fills them. */
function format(args: unknown[]): string {
  const [first, ...rest] = args;
  if (typeof first !== 'string') return args.map(String).join(' ');
  let message = first.replace(/%[sdifoOjc%]/g, token => {
    if (token === '%%') return '%';
    if (rest.length === 0) return token;
    const value = rest.shift();
    if (token === '%c') return '';
    if (token === '%o' || token === '%O' || token === '%j') {
      try {
        return JSON.stringify(value);
      } catch {
        return String(value);
      }
    }
    return String(value);
  });
  if (rest.length > 0) message += ` ${rest.map(String).join(' ')}`;
  return message;
}

/**
 * Makes every test of a Jest run fail on a React development warning — a `<div>`
 * inside a `<p>`, a list without keys, an update outside `act(…)`, an unknown prop on
 * a DOM element — which the production build the end-to-end tests run never prints.
 * Called once from a package's `setupTests.ts`. `console.error` and `console.warn`
 * still print everything; a warning printed during a test fails that test (after it
 * ran, with every warning it caused), one printed after the last test fails the file.
 * The `allowed` warnings (by default {@link THIRD_PARTY_REACT_WARNINGS}) are let through.
 */
export function failOnReactWarnings(
  allowed: AllowedWarning[] = THIRD_PARTY_REACT_WARNINGS,
): void {
  let caught: string[] = [];
  const watch = (print: (...args: unknown[]) => void) =>
    function watched(...args: unknown[]) {
      const message = format(args);
      if (
        REACT_WARNING.test(message) &&
        !allowed.some(warning => warning.says.test(message))
      ) {
        caught.push(message);
      }
      print(...args);
    };
  // The console is what React warns on: it is wrapped, never silenced.
  /* eslint-disable no-console */
  console.error = watch(console.error.bind(console));
  console.warn = watch(console.warn.bind(console));
  /* eslint-enable no-console */
  const check = () => {
    const warnings = caught;
    caught = [];
    if (warnings.length > 0) {
      const advice =
        'fix the component (or, for code K2 cannot change, allow the warning with its reason)';
      throw new Error(
        `React warned ${warnings.length} time(s); ${advice}:\n\n${warnings.join(
          '\n\n',
        )}`,
      );
    }
  };
  afterEach(check);
  afterAll(check);
}
