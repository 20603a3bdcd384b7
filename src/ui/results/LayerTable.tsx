import type { LayerStats } from '../../engine/lab.ts';
import type { ModelLayerInfo } from '../../worker/protocol.ts';
import { formatBytes, formatCount, formatMs, formatShape } from '../format.ts';
import { useLab } from '../store-context.tsx';

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  (a ?? []).join('×') === (b ?? []).join('×');

/** "28×28×20", or "28×28×20 → 28×28×14" when a step removed filters. */
function ShapeCell({ before, after }: { before?: readonly number[]; after?: readonly number[] }) {
  if (!before || sameShape(before, after)) return <>{formatShape(after)}</>;
  return (
    <span className="changed" title="before → after">
      {formatShape(before)} → {formatShape(after)}
    </span>
  );
}

function LayerRow({ layer, base }: { layer: LayerStats; base?: ModelLayerInfo }) {
  return (
    <tr data-testid="layer-row" data-layer={layer.name}>
      <td className="mono">{layer.name}</td>
      <td>{layer.className}</td>
      <td className="mono" data-testid="layer-inputs">
        {layer.inputs.join(', ')}
      </td>
      <td className="mono" data-testid="layer-output-shape">
        <ShapeCell before={base?.outputShape} after={layer.outputShape} />
      </td>
      <td className="mono" data-testid="layer-kernel-shape">
        <ShapeCell before={base?.kernelShape} after={layer.kernelShape} />
      </td>
      <td className="num">{formatCount(layer.params)}</td>
      <td className="num">
        {formatCount(layer.nonzeroParams)} (
        {((layer.nonzeroParams / Math.max(1, layer.params)) * 100).toFixed(0)} %)
      </td>
      <td className="num">{formatCount(layer.macs)}</td>
      <td className="num">{formatBytes(layer.sizeBytes)}</td>
      <td>
        {layer.layout}
        {layer.indexBits !== undefined ? `, ${layer.indexBits}-bit` : ''}
      </td>
      <td
        data-testid="layer-kernel"
        title={[
          layer.kernel?.timeMs !== undefined ? `${formatMs(layer.kernel.timeMs)} per call` : '',
          layer.kernel?.reason ?? '',
          layer.kernel?.notes ?? '',
        ]
          .filter(Boolean)
          .join(' · ')}
      >
        {layer.kernel?.kernel ?? ''}
      </td>
    </tr>
  );
}

/** Where the weights and the zeros are, layer by layer, for the newest result. */
export function LayerTable() {
  const last = useLab((s) => s.runs.at(-1));
  const info = useLab((s) => (last ? s.models[last.result.model] : undefined));
  if (!last) return null;
  // Layers with weights, and the points where branches meet (so every row's inputs can be found).
  const layers = last.result.layers.filter((l) => l.params > 0 || l.inputs.length > 1);
  const base = new Map(info?.layers.map((l) => [l.name, l]));
  return (
    <details className="layers" open>
      <summary>
        Layers of the latest result ({layers.filter((l) => l.params > 0).length} with weights)
      </summary>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Layers table">
        <table data-testid="layer-table">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Type</th>
              <th scope="col" title="The layers each one reads">
                Inputs
              </th>
              <th scope="col">Output shape</th>
              <th scope="col">Kernel shape</th>
              <th scope="col" className="num">
                Params
              </th>
              <th scope="col" className="num">
                Nonzero
              </th>
              <th scope="col" className="num">
                MACs
              </th>
              <th scope="col" className="num">
                Stored
              </th>
              <th
                scope="col"
                title="Stored dense or sparse, with the width of sparse relative indices"
              >
                Layout, index bits
              </th>
              <th
                scope="col"
                title="The implementation each layer ran on when latency was measured"
              >
                Ran on
              </th>
            </tr>
          </thead>
          <tbody>
            {layers.map((layer) => (
              <LayerRow key={layer.name} layer={layer} base={base.get(layer.name)} />
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
