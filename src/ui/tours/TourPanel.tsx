import type { RunResult } from '../../engine/lab.ts';
import { tourStepLink } from '../../engine/recipe/share.ts';
import { stageRatios, type Stage } from '../../engine/techniques/quantize/stages.ts';
import { getTour, TOURS, tourStepRecipe, type Tour, type TourMetric } from '../../engine/tours.ts';
import { leaveTour } from '../../store/actions.ts';
import { recipeTextOf, type RunRecord } from '../../store/state.ts';
import { formatBytes, formatMs, formatPercent, formatRatio } from '../format.ts';
import {
  formatLatency,
  formatLatencySpread,
  latencyVersusBaseline,
} from '../results/latency-text.ts';
import { useDispatch, useLab } from '../store-context.tsx';

const STAGES: readonly { stage: Stage; label: string }[] = [
  { stage: 'pruning', label: 'after pruning' },
  { stage: 'quantization', label: 'after weight sharing' },
  { stage: 'huffman', label: 'after Huffman coding' },
];

/** The links that start each tour, for the page header. */
export function TourMenu() {
  const ui = useLab((s) => s.ui);
  return (
    <nav className="tour-menu" aria-label="Guided tours">
      <span className="tour-menu-label">Guided tours:</span>
      <ul>
        {TOURS.map((tour) => (
          <li key={tour.id}>
            <a
              href={`#${tourStepLink(ui, tour.id, 1)}`}
              aria-current={ui.tour === tour.id ? 'true' : undefined}
            >
              {tour.title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function signedPoints(delta: number): string {
  return `${delta >= 0 ? '+' : '−'}${Math.abs(delta * 100).toFixed(2)} points`;
}

/** One live number; the step's own numbers of interest are marked. */
function TourMetricBox(props: {
  metric: TourMetric;
  highlighted: boolean;
  label: string;
  value: string;
  note: string;
}) {
  return (
    <div
      className={props.highlighted ? 'tour-metric highlight' : 'tour-metric'}
      data-testid={`tour-${props.metric}`}
      data-highlight={props.highlighted ? 'true' : undefined}
    >
      <span className="metric-label">
        {props.label}
        {props.highlighted ? <span className="tour-look"> · look here</span> : null}
      </span>
      <span className="metric-value">{props.value}</span>
      <span className="metric-note">{props.note}</span>
    </div>
  );
}

function LiveNumbers({
  result,
  highlight,
}: {
  result: RunResult;
  highlight: readonly TourMetric[];
}) {
  return (
    <div className="tour-numbers" data-testid="tour-numbers">
      <TourMetricBox
        metric="accuracy"
        highlighted={highlight.includes('accuracy')}
        label="Accuracy"
        value={formatPercent(result.accuracy)}
        note={`${signedPoints(result.accuracy - result.baselineAccuracy)} vs the float model (${formatPercent(result.baselineAccuracy)})`}
      />
      <TourMetricBox
        metric="size"
        highlighted={highlight.includes('size')}
        label="Stored size"
        value={formatBytes(result.sizeBytes)}
        note={`the float model: ${formatBytes(result.baselineSizeBytes)}`}
      />
      <TourMetricBox
        metric="ratio"
        highlighted={highlight.includes('ratio')}
        label="Compression"
        value={formatRatio(result.compressionRatio)}
        note="smaller than the float32 model"
      />
      <TourMetricBox
        metric="latency"
        highlighted={highlight.includes('latency')}
        label="Latency"
        value={formatMs(result.latencyMs)}
        note={`a batch of ${result.latencyBatch}${result.latencySpread ? ` (${formatLatencySpread(result.latencySpread)})` : ''}; the float model ${formatLatency(result.baselineLatencyMs, result.baselineLatencySpread)} in the same window: ${latencyVersusBaseline(result, 'the float model')}`}
      />
    </div>
  );
}

/** Our ratio after each stage beside the paper's (Deep Compression's Figure 1). */
function StageComparison({ tour, result }: { tour: Tour; result: RunResult | undefined }) {
  const paper = tour.paperStages;
  if (!paper) return null;
  const ours = result ? stageRatios(result.steps, result.baselineSizeBytes) : [];
  return (
    <table className="tour-stages" data-testid="tour-stages">
      <caption>Compression ratio after each stage, ours and the paper’s Figure 1</caption>
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col">This run</th>
          <th scope="col">Paper</th>
        </tr>
      </thead>
      <tbody>
        {STAGES.map(({ stage, label }) => {
          const mine = ours.find((s) => s.stage === stage);
          return (
            <tr key={stage} data-testid={`tour-stage-${stage}`}>
              <th scope="row">{label}</th>
              <td className="num">{mine ? formatRatio(mine.ratio) : '—'}</td>
              <td className="num">{paper[stage] ? `${paper[stage]}×` : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Every step of the tour with the numbers of its run, where this session has one. */
function StepsSoFar({
  tour,
  current,
  runs,
}: {
  tour: Tour;
  current: number;
  runs: readonly RunRecord[];
}) {
  return (
    <table className="tour-progress" data-testid="tour-progress">
      <caption>The tour’s steps so far (runs of this session)</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Accuracy</th>
          <th scope="col">Compression</th>
          <th scope="col">Latency</th>
        </tr>
      </thead>
      <tbody>
        {tour.steps.map((step, i) => {
          const text = recipeTextOf(tourStepRecipe(step));
          const run = runs.findLast((r) => r.recipeText === text);
          return (
            <tr key={i} aria-current={i + 1 === current ? 'step' : undefined}>
              <th scope="row">
                {i + 1}. {step.title}
              </th>
              <td className="num">{run ? formatPercent(run.result.accuracy) : '—'}</td>
              <td className="num">{run ? formatRatio(run.result.compressionRatio) : '—'}</td>
              <td
                className="num"
                title={
                  run ? formatLatency(run.result.latencyMs, run.result.latencySpread) : undefined
                }
              >
                {run ? formatMs(run.result.latencyMs) : '—'}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The guided tour's current step: what it does, the live numbers of its run beside what the
 * paper reports, and Back / Next as real links (`#tour=<id>&step=<n>`).
 */
export function TourPanel() {
  const ui = useLab((s) => s.ui);
  const currentText = useLab((s) => recipeTextOf(s.recipe));
  const runs = useLab((s) => s.runs);
  // Only what it shows: a progress report of the run does not redraw the tour.
  const runningText = useLab((s) =>
    s.runStatus.phase === 'running' ? s.runStatus.recipeText : null,
  );
  const dispatch = useDispatch();
  if (ui.tour === undefined) return null;
  const tour = getTour(ui.tour);
  const n = ui.tourStep ?? 1;
  const step = tour.steps[n - 1];
  const stepText = recipeTextOf(tourStepRecipe(step));
  const changed = stepText !== currentText;
  const run = runs.findLast((r) => r.recipeText === currentText);
  const running = runningText === currentText;
  const link = (k: number) => `#${tourStepLink(ui, tour.id, k)}`;
  return (
    <section
      className="tour"
      aria-labelledby="tour-title"
      data-testid="tour-panel"
      data-tour={tour.id}
      data-step={n}
    >
      <p className="tour-kicker">
        {tour.title} ·{' '}
        <span data-testid="tour-step-count">
          Step {n} of {tour.steps.length}
        </span>
      </p>
      <h2 id="tour-title">{step.title}</h2>
      {n === 1 ? <p className="tour-summary">{tour.summary}</p> : null}
      <div className="tour-body">
        <div className="tour-text" data-testid="tour-explanation">
          {step.explanation.map((paragraph, i) => (
            <p key={i}>{paragraph}</p>
          ))}
          {changed ? (
            <p className="tour-changed" data-testid="tour-changed">
              You changed this step’s recipe: the numbers are for yours.{' '}
              <a href={link(n)}>Back to the step’s recipe</a>
            </p>
          ) : null}
        </div>
        <aside className="tour-paper" aria-label="What the paper reports" data-testid="tour-paper">
          <h3>In the paper</h3>
          <dl>
            {step.paper.map((line) => (
              <div key={line.label}>
                <dt>{line.label}</dt>
                <dd>{line.value}</dd>
              </div>
            ))}
          </dl>
          <p className="hint">{tour.paper}. Our data: 10,000 MNIST digits, our own baseline.</p>
        </aside>
      </div>
      {run ? (
        <LiveNumbers result={run.result} highlight={step.highlight} />
      ) : (
        <p className="tour-waiting" data-testid="tour-waiting" role="status">
          {running
            ? 'Running this step now; the progress is shown below, and its numbers appear here.'
            : 'This step’s numbers appear here once it has run.'}
        </p>
      )}
      {step.highlight.includes('stages') ? (
        <StageComparison tour={tour} result={run?.result} />
      ) : null}
      <StepsSoFar tour={tour} current={n} runs={runs} />
      <nav className="tour-nav" aria-label="Tour steps">
        {n > 1 ? (
          <a className="tour-link" href={link(n - 1)} data-testid="tour-back" rel="prev">
            ← Back: {tour.steps[n - 2].title}
          </a>
        ) : (
          <span />
        )}
        <button type="button" className="quiet" onClick={() => dispatch(leaveTour)}>
          Leave the tour
        </button>
        {n < tour.steps.length ? (
          <a className="tour-link" href={link(n + 1)} data-testid="tour-next" rel="next">
            Next: {tour.steps[n].title} →
          </a>
        ) : (
          <span className="hint">The end of the tour.</span>
        )}
      </nav>
    </section>
  );
}
