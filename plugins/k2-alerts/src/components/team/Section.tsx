import { ReactNode } from 'react';
import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';

/**
 * One section of the settings page: an `InfoCard` that is a named region (so a reader
 * and a test find "Quiet hours" by its name), with the refusal of a save that names
 * this section under its content.
 */
export function Section(props: {
  title: string;
  subheader?: string;
  refusal?: string;
  children: ReactNode;
}) {
  return (
    <Box component="section" aria-label={props.title} height="100%">
      <InfoCard title={props.title} subheader={props.subheader}>
        {props.children}
        {props.refusal && (
          <Typography
            role="alert"
            color="error"
            variant="body2"
            style={{ marginTop: 8 }}
          >
            {props.refusal}
          </Typography>
        )}
      </InfoCard>
    </Box>
  );
}
