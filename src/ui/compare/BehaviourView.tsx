import { useEffect, useMemo, useRef, useState } from 'react';
import type { RunComparison } from '../../engine/compare/compare-runs.ts';
import type { ComparedTest } from '../../engine/compare/compared-run.ts';
import { flipsCsv, perClassCsv } from '../../engine/compare/csv.ts';
import { dataSetInfo } from '../../engine/data/datasets.ts';
import { imageShapeOf, type DigitSplit } from '../../engine/data/digits.ts';
import type { Flip } from '../../engine/compare/flips.ts';
import { restoreRecipe } from '../../store/actions.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import type { RunRecord } from '../../store/state.ts';
import { useDispatch, useSession } from '../store-context.tsx';
import {
  flipsPerClass,
  galleryFlips,
  heatCells,
  heatColour,
  imageRgba,
  memoizedBehaviour,
  type FlipTab,
  type GalleryQuery,
} from './behaviour.ts';
import { drawGalleryFigure, drawHeatMapFigure } from './figures.ts';
import { saveCanvasPng, saveFile } from './save-file.ts';
import { loadTestSplit } from './test-split.ts';
import './behaviour.css';

const behaviourOf = memoizedBehaviour();
/** Images the gallery draws at first; "Show more" adds as many again. */
const GALLERY_PAGE = 48;

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
const signedPoints = (x: number) =>
  `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x * 100).toFixed(2)} pt`;

