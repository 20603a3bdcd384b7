import { useState } from 'react';
import { isUserModelId, userModelName } from '../../engine/model/user-models.ts';
import { shareUrl } from '../../engine/recipe/share.ts';
import { useLab } from '../store-context.tsx';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * The share link for the current state. The read-only field always shows it, so it can be
 * copied by hand when the clipboard API is unavailable (plain http, permissions, old browsers).
 */
export function ShareLink() {
  const recipe = useLab((s) => s.recipe);
  const ui = useLab((s) => s.ui);
  const [copyState, setCopyState] = useState<CopyState>('idle');
  const link = shareUrl(window.location.href, { recipe, ui });

  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard API');
      await navigator.clipboard.writeText(link);
      setCopyState('copied');
    } catch {
      setCopyState('failed');
    }
  };

  return (
    <div className="field share">
      <div className="share-row">
        <button type="button" data-testid="copy-share-link" onClick={() => void copy()}>
          Copy share link
        </button>
        <span role="status" className="hint" data-testid="copy-status">
          {copyState === 'copied'
            ? 'Copied to the clipboard.'
            : copyState === 'failed'
              ? 'Could not copy automatically: select the link below and copy it.'
              : ''}
        </span>
      </div>
      <label htmlFor="share-link" className="visually-hidden">
        Share link
      </label>
      <textarea
        id="share-link"
        data-testid="share-link"
        readOnly
        rows={3}
        value={link}
        onFocus={(e) => e.target.select()}
      />
      {isUserModelId(recipe.model) ? (
        <p className="hint" data-testid="share-needs-model">
          This link opens only in a browser where your model "{userModelName(recipe.model)}" is
          imported; elsewhere it says so and opens the defaults.
        </p>
      ) : null}
    </div>
  );
}
