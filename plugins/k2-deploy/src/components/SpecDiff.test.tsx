import { diffRows, specLines } from './SpecDiff';

describe('SpecDiff', () => {
  it('flattens a spec into sorted path: value lines', () => {
    expect(specLines({ b: 1, a: { y: [1, 2], x: {} } })).toEqual([
      'a.x: {}',
      'a.y.0: 1',
      'a.y.1: 2',
      'b: 1',
    ]);
  });

  it('puts a changed value on one row, old left and new right', () => {
    const rows = diffRows(
      ['image: "app:1"', 'port: 8080', 'replicas: 2'],
      ['image: "app:2"', 'port: 8080', 'replicas: 2', 'x: 1'],
    );
    expect(rows).toEqual([
      { left: 'image: "app:1"', right: 'image: "app:2"', changed: true },
      { left: 'port: 8080', right: 'port: 8080', changed: false },
      { left: 'replicas: 2', right: 'replicas: 2', changed: false },
      { right: 'x: 1', changed: true },
    ]);
  });
});