function PerClassTable({
  comparison,
  names,
  a,
  b,
}: {
  comparison: RunComparison;
  names: readonly string[];
  a: RunRecord;
  b: RunRecord;
}) {
  const largest = Math.max(1e-9, ...comparison.perClass.map((c) => Math.abs(c.change)));
  return (
    <div className="table-scroll">
      <table className="compare-table behaviour-classes" data-testid="behaviour-classes">
        <caption>Accuracy per class, the classes run {b.runId} lost most on first</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">
              Images
            </th>
            <th scope="col" className="num">
              Right in #{a.runId}
            </th>
            <th scope="col" className="num">
              Right in #{b.runId}
            </th>
            <th scope="col" className="num">
              Accuracy #{a.runId}
            </th>
            <th scope="col" className="num">
              Accuracy #{b.runId}
            </th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {comparison.perClass.map((c) => (
            <tr
              key={c.classIndex}
              data-testid="behaviour-class"
              data-correct-a={c.correctA}
              data-correct-b={c.correctB}
            >
              <th scope="row">{names[c.classIndex] ?? c.classIndex}</th>
              <td className="num">{c.count.toLocaleString('en-US')}</td>
              <td className="num">{c.correctA.toLocaleString('en-US')}</td>
              <td className="num">{c.correctB.toLocaleString('en-US')}</td>
              <td className="num">{percent(c.accuracyA)}</td>
              <td className="num">{percent(c.accuracyB)}</td>
              <td className="change-cell">
                <span
                  className={`change-bar ${c.change < 0 ? 'fewer' : 'more'}`}
                  style={{ width: `${(Math.abs(c.change) / largest) * 5}em` }}
                  aria-hidden="true"
                />
                <span className="num">{signedPoints(c.change)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeatMap({
  comparison,
  names,
  a,
  b,
}: {
  comparison: RunComparison;
  names: readonly string[];
  a: RunRecord;
  b: RunRecord;
}) {
  const cells = heatCells(comparison.confusionDifference, names, {
    a: `run ${a.runId}`,
    b: `run ${b.runId}`,
  });
  const save = () => {
    const canvas = document.createElement('canvas');
    drawHeatMapFigure(canvas, cells, names, `Confusion of run ${b.runId} less run ${a.runId}`);
    saveCanvasPng(canvas, `confusion-difference-${a.runId}-${b.runId}.png`);
  };
  return (
    <div className="behaviour-heat">
      <div className="table-scroll">
        <table className="heat-map" data-testid="behaviour-heat-map">
          <caption>
            Confusion of run {b.runId} less run {a.runId}: row = true class, column = predicted; +
            (orange) where run {b.runId} answers so more often, − (blue) less often
          </caption>
          <thead>
            <tr>
              <th scope="col">true \ predicted</th>
              {names.map((n) => (
                <th scope="col" key={n}>
                  {n}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cells.map((row, t) => (
              <tr key={t}>
                <th scope="row">{names[t]}</th>
                {row.map((cell, p) => (
                  <td
                    key={p}
                    aria-label={cell.label}
                    title={cell.label}
                    className={`${cell.sign}${t === p ? ' diagonal' : ''}`}
                    style={{ background: heatColour(cell) }}
                    data-value={cell.value}
                  >
                    {cell.value === 0 ? '' : cell.value > 0 ? `+${cell.value}` : `−${-cell.value}`}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" className="quiet" onClick={save}>
        Download heat map (PNG)
      </button>
    </div>
  );
}

/** One test image drawn on a canvas at its own size (CSS scales it up, pixelated). */
function TestImage({ split, index, label }: { split: DigitSplit; index: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [height, width] = imageShapeOf(split);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context) return;
    context.putImageData(
      new ImageData(imageRgba(split.images, index, imageShapeOf(split)), width, height),
      0,
      0,
    );
  }, [split, index, width, height]);
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      className="flip-image"
      role="img"
      aria-label={label}
      data-testid="flip-image"
    />
  );
}

const confidenceText = (x: number | undefined) => (x === undefined ? '—' : percent(x));

function flipCaption(flip: Flip, names: readonly string[], a: RunRecord, b: RunRecord): string {
  return `Test image ${flip.index}, a ${names[flip.label]}: run ${a.runId} reads ${names[flip.a]} (${confidenceText(flip.truthA)} on ${names[flip.label]}), run ${b.runId} reads ${names[flip.b]} (${confidenceText(flip.truthB)})`;
}

function FlipsGallery({
  comparison,
  split,
  names,
  a,
  b,
}: {
  comparison: RunComparison;
  split: DigitSplit;
  names: readonly string[];
  a: RunRecord;
  b: RunRecord;
}) {
  const [query, setQuery] = useState<GalleryQuery>({
    tab: 'lost',
    classIndex: null,
    order: 'drop',
  });
  const [shown, setShown] = useState(GALLERY_PAGE);
  const flips = useMemo(() => galleryFlips(comparison, query), [comparison, query]);
  const perClass = flipsPerClass(
    query.tab === 'lost' ? comparison.lost : comparison.gained,
    names.length,
  );
  const visible = flips.slice(0, shown);
  const pick = (change: Partial<GalleryQuery>) => {
    setQuery({ ...query, ...change });
    setShown(GALLERY_PAGE);
  };
  const tabs: { id: FlipTab; label: string; count: number }[] = [
    { id: 'lost', label: `Lost (${comparison.lost.length})`, count: comparison.lost.length },
    {
      id: 'gained',
      label: `Gained (${comparison.gained.length})`,
      count: comparison.gained.length,
    },
  ];
  const savePng = () => {
    const canvas = document.createElement('canvas');
    drawGalleryFigure(
      canvas,
      visible.map((f) => ({
        rgba: imageRgba(split.images, f.index, imageShapeOf(split)),
        caption: [`#${f.index} ${names[f.label]}`, `${names[f.a]}→${names[f.b]}`],
      })),
      imageShapeOf(split),
      `Run ${b.runId} against run ${a.runId}: ${query.tab} (${flips.length})`,
    );
    saveCanvasPng(canvas, `flips-${query.tab}-${a.runId}-${b.runId}.png`);
  };
  return (
    <div className="flips" data-testid="behaviour-flips">
      <div role="tablist" aria-label="Flipped images" className="flip-tabs">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={query.tab === t.id}
            className={query.tab === t.id ? 'selected' : 'quiet'}
            onClick={() => pick({ tab: t.id })}
            data-testid={`flips-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="flip-controls" role="tabpanel">
        <label>
          True class{' '}
          <select
            value={query.classIndex ?? ''}
            onChange={(e) =>
              pick({ classIndex: e.target.value === '' ? null : Number(e.target.value) })
            }
            data-testid="flips-class"
          >
            <option value="">every class</option>
            {names.map((n, c) => (
              <option key={n} value={c}>
                {n} ({perClass[c]})
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Order{' '}
          <select
            value={query.order}
            onChange={(e) => pick({ order: e.target.value as GalleryQuery['order'] })}
            data-testid="flips-order"
          >
            <option value="drop">true class&apos;s probability: largest fall first</option>
            <option value="rise">true class&apos;s probability: largest rise first</option>
          </select>
        </label>{' '}
        <button type="button" className="quiet" onClick={savePng} disabled={visible.length === 0}>
          Download shown images (PNG)
        </button>
      </div>
      {flips.length === 0 ? (
        <p className="hint">No image here.</p>
      ) : (
        <>
          <ul className="flip-grid">
            {visible.map((f) => (
              <li key={f.index} data-testid="flip" data-index={f.index}>
                <TestImage split={split} index={f.index} label={flipCaption(f, names, a, b)} />
                <span className="flip-text" aria-hidden="true">
                  <span className="flip-label">{names[f.label]}</span> #{f.index}
                  <br />#{a.runId}: {names[f.a]} · {confidenceText(f.truthA)}
                  <br />#{b.runId}: {names[f.b]} · {confidenceText(f.truthB)}
                </span>
              </li>
            ))}
          </ul>
          {flips.length > shown ? (
            <button type="button" className="quiet" onClick={() => setShown(shown + GALLERY_PAGE)}>
              Show more ({visible.length} of {flips.length} shown)
            </button>
          ) : null}
        </>
      )}
      <p className="hint">
        Each image shows its true class and place in the test split, then each run&apos;s answer and
        the probability it gives the true class (kept to 8 bits).
      </p>
    </div>
  );
}

/**
 * What run B changed against run A on the same test images: per-class accuracy, the confusion
 * difference as a heat map, and the flipped images; or why the pair cannot be compared.
 */
export function BehaviourView({ a, b }: { a: RunRecord; b: RunRecord }) {
  const dispatch = useDispatch();
  const session = useSession();
  const data = dataSetOfRun(a.result);
  const info = dataSetInfo(data);
  const names = info.classNames;
  const answerable =
    data === dataSetOfRun(b.result) &&
    a.result.predicted !== undefined &&
    b.result.predicted !== undefined;
  const [split, setSplit] = useState<
    { data: string; split: DigitSplit } | { data: string; error: string } | null
  >(null);
  useEffect(() => {
    if (!answerable) return;
    let current = true;
    loadTestSplit(data).then(
      (s) => current && setSplit({ data, split: s }),
      (err: Error) => current && setSplit({ data, error: err.message }),
    );
    return () => {
      current = false;
    };
  }, [answerable, data]);
  const loaded = split?.data === data && 'split' in split ? split.split : null;
  // Refusals need no test images: the engine refuses before it reads a label.
  const test: ComparedTest | null = !answerable
    ? { data, labels: [], classCount: names.length }
    : loaded
      ? { data, labels: loaded.labels, classCount: names.length }
      : null;
  const behaviour = test ? behaviourOf(test, a, b) : null;

  let body;
  if (split && split.data === data && 'error' in split) {
    body = (
      <p className="error">
        Could not load {info.name}&apos;s test images: {split.error}
      </p>
    );
  } else if (!behaviour) {
    body = <p className="hint">Loading {info.name}&apos;s test images…</p>;
  } else if (!behaviour.ok) {
    body = (
      <div data-testid="behaviour-refused">
        <p className="hint">Cannot compare image by image: {behaviour.reason}.</p>
        {behaviour.rerun.map((run) => (
          <button
            key={run.runId}
            type="button"
            onClick={() => {
              dispatch(restoreRecipe, run.result.recipe);
              session?.runIfStopped();
            }}
          >
            Run the recipe of run {run.runId} again
          </button>
        ))}
      </div>
    );
  } else {
    const c = behaviour.comparison;
    const name = `${a.runId}-${b.runId}`;
    body = (
      <>
        <p className="hint" data-testid="behaviour-summary">
          Run {a.runId}: {c.a.correct.toLocaleString('en-US')} of{' '}
          {c.a.total.toLocaleString('en-US')} right; run {b.runId}:{' '}
          {c.b.correct.toLocaleString('en-US')}. Run {b.runId} lost{' '}
          {c.lost.length.toLocaleString('en-US')} images run {a.runId} got right and gained{' '}
          {c.gained.length.toLocaleString('en-US')};{' '}
          {(c.flips.length - c.lost.length - c.gained.length).toLocaleString('en-US')} more changed
          from one wrong answer to another.
        </p>
        <div className="behaviour-downloads">
          <button
            type="button"
            className="quiet"
            onClick={() => saveFile(`per-class-${name}.csv`, perClassCsv(c, names))}
          >
            Download per-class CSV
          </button>
          <button
            type="button"
            className="quiet"
            onClick={() => saveFile(`flips-${name}.csv`, flipsCsv(c, names))}
          >
            Download flips CSV
          </button>
        </div>
        <div className="behaviour-grid">
          <PerClassTable comparison={c} names={names} a={a} b={b} />
          <HeatMap comparison={c} names={names} a={a} b={b} />
        </div>
        {loaded ? <FlipsGallery comparison={c} split={loaded} names={names} a={a} b={b} /> : null}
      </>
    );
  }
  return (
    <section className="behaviour" aria-labelledby="behaviour-title" data-testid="behaviour">
      <h3 id="behaviour-title">
        Behaviour: what run {b.runId} changed against run {a.runId}, image by image
      </h3>
      {body}
    </section>
  );
}
