import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { LayerStats, RunResult } from '../../engine/lab.ts';
import { stageRatios } from '../../engine/techniques/quantize/stages.ts';
import { formatCount } from '../format.ts';
import { useLab } from '../store-context.tsx';
import { histogramRows } from './reports.ts';

const PARTS = [
  { key: 'values', label: 'values (indices into the codebook, levels, floats)', colour: '#1f5fa8' },
  { key: 'indices', label: 'relative indices (positions)', colour: '#e07a1f' },
  { key: 'codebooks', label: 'codebooks and scales', colour: '#1f8a4c' },
  { key: 'tables', label: 'Huffman tables', colour: '#a32020' },
  { key: 'header', label: 'headers', colour: '#9aa7b5' },
] as const;

const STAGE_LABEL = { pruning: 'pruning', quantization: 'quantization', huffman: 'Huffman' };

/** Where each layer's stored bytes go: one stacked bar a layer. */
function BytesByLayer({ layers }: { layers: readonly LayerStats[] }) {
  const rows = layers.filter((l) => l.storage).map((l) => ({ layer: l.name, ...l.storage!.parts }));
  return (
    <figure className="quant-bytes" data-testid="quant-bytes">
      <figcaption>Where the bytes go, layer by layer (kernel and bias)</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" horizontal={false} />
          <XAxis type="number" tick={{ fontSize: 11 }} />
          <YAxis type="category" dataKey="layer" tick={{ fontSize: 11 }} width={60} />
          <Tooltip formatter={(v, name) => [`${formatCount(Number(v))} B`, String(name)]} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {PARTS.map((p) => (
            <Bar
              key={p.key}
              dataKey={p.key}
              name={p.label}
              stackId="bytes"
              fill={p.colour}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Deep Compression's Figure 1: the ratio after pruning, after quantization, after Huffman. */
function StageRatios({ result }: { result: RunResult }) {
  const stages = stageRatios(result.steps, result.baselineSizeBytes);
  if (stages.length === 0) return null;
  const rows = stages.map((s) => ({
    stage: STAGE_LABEL[s.stage],
    ratio: Number(s.ratio.toFixed(1)),
    sizeBytes: s.sizeBytes,
  }));
  return (
    <figure className="quant-stages" data-testid="quant-stages">
      <figcaption>
        Compression ratio after each stage{' '}
        <span className="hint">(as Deep Compression’s Figure 1; float32 model = 1x)</span>
      </figcaption>
      <ul className="stage-list">
        {rows.map((r) => (
          <li key={r.stage} data-testid={`stage-${r.stage}`}>
            after {r.stage}: <strong>{r.ratio}x</strong> ({formatCount(r.sizeBytes)} B)
          </li>
        ))}
      </ul>
      <ResponsiveContainer width="100%" height={150}>
        <BarChart data={rows} margin={{ top: 4, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" vertical={false} />
          <XAxis dataKey="stage" tick={{ fontSize: 11 }} />
          <YAxis tick={{ fontSize: 11 }} width={40} />
          <Tooltip formatter={(v) => [`${String(v)}x`, 'smaller']} />
          <Bar dataKey="ratio" fill="#1f5fa8" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** The chosen layer's weights with its shared values (centroids or levels) drawn on them. */
function CodebookHistogram({ layer }: { layer: LayerStats }) {
  const rows = histogramRows(layer.histogram!);
  const codebook = layer.storage?.codebook ?? [];
  return (
    <figure className="quant-histogram" data-testid="quant-histogram" data-levels={codebook.length}>
      <figcaption>
        Weights of {layer.name} and its {codebook.length} shared values{' '}
        <span className="hint">
          (bars: the weights before sharing, zeros left out; lines: the codebook)
        </span>
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 4, left: 0 }} barCategoryGap={1}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dee6" vertical={false} />
          <XAxis
            dataKey="centre"
            type="number"
            domain={[layer.histogram!.min, layer.histogram!.max]}
            tick={{ fontSize: 11 }}
            tickFormatter={(v: number) => v.toPrecision(2)}
          />
          <YAxis tick={{ fontSize: 11 }} width={52} allowDecimals={false} />
          <Tooltip
            formatter={(v) => [formatCount(Number(v)), 'weights']}
            labelFormatter={(v) => `weights near ${String(v)}`}
          />
          <Bar dataKey="after" fill="#9aa7b5" isAnimationActive={false} />
          {codebook.map((c, i) => (
            <ReferenceLine key={i} x={c} stroke="#a32020" strokeWidth={1} ifOverflow="hidden" />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

/**
 * The quantization panel: for a result whose layers are quantized, the chosen layer's weight
 * histogram with its codebook, the codebook itself, where every layer's bytes go, and the
 * ratio after each of Deep Compression's stages.
 */
export function QuantizationPanel() {
  const last = useLab((s) => s.runs.at(-1));
  const [chosen, setChosen] = useState<string | null>(null);
  if (!last) return null;
  const result = last.result;
  const quantized = result.layers.filter((l) => l.storage?.symbolBits && l.histogram);
  if (quantized.length === 0) return null;
  const layer = quantized.find((l) => l.name === chosen) ?? quantized[0];
  const storage = layer.storage!;
  return (
    <section
      className="quantization"
      aria-labelledby="quant-title"
      data-testid="quantization-panel"
    >
      <div className="section-head">
        <h2 id="quant-title">Quantization</h2>
        <div className="inline-field">
          <label htmlFor="quant-layer">Layer</label>
          <select
            id="quant-layer"
            data-testid="quant-layer"
            value={layer.name}
            onChange={(e) => setChosen(e.target.value)}
          >
            {quantized.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} ({l.storage!.symbolBits}-bit {l.layout})
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint" data-testid="quant-summary">
        {layer.name}: {formatCount(storage.kept)} weights stored as {storage.symbolBits}-bit{' '}
        {layer.layout === 'codebook' ? 'indices into a shared codebook' : `${layer.layout} values`}
        {storage.huffman ? ', Huffman-coded' : ''}: {storage.valueBits.toFixed(2)} bits a weight for
        the values
        {storage.indexBits > 0
          ? ` and ${storage.indexBits.toFixed(2)} for the positions`
          : ''}; {formatCount(layer.sizeBytes)} B in all.
      </p>
      {storage.codebook ? <CodebookHistogram layer={layer} /> : null}
      {storage.codebook ? (
        <details className="codebook" data-testid="codebook">
          <summary>
            Codebook of {layer.name} ({storage.codebook.length} entries)
          </summary>
          <ol start={0} className="codebook-list">
            {storage.codebook.map((c, i) => (
              <li key={i}>{c.toPrecision(4)}</li>
            ))}
          </ol>
        </details>
      ) : null}
      <div className="quant-figures">
        <BytesByLayer layers={result.layers} />
        <StageRatios result={result} />
      </div>
    </section>
  );
}
