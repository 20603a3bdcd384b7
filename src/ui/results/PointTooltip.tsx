/** The tooltip of a point on the lab's scatter plots: its label and one line of figures. */
export interface LabelledPoint {
  readonly label: string;
  readonly detail: string;
}

interface PointTooltipProps {
  readonly active?: boolean;
  readonly payload?: ReadonlyArray<{ readonly payload?: unknown }>;
}

export function PointTooltip({ active, payload }: PointTooltipProps) {
  const point = active ? (payload?.[0]?.payload as LabelledPoint | undefined) : undefined;
  if (!point) return null;
  return (
    <div className="plot-tooltip">
      <strong>{point.label}</strong>
      <div>{point.detail}</div>
    </div>
  );
}
