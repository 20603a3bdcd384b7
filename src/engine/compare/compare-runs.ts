/**
 * Two runs on the same test images, image by image: per-class accuracy and its change, each
 * run's confusion matrix and their difference, the images whose prediction changed, and
 * McNemar's paired test of what B loses and gains against A.
 */
import { comparePaired, type PairedComparison } from '../stats/mcnemar.ts';
import { checkComparable, type ComparedRun, type ComparedTest } from './compared-run.ts';
import { confusionDifference, confusionMatrix, type ConfusionMatrix } from './confusion.ts';
import { findFlips, flipKind, type Flip } from './flips.ts';
import { correctPerClass, perClassChanges, type ClassChange } from './per-class.ts';

/** One run's figures in a comparison. */
export interface RunBehaviour {
  readonly correct: number;
  readonly total: number;
  /** Images of each class it gets right (index = class). */
  readonly perClass: number[];
  /** Row = true class, column = predicted class. */
  readonly confusion: ConfusionMatrix;
}

export interface RunComparison {
  readonly a: RunBehaviour;
  readonly b: RunBehaviour;
  /** Every class, the ones B lost most on first. */
  readonly perClass: ClassChange[];
  /** B's confusion matrix less A's. */
  readonly confusionDifference: ConfusionMatrix;
  /** Images B gets wrong that A gets right (lost) and the reverse (gained), with McNemar's p. */
  readonly paired: PairedComparison;
  /** Every image whose prediction changed, in split order. */
  readonly flips: Flip[];
  /** The flips B lost (A right, B wrong) and gained (A wrong, B right), in split order. */
  readonly lost: Flip[];
  readonly gained: Flip[];
}

function behaviour(test: ComparedTest, predicted: Uint16Array): RunBehaviour {
  const perClass = correctPerClass(test.labels, predicted, test.classCount);
  return {
    correct: perClass.reduce((sum, c) => sum + c, 0),
    total: test.labels.length,
    perClass,
    confusion: confusionMatrix(test.labels, predicted, test.classCount),
  };
}

/** Compares run B with run A on `test`; refuses runs on different data sets, naming both. */
export function compareRuns(test: ComparedTest, a: ComparedRun, b: ComparedRun): RunComparison {
  const [checkedA, checkedB] = checkComparable(test, a, b);
  const behaviourA = behaviour(test, checkedA.predicted);
  const behaviourB = behaviour(test, checkedB.predicted);
  const flips = findFlips(
    test.labels,
    checkedA.predicted,
    checkedB.predicted,
    checkedA.confidence,
    checkedB.confidence,
  );
  return {
    a: behaviourA,
    b: behaviourB,
    perClass: perClassChanges(test.labels, test.classCount, checkedA.predicted, checkedB.predicted),
    confusionDifference: confusionDifference(behaviourA.confusion, behaviourB.confusion),
    paired: comparePaired(test.labels, checkedA.predicted, checkedB.predicted),
    flips,
    lost: flips.filter((f) => flipKind(f) === 'lost'),
    gained: flips.filter((f) => flipKind(f) === 'gained'),
  };
}
