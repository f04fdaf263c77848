import Typography from '@material-ui/core/Typography';

/** The server's message for a refused action, inline in a dialog. */
export function ErrorText({ error }: { error: Error }) {
  const body = (error as { body?: { error?: { message?: string } } }).body;
  return (
    <Typography
      role="alert"
      color="error"
      variant="body2"
      style={{ marginTop: 16 }}
    >
      {body?.error?.message ?? error.message}
    </Typography>
  );
}
