import { ComponentProps, lazy, Suspense } from 'react';
import { Progress } from '@backstage/core-components';

const CodeView = lazy(() => import('./CodeView'));

/** {@link CodeView}, its CodeMirror loaded with the first one shown. */
export function LazyCodeView(props: ComponentProps<typeof CodeView>) {
  return (
    <Suspense fallback={<Progress />}>
      <CodeView {...props} />
    </Suspense>
  );
}
