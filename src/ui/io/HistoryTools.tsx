import './io.css';
import { useState } from 'react';
import { clearHistory } from '../../store/actions.ts';
import { historyCsv, historyJson } from '../../store/history-export.ts';
import { useDispatch, useLab } from '../store-context.tsx';
import { downloadFile, revokeAll, type DownloadFile } from './downloads.ts';

/** Saves a file the way a link with `download` does. */
function save(file: DownloadFile) {
  const a = document.createElement('a');
  a.href = file.url;
  a.download = file.name;
  a.click();
  // The download has started from the URL; free it once the click has been handled.
  setTimeout(() => revokeAll([file]), 60_000);
}

/** The history's export (JSON, CSV) and its Clear, which asks first. */
export function HistoryTools() {
  const runs = useLab((s) => s.runs);
  const dispatch = useDispatch();
  const [confirming, setConfirming] = useState(false);
  if (runs.length === 0) return null;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return (
    <div className="history-tools">
      <button
        type="button"
        className="quiet"
        data-testid="history-json"
        onClick={() =>
          save(downloadFile(`complab-history-${stamp}.json`, historyJson(runs), 'application/json'))
        }
      >
        Export JSON
      </button>
      <button
        type="button"
        className="quiet"
        data-testid="history-csv"
        onClick={() =>
          save(downloadFile(`complab-history-${stamp}.csv`, historyCsv(runs), 'text/csv'))
        }
      >
        Export CSV
      </button>
      {confirming ? (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby="clear-question"
          data-testid="clear-confirm"
        >
          <span id="clear-question">
            Clear all {runs.length} runs from this browser? This cannot be undone.
          </span>
          <button
            type="button"
            className="danger"
            autoFocus
            onClick={() => {
              dispatch(clearHistory);
              setConfirming(false);
            }}
          >
            Clear history
          </button>
          <button type="button" className="quiet" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" className="quiet" onClick={() => setConfirming(true)}>
          Clear
        </button>
      )}
    </div>
  );
}
