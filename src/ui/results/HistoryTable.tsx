import { dataSetInfo } from '../../engine/data/datasets.ts';
import { restoreRecipe, toggleCompare } from '../../store/actions.ts';
import { dataSetOfRun } from '../../store/history-export.ts';
import { HistoryTools } from '../io/HistoryTools.tsx';
import {
  backendLabel,
  formatBytes,
  formatCount,
  formatMs,
  formatPercent,
  formatRatio,
  stepsOf,
} from '../format.ts';
import { useDispatch, useLab, useSession } from '../store-context.tsx';

/** An imported model's id is user/NAME/HASH: the table shows NAME, the whole id on hover. */
function modelLabel(id: string): string {
  return id.startsWith('user/') ? (id.split('/')[1] ?? id) : id;
}

/** Every finished run, newest first; "Load" puts a run's recipe back into the controls. */
export function HistoryTable() {
  const runs = useLab((s) => s.runs);
  const picked = useLab((s) => s.compareRunIds);
  const dispatch = useDispatch();
  const session = useSession();
  return (
    <section className="history" aria-labelledby="history-title">
      <div className="section-head">
        <h2 id="history-title">History</h2>
        <HistoryTools />
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="History table">
        <table data-testid="history">
          <thead>
            <tr>
              <th scope="col" title="Pick two runs to see them side by side, layer by layer">
                Compare
              </th>
              <th scope="col">#</th>
              <th scope="col">Model</th>
              <th scope="col" title="The data set the run trained and measured on">
                Data
              </th>
              <th scope="col">Steps</th>
              <th scope="col" className="num">
                Accuracy
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col" className="num">
                Ratio
              </th>
              <th scope="col" className="num">
                Nonzero params
              </th>
              <th scope="col" className="num">
                Latency
              </th>
              <th scope="col">Backend</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.length === 0 ? (
              <tr>
                <td colSpan={12} className="hint">
                  No runs yet.
                </td>
              </tr>
            ) : (
              [...runs].reverse().map((run) => {
                const r = run.result;
                return (
                  <tr key={run.runId} data-testid="history-row" data-recipe={run.recipeText}>
                    <td className="pick">
                      <input
                        type="checkbox"
                        data-testid="compare-pick"
                        aria-label={`Compare run ${run.runId}`}
                        checked={picked.includes(run.runId)}
                        onChange={() => dispatch(toggleCompare, run.runId)}
                      />
                    </td>
                    {run.origin?.kind === 'import' ? (
                      // Imported runs are numbered below zero internally; say where they came from.
                      <td title={`${run.origin.file}, line ${run.origin.line}`}>imported</td>
                    ) : (
                      <td>{run.runId}</td>
                    )}
                    <td title={r.model}>{modelLabel(r.model)}</td>
                    <td title={dataSetInfo(dataSetOfRun(r)).name} data-testid="history-data">
                      {dataSetOfRun(r)}
                    </td>
                    <td className="mono steps" title={run.recipeText}>
                      {/* A cell ignores max-width: the block inside it is clipped instead. */}
                      <span className="clip">{stepsOf(run.recipeText)}</span>
                    </td>
                    <td className="num">{formatPercent(r.accuracy)}</td>
                    <td className="num" title={`${formatCount(r.sizeBytes)} bytes`}>
                      {formatBytes(r.sizeBytes)}
                    </td>
                    <td className="num">{formatRatio(r.compressionRatio)}</td>
                    <td className="num">
                      {formatCount(r.nonzeroParams)} / {formatCount(r.params)}
                    </td>
                    <td className="num">{formatMs(r.latencyMs)}</td>
                    <td>{backendLabel(r.backend)}</td>
                    <td>
                      <button
                        type="button"
                        className="quiet"
                        aria-label={`Load the recipe of run ${run.runId}`}
                        onClick={() => {
                          dispatch(restoreRecipe, r.recipe);
                          session?.runIfStopped();
                        }}
                      >
                        Load
                      </button>
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
