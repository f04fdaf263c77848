import { useEffect, useMemo, useState } from 'react';
import CodeMirror, { EditorView, Extension } from '@uiw/react-codemirror';
import { StreamLanguage } from '@codemirror/language';
import { properties } from '@codemirror/legacy-modes/mode/properties';
import { json } from '@codemirror/lang-json';
import { xml } from '@codemirror/lang-xml';
import { yaml } from '@codemirror/lang-yaml';
import { Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { useTheme } from '@material-ui/core/styles';
import {
  K2ConfigFormat,
  K2ConfigFormatError,
} from '@internal/plugin-k2-config-common';

/** Syntax highlighting per format; plain text has none. */
function language(format: K2ConfigFormat): Extension[] {
  switch (format) {
    case 'yaml':
      return [yaml()];
    case 'json':
      return [json()];
    case 'xml':
      return [xml()];
    // CodeMirror's properties mode reads `key = value`, `key: value`, `#`/`;`
    // comments and `[section]` headers: Java properties and INI alike.
    case 'properties':
    case 'ini':
      return [StreamLanguage.define(properties)];
    default:
      return [];
  }
}

/** The problem as a lint diagnostic on its line (its column when known). */
function diagnostic(
  view: EditorView,
  problem: K2ConfigFormatError,
): Diagnostic {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(problem.line, 1), doc.lines));
  const from = problem.column
    ? Math.min(line.from + problem.column - 1, line.to)
    : line.from;
  return {
    from,
    to: from === line.to ? line.to : Math.max(from + 1, line.to),
    severity: 'error',
    message: problem.message,
  };
}

/**
 * A config file's text in CodeMirror 6 (the editor the scaffolder uses): line numbers,
 * highlighting for `format`, and `problem` drawn as an error diagnostic on its line
 * (the gutter marks it, hovering shows the message). The problem comes from the caller
 * (the format check as the user types, or the server's refusal), so what the editor
 * marks and what the caller says under it are one answer. Loaded lazily
 * (`LazyCodeEditor`): the tab's first render does not pay for CodeMirror.
 */
export default function CodeEditor(props: {
  value: string;
  format: K2ConfigFormat;
  /** The editor's accessible name ("application.yaml content"). */
  label: string;
  readOnly?: boolean;
  problem?: K2ConfigFormatError;
  onChange?(value: string): void;
}) {
  const theme = useTheme();
  const [view, setView] = useState<EditorView>();
  const { label, format, readOnly } = props;
  const extensions = useMemo(
    () => [
      ...language(format),
      lintGutter(),
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.theme({ '&': { fontSize: '0.8125rem' } }),
    ],
    [format, label],
  );

  const { problem } = props;
  useEffect(() => {
    if (!view) return;
    view.dispatch(
      setDiagnostics(view.state, problem ? [diagnostic(view, problem)] : []),
    );
  }, [view, problem, props.value]);

  return (
    <CodeMirror
      value={props.value}
      onChange={props.onChange}
      onCreateEditor={setView}
      extensions={extensions}
      readOnly={readOnly}
      editable={!readOnly}
      theme={theme.palette.type === 'dark' ? 'dark' : 'light'}
      minHeight="240px"
      maxHeight="60vh"
      basicSetup={{ foldGutter: false, autocompletion: false }}
    />
  );
}
