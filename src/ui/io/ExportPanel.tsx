import './io.css';
import { useEffect, useState } from 'react';
import { userModelName, isUserModelId } from '../../engine/model/user-models.ts';
import { recipeTextOf } from '../../store/state.ts';
import { formatBytes } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { downloadFile, revokeAll, type DownloadFile } from './downloads.ts';
import { usePageIo } from './io-context.tsx';

type Prepared =
  | { readonly phase: 'idle' }
  | { readonly phase: 'working' }
  | { readonly phase: 'error'; readonly message: string }
  | {
      readonly phase: 'ready';
      readonly recipeText: string;
      readonly files: readonly DownloadFile[];
      /** Why there is no tfjs LayersModel (a layer plain tfjs cannot compute), or null. */
      readonly layersRefused: string | null;
    };

/**
 * Export the network the current recipe leaves: as a tfjs LayersModel (model.json +
 * weights.bin, masks and quantization baked into float weights; plain tf.loadLayersModel reads
 * it) and as the compact model file whose length is the reported size.
 */
export function ExportPanel() {
  const io = usePageIo();
  const recipeText = useLab((s) => recipeTextOf(s.recipe));
  const model = useLab((s) => s.recipe.model);
  const [prepared, setPrepared] = useState<Prepared>({ phase: 'idle' });

  const files = prepared.phase === 'ready' ? prepared.files : null;
  useEffect(() => () => revokeAll(files ?? []), [files]);

  if (!io) return null;
  const stale = prepared.phase === 'ready' && prepared.recipeText !== recipeText;
  const base = (isUserModelId(model) ? userModelName(model) : model).replace(/[^\w.-]+/g, '-');

  const prepare = async () => {
    setPrepared({ phase: 'working' });
    const outcome = await io.exportModel();
    if (!outcome.ok) {
      setPrepared({ phase: 'error', message: outcome.error.message });
      return;
    }
    const { compact, layers } = outcome.files;
    const made: DownloadFile[] = [];
    if (layers.ok) {
      made.push(downloadFile('model.json', layers.modelJson, 'application/json'));
      made.push(downloadFile('weights.bin', layers.weights));
    }
    made.push(downloadFile(`${base}-compressed.clw`, compact));
    setPrepared({
      phase: 'ready',
      recipeText,
      files: made,
      layersRefused: layers.ok ? null : layers.message,
    });
  };

  return (
    <section className="export-panel" aria-labelledby="export-title" data-testid="export-panel">
      <div className="section-head">
        <h2 id="export-title">Export the model</h2>
        <button
          type="button"
          onClick={() => void prepare()}
          disabled={prepared.phase === 'working'}
          data-testid="export-model"
        >
          {prepared.phase === 'working' ? 'Preparing…' : 'Prepare the files'}
        </button>
      </div>
      <p className="hint">
        The network this recipe leaves, as a tfjs LayersModel (model.json + weights.bin, which plain{' '}
        <code>tf.loadLayersModel</code> reads; pruning masks and quantization are baked into float
        weights) and as the compact model file whose length is the reported size.
      </p>
      {prepared.phase === 'error' ? (
        <p className="hint error-text" role="alert" data-testid="export-error">
          {prepared.message}
        </p>
      ) : null}
      {prepared.phase === 'ready' ? (
        <>
          {stale ? (
            <p className="hint" data-testid="export-stale">
              These files are of an earlier recipe; prepare them again for the current one.
            </p>
          ) : null}
          <ul className="download-list">
            {prepared.files.map((f) => (
              <li key={f.url}>
                <a href={f.url} download={f.name} data-testid={`download-${f.name}`}>
                  {f.name}
                </a>{' '}
                <span className="hint">{formatBytes(f.bytes)}</span>
              </li>
            ))}
          </ul>
          {prepared.layersRefused ? (
            <p className="hint error-text" data-testid="export-layers-refused">
              No tfjs LayersModel: {prepared.layersRefused}.
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
