import { lazy, Suspense, useEffect, useState } from 'react';
import { Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  checkConfigFormat,
  K2ConfigFormat,
  K2ConfigFormatError,
} from '@internal/plugin-k2-config-common';
import { useConfigT } from '../../translation';

/** CodeMirror and its languages load with the first editor shown, not the tab. */
const CodeEditor = lazy(() => import('./CodeEditor'));

/** How long the format check waits after the last keystroke. */
export const FORMAT_CHECK_DELAY_MS = 300;

/**
 * The format check of `text` as the user types: run `FORMAT_CHECK_DELAY_MS` after the
 * last change with the same `checkConfigFormat` the backend runs on save. `checking`
 * is true while the answer shown is for an older text, so nothing is saved on the
 * strength of a check that has not seen the latest keystroke.
 */
export function useFormatCheck(
  format: K2ConfigFormat,
  text: string,
): { problem?: K2ConfigFormatError; checking: boolean } {
  const [checked, setChecked] = useState<{
    format: K2ConfigFormat;
    text: string;
    problem?: K2ConfigFormatError;
  }>(() => ({ format, text, problem: checkConfigFormat(format, text) }));
  useEffect(() => {
    if (checked.text === text && checked.format === format) return undefined;
    const timer = setTimeout(
      () =>
        setChecked({ format, text, problem: checkConfigFormat(format, text) }),
      FORMAT_CHECK_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [format, text, checked]);
  return {
    problem: checked.problem,
    checking: checked.text !== text || checked.format !== format,
  };
}

/**
 * A config file's content in the code editor, with the problem of its format check
 * (or the server's refusal) marked on its line and said under the editor, naming the
 * line: "Line 3: …". Read-only without `onChange`.
 */
export function ConfigEditor(props: {
  value: string;
  format: K2ConfigFormat;
  label: string;
  problem?: K2ConfigFormatError;
  onChange?(value: string): void;
}) {
  const t = useConfigT();
  const { problem } = props;
  return (
    <>
      <Box border={1} borderColor="divider" borderRadius={4} overflow="hidden">
        <Suspense fallback={<Progress />}>
          <CodeEditor
            value={props.value}
            format={props.format}
            label={props.label}
            readOnly={!props.onChange}
            onChange={props.onChange}
            problem={problem}
          />
        </Suspense>
      </Box>
      {problem && (
        <Typography role="alert" color="error" variant="body2">
          {problem.column
            ? t('editor.problemAt', {
                line: String(problem.line),
                column: String(problem.column),
                message: problem.message,
              })
            : t('editor.problem', {
                line: String(problem.line),
                message: problem.message,
              })}
        </Typography>
      )}
    </>
  );
}
