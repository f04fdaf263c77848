import Typography from '@material-ui/core/Typography';

/**
 * The server's refusal inline (a dialog, a form): its own message, never a bare status
 * code. Reads the message of a `ResponseError`'s body when there is one.
 */
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
