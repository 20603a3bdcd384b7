import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare-runs.ts';
import { handA, handB, handTest } from '../test/compare-example.ts';
import { flipsCsv, perClassCsv } from './csv.ts';

// The hand-made example (src/engine/test/compare-example.ts), with a class name that needs quoting.
const [test, a, b] = [handTest, handA, handB];
const names = ['zero', 'one, "1"', 'two'];

describe('a comparison as CSV', () => {
  const comparison = compareRuns(test, a, b);

  it('writes the per-class figures in class order, names quoted where needed', () => {
    expect(perClassCsv(comparison, names)).toBe(
      [
        'class,name,images,correctA,correctB,accuracyA,accuracyB,change',
        '0,zero,3,2,3,0.666667,1,0.333333',
        '1,"one, ""1""",3,2,1,0.666667,0.333333,-0.333333',
        '2,two,2,2,1,1,0.5,-0.5',
        '',
      ].join('\r\n'),
    );
  });

  it('writes one row per flip, in split order, with the kind and the true-class probabilities', () => {
    expect(flipsCsv(comparison, names)).toBe(
      [
        'index,label,labelName,a,aName,b,bName,kind,truthA,truthB,truthChange',
        // 51/255 = 0.2, 153/255 = 0.6, 204/255 = 0.8, 102/255 = 0.4, 25/255 = 0.0980..
        '1,0,zero,1,"one, ""1""",0,zero,gained,0.2,0.6,0.4',
        '4,1,"one, ""1""",1,"one, ""1""",0,zero,lost,0.8,0.2,-0.6',
        '5,1,"one, ""1""",2,two,0,zero,other,0.4,0.098,-0.302',
        '7,2,two,2,two,1,"one, ""1""",lost,0.6,0.4,-0.2',
        '',
      ].join('\r\n'),
    );
    const { confidence: _none, ...older } = a;
    const withoutConfidence = flipsCsv(compareRuns(test, older, b), names).split('\r\n');
    expect(withoutConfidence[1]).toBe('1,0,zero,1,"one, ""1""",0,zero,gained,,,');
  });
});
