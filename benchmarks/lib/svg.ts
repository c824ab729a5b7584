// A tiny SVG bar-chart writer for benchmark results: one horizontal bar per measured figure,
// with an optional target line, so BENCHMARKS.md can show each scenario without a chart library.

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Shown after the value ("items/s", "MiB", ...). */
  readonly unit?: string;
  /** Draws a marker at this value (a target or a bound). */
  readonly target?: number;
  /** Colours the bar: true green, false red, undefined grey-blue. */
  readonly pass?: boolean;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function formatValue(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(magnitude >= 1 ? 2 : 3);
}

/** Groups of bars share one scale; every group gets its own title and scale. */
export interface BarGroup {
  readonly title: string;
  readonly bars: readonly Bar[];
}

/** Renders a chart as a standalone SVG document (no external fonts or scripts). */
export function barChartSvg(title: string, groups: readonly BarGroup[]): string {
  const width = 720;
  const labelWidth = 230;
  const barArea = width - labelWidth - 150;
  const barHeight = 20;
  const gap = 8;
  const parts: string[] = [];
  let y = 34;
  parts.push(`<text x="12" y="22" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);
  for (const group of groups) {
    y += 10;
    parts.push(
      `<text x="12" y="${y + 12}" font-size="13" font-weight="bold">${escapeXml(group.title)}</text>`,
    );
    y += 22;
    const max = Math.max(...group.bars.map((b) => Math.max(b.value, b.target ?? 0)), Number.MIN_VALUE);
    for (const bar of group.bars) {
      const length = Math.max(1, (bar.value / max) * barArea);
      const colour = bar.pass === undefined ? "#5b7fa6" : bar.pass ? "#3b8f4f" : "#c0392b";
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colour}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 15}" font-size="12">${escapeXml(
          `${formatValue(bar.value)}${bar.unit ? ` ${bar.unit}` : ""}`,
        )}</text>`,
      );
      if (bar.target !== undefined) {
        const x = labelWidth + (bar.target / max) * barArea;
        parts.push(
          `<line x1="${x.toFixed(1)}" y1="${y - 3}" x2="${x.toFixed(1)}" y2="${y + barHeight + 3}" stroke="#222" stroke-width="2" stroke-dasharray="4 2"/>`,
        );
      }
      y += barHeight + gap;
    }
  }
  const height = y + 24;
  parts.push(
    `<text x="12" y="${height - 8}" font-size="11" fill="#555">dashed line: target or bound; green: target met, red: missed</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
