import { useMemo, useState } from 'react';
import { K2ReleasePreview } from '@internal/plugin-k2-common';
import { LineDiff, Mono } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useDeployT } from '../translation';
import { shortDigest } from './format';
import { SpecDiff, specDiffLines } from './SpecDiff';

const nowrap = { whiteSpace: 'nowrap' } as const;
/** Values may be long (image references, JVM options): monospace, wrapped anywhere. */
const code = { fontFamily: 'monospace', wordBreak: 'break-all' } as const;

/** A value of the first release's table, or a dash for none. */
function Value({ text }: { text?: string }) {
  return text === undefined ? <>—</> : <span style={code}>{text}</span>;
}

/** What the registry said of the image: found (with its digest), or not checked. */
function ImageCheckLine(props: { preview: K2ReleasePreview }) {
  const t = useDeployT();
  const check = props.preview.imageCheck;
  if (!check) return null;
  return (
    <Typography variant="body2" color="textSecondary" gutterBottom>
      {check.status === 'found' && check.digest
        ? t('releasePreview.imageFound', {
            registry: check.registry,
            digest: shortDigest(check.digest),
          })
        : t('releasePreview.imageNotChecked', { registry: check.registry })}
    </Typography>
  );
}

/**
 * The release form's preview step: the spec the backend resolved for the release
 * (secrets masked) against the release that runs, in the spec diff's own lines and
 * view (changes only, context on request), and in {@link SpecDiff}'s wide dialog on
 * request. When the backend finds no change it says plainly that releasing is a
 * redeploy; before the first release, it shows what the release would run. Either
 * way it says whether the registry has the image.
 */
export function ReleasePreviewView(props: { preview: K2ReleasePreview }) {
  const t = useDeployT();
  const { current, changes, spec } = props.preview;
  const [comparing, setComparing] = useState(false);
  const number = String(props.preview.number);
  // The lines SpecDiff compares: replicas with their split, variables by name,
  // secrets masked and told apart by version.
  const olderLines = useMemo(
    () => (current ? specDiffLines(current.spec) : []),
    [current],
  );
  const newerLines = useMemo(() => specDiffLines(spec), [spec]);

  if (!current) {
    return (
      <>
        <Typography variant="body2" role="status" gutterBottom>
          {t('releasePreview.first', { number })}
        </Typography>
        <ImageCheckLine preview={props.preview} />
        <Table size="small" aria-label={t('releasePreview.whatRuns')}>
          <TableBody>
            <TableRow>
              <TableCell component="th" scope="row" style={nowrap}>
                {t('overview.image')}
              </TableCell>
              <TableCell>
                <Value text={spec.image} />
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row" style={nowrap}>
                {t('releaseDialog.replicas')}
              </TableCell>
              <TableCell>
                {spec.replicas}
                {spec.clusters.length > 1 &&
                  ` (${spec.clusters
                    .map(c => `${c.name}: ${c.replicas}`)
                    .join(', ')})`}
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row" style={nowrap}>
                {t('releaseDialog.cpu')}
              </TableCell>
              <TableCell>
                <Mono>{spec.resources.limits.cpu}</Mono>
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row" style={nowrap}>
                {t('releaseDialog.memory')}
              </TableCell>
              <TableCell>
                <Mono>{spec.resources.limits.memory}</Mono>
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row" style={nowrap}>
                {t('releaseDialog.env')}
              </TableCell>
              <TableCell>
                <Value
                  text={
                    spec.env.length
                      ? spec.env.map(e => e.name).join(', ')
                      : undefined
                  }
                />
              </TableCell>
            </TableRow>
          </TableBody>
        </Table>
      </>
    );
  }

  const running = String(current.number);
  return (
    <>
      {changes.length === 0 ? (
        <Box role="status">
          <Typography variant="subtitle1" component="p">
            <strong>{t('releasePreview.noChange')}</strong>
          </Typography>
          <Typography variant="body2" color="textSecondary">
            {t('releasePreview.redeploy', { number, running })}
          </Typography>
        </Box>
      ) : (
        <>
          <Typography variant="body2" role="status" gutterBottom>
            {t('releasePreview.changes', { number, running })}
          </Typography>
          <LineDiff
            older={olderLines}
            newer={newerLines}
            olderLabel={t('releasePreview.runs', { running })}
            newerLabel={t('releasePreview.becomes', { number })}
            label={t('releasePreview.label')}
          />
        </>
      )}
      <ImageCheckLine preview={props.preview} />
      <Box mt={1}>
        <Button size="small" onClick={() => setComparing(true)}>
          {t('releasePreview.compare', { running })}
        </Button>
      </Box>
      {comparing && (
        <SpecDiff
          older={current}
          newer={{ ...current, number: props.preview.number, spec }}
          onClose={() => setComparing(false)}
        />
      )}
    </>
  );
}
