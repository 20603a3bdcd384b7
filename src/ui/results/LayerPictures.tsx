import { useEffect, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunResult } from '../../engine/lab.ts';
import type { MaskPicture } from '../../worker/protocol.ts';
import { asSentence, formatCount, formatShape } from '../format.ts';
import { useLab, useSession } from '../store-context.tsx';
import { histogramRows } from './reports.ts';

function HistogramChart({
  rows,
  series,
  title,
  colour,
}: {
  rows: ReturnType<typeof histogramRows>;
  series: 'before' | 'after';
  title: string;
  colour: string;
}) {
  const total = rows.reduce((sum, r) => sum + r[series], 0);
  return (
    <figure className="histogram" data-testid={`histogram-${series}`} data-count={total}>
      <figcaption>
        {title} <span className="hint">({formatCount(total)} nonzero weights)</span>
      </figcaption>
      <ResponsiveContainer width="100%" height={170}>
        <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 4, left: 0 }} barCategoryGap={1}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" vertical={false} />
          <XAxis dataKey="centre" tick={{ fontSize: 11 }} interval={9} />
          <YAxis tick={{ fontSize: 11 }} width={52} allowDecimals={false} />
          <Tooltip
            formatter={(v) => [formatCount(Number(v)), 'weights']}
            labelFormatter={(v) => `weights near ${String(v)}`}
          />
          <Bar dataKey={series} fill={colour} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Draws a mask picture: dark where weights are kept, white where pruned, pixels kept sharp. */
function MaskCanvas({ picture }: { picture: MaskPicture }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(picture.width, picture.height);
    const ink = [31, 95, 168];
    for (let p = 0; p < picture.pixels.length; p++) {
      const kept = picture.pixels[p] / 255;
      for (let c = 0; c < 3; c++) image.data[4 * p + c] = Math.round(255 + (ink[c] - 255) * kept);
      image.data[4 * p + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }, [picture]);
  // Shown at the kernel's own aspect (rows × columns): whole pixels when it is small, shrunk
  // to fit when it is large.
  const fit = Math.min(560 / picture.columns, 320 / picture.rows);
  const scale = fit >= 1 ? Math.floor(fit) : fit;
  const width = Math.round(picture.columns * scale);
  const height = Math.max(24, Math.round(picture.rows * scale));
  return (
    <canvas
      ref={canvas}
      className="mask"
      data-testid="mask-picture"
      data-layer={picture.layer}
      data-density={picture.density}
      width={picture.width}
      height={picture.height}
      style={{ width, height }}
      role="img"
      aria-label={`Pruning mask of ${picture.layer}: ${(picture.density * 100).toFixed(1)} % of its weights kept`}
    />
  );
}

type MaskState =
  | { readonly key: string; readonly picture: MaskPicture }
  | { readonly key: string; readonly error: string };

function MaskPanel({ result, layer }: { result: RunResult; layer: string }) {
  const session = useSession();
  const key = `${result.recipeText}|${layer}`;
  const [mask, setMask] = useState<MaskState | null>(null);
  useEffect(() => {
    if (!session) return;
    let live = true;
    void session.maskPicture(result.recipe, layer).then((outcome) => {
      if (!live) return;
      setMask(
        outcome.ok ? { key, picture: outcome.picture } : { key, error: outcome.error.message },
      );
    });
    return () => {
      live = false;
    };
  }, [session, result.recipe, layer, key]);
  const current = mask?.key === key ? mask : null;
  return (
    <figure className="mask-figure">
      <figcaption>
        Mask of {layer}
        {current && 'picture' in current ? (
          <span className="hint">
            {' '}
            · {current.picture.rows} {current.picture.rows === 1 ? 'row' : 'rows'} (output filters
            or units) × {formatCount(current.picture.columns)} columns (their inputs) ·{' '}
            {(current.picture.density * 100).toFixed(1)} % kept · dark = kept
            {current.picture.width < current.picture.columns ||
            current.picture.height < current.picture.rows
              ? ' · shrunk by averaging blocks'
              : ''}
          </span>
        ) : null}
      </figcaption>
      {!current ? (
        <p className="hint">Drawing…</p>
      ) : 'error' in current ? (
        <p className="hint error-text">{asSentence(current.error)}</p>
      ) : (
        <MaskCanvas picture={current.picture} />
      )}
    </figure>
  );
}

/**
 * Pictures of one layer of the newest result: its weight histogram before and after the recipe
 * (pruned weights left out, so the gap around zero shows), and its pruning mask as an image.
 */
export function LayerPictures() {
  const last = useLab((s) => s.runs.at(-1));
  const [chosen, setChosen] = useState<string | null>(null);
  if (!last) return null;
  const layers = last.result.layers.filter((l) => l.histogram);
  if (layers.length === 0) return null;
  const layer = layers.find((l) => l.name === chosen) ?? layers[0];
  const rows = histogramRows(layer.histogram!);
  return (
    <section
      className="layer-pictures"
      aria-labelledby="pictures-title"
      data-testid="layer-pictures"
    >
      <div className="section-head">
        <h2 id="pictures-title">A layer up close</h2>
        <div className="inline-field">
          <label htmlFor="picture-layer">Layer</label>
          <select
            id="picture-layer"
            data-testid="picture-layer"
            value={layer.name}
            onChange={(e) => setChosen(e.target.value)}
          >
            {layers.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} ({formatShape(l.kernelShape)})
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">
        Kernel weights of {layer.name} in {layer.histogram!.before.length} equal bins from{' '}
        {layer.histogram!.min.toPrecision(2)} to {layer.histogram!.max.toPrecision(2)}; zeros are
        not counted.
      </p>
      <div className="histograms">
        <HistogramChart rows={rows} series="before" title="Before" colour="#9aa7b5" />
        <HistogramChart rows={rows} series="after" title="After the recipe" colour="#1f5fa8" />
      </div>
      <MaskPanel result={last.result} layer={layer.name} />
    </section>
  );
}
