import { useEffect, useState } from 'react';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import CopyIcon from '@material-ui/icons/FileCopyOutlined';
import { useBuildsT } from '../translation';

/** Copies `text` (a digest) to the clipboard; says "Copied" for a moment after. */
export function CopyButton(props: { text: string; label: string }) {
  const t = useBuildsT();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return undefined;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <Tooltip title={copied ? t('history.copied') : props.label}>
      <IconButton
        size="small"
        aria-label={props.label}
        onClick={event => {
          // A row opens its build on click; copying does not.
          event.stopPropagation();
          navigator.clipboard
            ?.writeText(props.text)
            .then(() => setCopied(true))
            .catch(() => setCopied(false));
        }}
      >
        <CopyIcon fontSize="inherit" />
      </IconButton>
    </Tooltip>
  );
}
