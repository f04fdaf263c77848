import { useMemo } from 'react';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { useTheme } from '@material-ui/core/styles';

/**
 * Text in CodeMirror 6, as the Config tab edits files: the rendered rule group (YAML,
 * read-only) and a rule's PromQL (plain, editable). Named for screen readers by
 * `label`. Loaded lazily (`LazyCodeView`), so the tab does not pay for CodeMirror
 * until a dialog shows it.
 */
export default function CodeView(props: {
  value: string;
  label: string;
  language?: 'yaml';
  onChange?(value: string): void;
  minHeight?: string;
}) {
  const theme = useTheme();
  const { label, language } = props;
  const readOnly = !props.onChange;
  const extensions = useMemo(
    () => [
      ...(language === 'yaml' ? [yaml()] : []),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.theme({ '&': { fontSize: '0.8125rem' } }),
    ],
    [label, language],
  );
  return (
    <CodeMirror
      value={props.value}
      onChange={props.onChange}
      extensions={extensions}
      readOnly={readOnly}
      editable={!readOnly}
      theme={theme.palette.type === 'dark' ? 'dark' : 'light'}
      minHeight={props.minHeight}
      maxHeight="40vh"
      basicSetup={{
        foldGutter: false,
        autocompletion: false,
        highlightActiveLine: !readOnly,
      }}
    />
  );
}
