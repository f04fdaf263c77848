import { ReactNode } from 'react';
import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';

/**
 * The four states of every data view, in one order: the error (when nothing was
 * loaded), loading (nothing yet), empty (with the next step in `emptyAction` or the
 * description), then the content. A refresh that fails after a first answer keeps the
 * last answer on screen. The empty state is core-components' `EmptyState` for a whole
 * view, or one line of text (`inline`) inside a card or a drawer.
 */
export function ViewState<T>(props: {
  value?: T;
  error?: Error;
  isEmpty(value: T): boolean;
  emptyTitle: string;
  emptyDescription?: string;
  emptyAction?: JSX.Element;
  inline?: boolean;
  children(value: T): ReactNode;
}) {
  const { value, error } = props;
  if (value === undefined) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  if (props.isEmpty(value)) {
    if (props.inline) {
      return (
        <Typography variant="body2" color="textSecondary">
          {props.emptyTitle}
          {props.emptyDescription ? ` ${props.emptyDescription}` : ''}
        </Typography>
      );
    }
    return (
      <EmptyState
        missing="data"
        title={props.emptyTitle}
        description={props.emptyDescription}
        action={props.emptyAction}
      />
    );
  }
  return <>{props.children(value)}</>;
}
