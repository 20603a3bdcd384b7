import { formatBytes, formatCount } from '../format.ts';
import { useLab } from '../store-context.tsx';

/** Where the weights and the zeros are, layer by layer, for the newest result. */
export function LayerTable() {
  const last = useLab((s) => s.runs.at(-1));
  if (!last) return null;
  const layers = last.result.layers.filter((l) => l.params > 0);
  return (
    <details className="layers">
      <summary>Layers of the latest result ({layers.length} with weights)</summary>
      <div className="table-scroll">
        <table data-testid="layer-table">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              <th scope="col">Type</th>
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
              <th scope="col">Layout</th>
            </tr>
          </thead>
          <tbody>
            {layers.map((layer) => (
              <tr key={layer.name}>
                <td className="mono">{layer.name}</td>
                <td>{layer.className}</td>
                <td className="num">{formatCount(layer.params)}</td>
                <td className="num">
                  {formatCount(layer.nonzeroParams)} (
                  {((layer.nonzeroParams / layer.params) * 100).toFixed(0)} %)
                </td>
                <td className="num">{formatCount(layer.macs)}</td>
                <td className="num">{formatBytes(layer.sizeBytes)}</td>
                <td>{layer.layout}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
