import { dataSetInfo } from '../../engine/data/datasets.ts';
import { findTechniqueSpec } from '../../engine/techniques/catalog.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import { backendLabel, formatBytes, formatCount, formatMs, formatPercent } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { roundsOf, stepDetail, type RoundRow } from './reports.ts';

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const densities = (d: Readonly<Record<string, number>>) =>
  Object.entries(d)
    .map(([layer, x]) => `${layer} ${pct(x)}`)
    .join(', ');

function RoundRows({ rounds, columns }: { rounds: readonly RoundRow[]; columns: number }) {
  return rounds.map((round) => (
    <tr key={round.round} className="sub-row" data-testid="round-row">
      <td />
      <td colSpan={columns - 1}>
        Round {round.round} of {rounds.length}: kept {densities(round.density)} · accuracy on the
        check digits {formatPercent(round.checkAccuracy)}
        {round.loss !== undefined ? ` · loss ${round.loss.toFixed(3)}` : ''}
      </td>
    </tr>
  ));
}

/**
 * The result step by step: test accuracy, size and time after each, whether it came from the
 * cache and which backend trained it, so DSD's phases and iterative rounds read at a glance.
 */
export function StepsTable() {
  const last = useLab((s) => s.runs.at(-1));
  if (!last || last.result.steps.length === 0) return null;
  const r = last.result;
  // Parameter counts change only when a step removes filters or units (SSL); else one column less.
  const showParams = r.steps.some((s) => s.params !== r.baselineParams);
  return (
    <section className="steps-result" aria-labelledby="steps-title">
      <div className="section-head">
        <h2 id="steps-title">Step by step</h2>
        <span className="hint">
          accuracy on the {formatCount(r.total)} test images of {dataSetInfo(dataSetOfRun(r)).name}{' '}
          after each step
        </span>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Step by step table">
        <table data-testid="steps-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Step</th>
              <th scope="col" className="num">
                Accuracy
              </th>
              <th scope="col" className="num">
                Change
              </th>
              {showParams ? (
                <th scope="col" className="num">
                  Params
                </th>
              ) : null}
              <th scope="col" className="num">
                Nonzero
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col" className="num">
                Time
              </th>
              <th scope="col">Trained on</th>
            </tr>
          </thead>
          <tbody>
            <tr className="baseline-row">
              <td>0</td>
              <td>Baseline (as trained)</td>
              <td className="num">{formatPercent(r.baselineAccuracy)}</td>
              <td className="num" />
              {showParams ? <td className="num">{formatCount(r.baselineParams)}</td> : null}
              <td className="num" />
              <td className="num">{formatBytes(r.baselineSizeBytes)}</td>
              <td className="num" />
              <td />
            </tr>
            {r.steps.map((step, i) => {
              const before = i === 0 ? r.baselineAccuracy : r.steps[i - 1].accuracy;
              const change = (step.accuracy - before) * 100;
              const detail = stepDetail(step);
              const rounds = roundsOf(step.report);
              return [
                <tr
                  key={step.index}
                  data-testid="step-row"
                  data-technique={step.technique}
                  data-cached={String(step.cached)}
                >
                  <td>{step.index + 1}</td>
                  <td>
                    {findTechniqueSpec(step.technique)?.label ?? step.technique}
                    {detail ? <div className="hint step-detail">{detail}</div> : null}
                  </td>
                  <td className="num">{formatPercent(step.accuracy)}</td>
                  <td className={change < 0 ? 'num down' : 'num up'}>
                    {change >= 0 ? '+' : '−'}
                    {Math.abs(change).toFixed(2)}
                  </td>
                  {showParams ? <td className="num">{formatCount(step.params)}</td> : null}
                  <td className="num">{formatCount(step.nonzeroParams)}</td>
                  <td className="num">{formatBytes(step.sizeBytes)}</td>
                  <td
                    className="num"
                    title={step.cached ? `computed earlier in ${formatMs(step.elapsedMs)}` : ''}
                  >
                    {step.cached ? 'cached' : formatMs(step.elapsedMs)}
                  </td>
                  <td>{step.trainedOn ? backendLabel(step.trainedOn) : ''}</td>
                </tr>,
                rounds ? (
                  <RoundRows
                    key={`${step.index}-rounds`}
                    rounds={rounds}
                    columns={showParams ? 9 : 8}
                  />
                ) : null,
              ];
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
