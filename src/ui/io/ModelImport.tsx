import './io.css';
import { useEffect, useRef, useState } from 'react';
import {
  checkDroppedSizes,
  DROP_LIMITS,
  USER_MODEL_KIND_LABELS,
} from '../../engine/model/dropped-files.ts';
import type { DroppedFile } from '../../store/page-io-state.ts';
import type { PageIo } from '../../store/page-io.ts';
import { formatBytes, formatCount } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { usePageIo } from './io-context.tsx';

/**
 * The files' bytes, or why they are not read: their count and sizes are checked first, from
 * File.size, so a drop too large for the tab is refused before any byte is read.
 */
async function readFiles(list: FileList | readonly File[]): Promise<DroppedFile[] | string> {
  const files = Array.from(list);
  try {
    checkDroppedSizes(files.map((f) => ({ name: f.name, size: f.size })));
  } catch (err) {
    const names = files.map((f) => f.name).join(', ');
    return `${names} could not be imported: ${(err as Error).message}. Nothing else changed.`;
  }
  return Promise.all(
    files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

function importList(io: PageIo, list: FileList | readonly File[]): void {
  void readFiles(list).then((read) =>
    typeof read === 'string' ? io.refuseFiles(read) : io.importFiles(read),
  );
}

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * "Your models": drop a tfjs model (model.json with its weight files) or a compact model file
 * anywhere on the page, or pick the files here. The worker checks them with the CLI's loader;
 * accepted models stay in this browser (IndexedDB), listed here and in the model picker.
 */
export function ModelImport() {
  const io = usePageIo();
  const models = useLab((s) => s.userModels);
  const current = useLab((s) => s.recipe.model);
  const notice = useLab((s) => s.importNotice);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!io) return;
    let depth = 0;
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault(); // allows the drop
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
      e.preventDefault(); // the browser would open the file instead
      depth = 0;
      setDragging(false);
      importList(io, Array.from(e.dataTransfer.files));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [io]);

  if (!io) return null;
  return (
    <section
      className="field user-models"
      aria-labelledby="user-models-title"
      data-testid="user-models"
    >
      <h2 id="user-models-title" className="field-title">
        Your models
      </h2>
      <p className="hint">
        Drop a tfjs model (its model.json with the weight files), a compact model file or an ONNX
        model (a .onnx file, e.g. from PyTorch&apos;s torch.onnx.export) anywhere on the page, or{' '}
        <button type="button" className="quiet inline" onClick={() => input.current?.click()}>
          choose files
        </button>
        . It takes one image of the data set and outputs one score per class; it stays in this
        browser, never uploaded. The lab reads {DROP_LIMITS}.
      </p>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="model-files"
        aria-label="Model files to import"
        onChange={(e) => {
          const list = e.target.files;
          if (list && list.length) importList(io, list);
          e.target.value = '';
        }}
      />
      {notice ? (
        <p
          className={notice.kind === 'error' ? 'hint error-text' : 'hint'}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid="import-notice"
        >
          {notice.text}
        </p>
      ) : null}
      {models.length ? (
        <ul className="user-model-list">
          {models.map((m) => (
            <li key={m.id} data-testid="user-model" data-model={m.id}>
              <span className={m.id === current ? 'current' : undefined}>
                {m.name} · {USER_MODEL_KIND_LABELS[m.kind]} · {formatCount(m.params)} parameters ·{' '}
                {formatBytes(m.bytes)}
                {m.persisted ? '' : ' · this tab only'}
              </span>
              <button
                type="button"
                className="quiet"
                aria-label={`Remove ${m.name} from this browser`}
                onClick={() => void io.removeModel(m.id)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {dragging ? (
        <div className="drop-overlay" aria-hidden="true">
          Drop a model.json with its weights, or a compact model file
        </div>
      ) : null}
    </section>
  );
}
