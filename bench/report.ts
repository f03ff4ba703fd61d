import type { Stats } from './measure.js';

export interface Measurement extends Stats {
  readonly section: string;
  readonly name: string;
  /** The command as a user would type it, where DIR is the generated tree. */
  readonly command: string;
  /** One-minute load average when the runs ended: above the core count, other work shared the machine. */
  readonly loadAverage: number;
}

/** A ratio or value derived from the measurements, with its target limit when there is one. */
export interface TargetCheck {
  readonly name: string;
  readonly measured: number;
  readonly unit: string;
  readonly limit: number | undefined;
  /** Whether the limit is a minimum (a speed-up) rather than a maximum. */
  readonly atLeast: boolean;
  /** Undefined when there is no limit. */
  readonly met: boolean | undefined;
}

export interface Report {
  readonly machine: {
    readonly date: string;
    readonly cores: number;
    readonly cpu: string;
    readonly memoryGiB: number;
    readonly node: string;
    readonly kernel: string;
    readonly engine: string;
  };
  readonly runs: number;
  readonly measurements: readonly Measurement[];
  readonly targets: readonly TargetCheck[];
  /** Sections that failed, each with its error message. */
  readonly failures: readonly string[];
}

function milliseconds(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function formatValue(value: number, unit: string): string {
  if (unit === 'x') {
    return `${value.toFixed(2)}x`;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** Renders the report as Markdown: the machine, every measurement, then the ratios against their targets. */
export function renderMarkdown(report: Report): string {
  const { machine } = report;
  const lines = [
    `Date: ${machine.date}. Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.engine}.`,
    '',
    '| section | measurement | median ms | min–max ms | spread | runs | CPU ms | max RSS MiB | load | command |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const m of report.measurements) {
    const spread = m.runs > 1 ? `${(((m.maxMs - m.minMs) / m.medianMs) * 100).toFixed(0)}%` : '–';
    const rss = m.maxRssMiB === undefined ? '–' : m.maxRssMiB.toFixed(0);
    const cpu = m.medianCpuMs === undefined ? '–' : milliseconds(m.medianCpuMs);
    lines.push(
      `| ${m.section} | ${m.name} | ${milliseconds(m.medianMs)} | ${milliseconds(m.minMs)}–${milliseconds(m.maxMs)} | ${spread} | ${m.runs} | ${cpu} | ${rss} | ${m.loadAverage.toFixed(1)} | \`${m.command.replaceAll('|', '\\|')}\` |`,
    );
  }

  lines.push('', '| ratio or value (medians) | measured | target | result |', '|---|---:|---:|---|');
  for (const t of report.targets) {
    const target = t.limit === undefined ? '–' : `${t.atLeast ? '≥' : '≤'} ${formatValue(t.limit, t.unit)}`;
    let result = '–';
    if (t.met !== undefined) {
      result = t.met ? 'met' : '**missed**';
    }
    lines.push(`| ${t.name} | ${formatValue(t.measured, t.unit)} | ${target} | ${result} |`);
  }
  if (report.failures.length > 0) {
    lines.push('', 'Failed sections:', '');
    for (const failure of report.failures) {
      lines.push(`- ${failure.split('\n')[0]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
