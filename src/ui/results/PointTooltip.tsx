/** The tooltip of a point on the lab's scatter plots: its label and its figures. */
export interface LabelledPoint {
  readonly label: string;
  readonly detail: string;
  /** Figures one per line; shown instead of `detail` when present. */
  readonly lines?: readonly string[];
}

interface PointTooltipProps {
  readonly active?: boolean;
  readonly payload?: ReadonlyArray<{ readonly payload?: unknown }>;
}

export function PointTooltip({ active, payload }: PointTooltipProps) {
  const point = active ? (payload?.[0]?.payload as LabelledPoint | undefined) : undefined;
  if (!point) return null;
  return (
    <div className="plot-tooltip" data-testid="plot-tooltip">
      <strong>{point.label}</strong>
      {point.lines ? (
        point.lines.map((line) => <div key={line}>{line}</div>)
      ) : (
        <div>{point.detail}</div>
      )}
    </div>
  );
}
