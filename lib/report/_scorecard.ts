/**
 * A scorecard's HTML: key figures, and the per-slice, per-dimension and
 * per-check tables. Shared by the report and the notebook view.
 *
 * @module
 */
import type { Scorecard } from "../schema/scorecard.ts";
import { SLICES } from "../schema/task.ts";
import { describeAttempts } from "../scoring/attempt_summary.ts";
import { html, type SafeHtml } from "./_html.ts";
import { type Kpi, kpiGrid, num, table } from "./_sections.ts";

function interval(
  i: { estimate: number; low: number; high: number } | null,
  digits = 3,
): string {
  return i === null
    ? "–"
    : `${i.estimate.toFixed(digits)} [${i.low.toFixed(digits)}, ${
      i.high.toFixed(digits)
    }]`;
}

function pct(value: number | null): string {
  return value === null ? "–" : `${(value * 100).toFixed(1)}%`;
}

/** Money for people: 4 significant digits (the exact figures are in the tables). */
function money(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

function ms(value: number | undefined | null): string {
  return value === null || value === undefined
    ? "–"
    : `${Math.round(value)} ms`;
}

/** The key figures of one run: score, cost, latency, failure rate, injection rate. */
export function scorecardKpis(card: Scorecard): Kpi[] {
  const currency = card.cost.currency ? ` ${card.cost.currency}` : "";
  const gen = card.latency_ms.generation;
  return [
    {
      key: "score",
      value: card.aggregate ? card.aggregate.estimate.toFixed(3) : "–",
      sub: card.aggregate
        ? `95% [${card.aggregate.low.toFixed(3)}, ${
          card.aggregate.high.toFixed(3)
        }]`
        : "no scored cell",
    },
    {
      key: "cost",
      value: `${card.cost.total}${currency}`,
      sub: `generation ${card.cost.generation} · judge ${card.cost.judge}${
        card.cost.missing_cost > 0 ? ` · ${card.cost.missing_cost} unknown` : ""
      }${
        card.cost.per_cell
          ? ` · per cell ${money(card.cost.per_cell.estimate)} [${
            money(card.cost.per_cell.low)
          }, ${money(card.cost.per_cell.high)}]`
          : ""
      }`,
    },
    {
      key: "latency p50 / p95",
      value: gen ? `${ms(gen.p50)} / ${ms(gen.p95)}` : "–",
      sub: gen
        ? `${
          gen.p50_interval && gen.p95_interval
            ? `95% [${ms(gen.p50_interval.low)}, ${
              ms(gen.p50_interval.high)
            }] / [${ms(gen.p95_interval.low)}, ${ms(gen.p95_interval.high)}] · `
            : ""
        }${gen.n} live generation calls`
        : "no live call",
    },
    {
      key: "failure rate",
      value: pct(card.failures.rate),
      sub: `${
        card.failures.interval
          ? `95% ${rateInterval(card.failures.interval)} · `
          : ""
      }${card.failures.provider_error} provider errors · ${card.failures.invalid_output} invalid outputs`,
    },
    {
      key: "injection success",
      value: pct(card.injection.success_rate),
      sub: `${
        card.injection.interval
          ? `95% ${rateInterval(card.injection.interval)} · `
          : ""
      }${card.injection.successes} of ${card.injection.n} adversarial cells`,
    },
    ...(card.attempts
      ? [{
        key: "failed attempts",
        value: String(card.attempts.failed_attempts),
        sub: describeAttempts(card.attempts),
      }]
      : []),
  ];
}

/** The key-figure grid of one run. */
export function scorecardKpiGrid(card: Scorecard): SafeHtml {
  return kpiGrid(scorecardKpis(card));
}

/** Per-slice scores of one or more runs (one column per run). */
export function sliceTable(
  cards: readonly { label: string; card: Scorecard }[],
  breaches: readonly string[] = [],
): SafeHtml {
  const names = new Set<string>(SLICES);
  for (const { card } of cards) {
    for (const name of Object.keys(card.slices)) names.add(name);
  }
  return table(
    [
      "slice",
      ...cards.map((c) => ({ text: c.label, numeric: true as const })),
      {
        text: "cases",
        numeric: true,
      },
    ],
    [...names].map((name) => ({
      breach: breaches.includes(name),
      cells: [
        html`${name}${
          breaches.includes(name)
            ? html`
              <strong>✕ breach</strong>
            `
            : ""
        }`,
        ...cards.map(({ card }) => {
          const slice = sliceOf(card, name);
          // A slice of fewer than 5 cases has its mean and no interval.
          return slice && !slice.score && typeof slice.estimate === "number"
            ? num(
              `${
                slice.estimate.toFixed(3)
              } (no interval: ${slice.cases} cases)`,
            )
            : num(interval(slice?.score ?? null));
        }),
        num(
          cards.map(({ card }) => sliceOf(card, name)?.cases ?? 0).join(" / "),
        ),
      ],
    })),
  );
}

function sliceOf(
  card: Scorecard,
  name: string,
): {
  score: { estimate: number; low: number; high: number } | null;
  estimate?: number | null | undefined;
  cases: number;
} | undefined {
  return (card.slices as Record<string, {
    score: { estimate: number; low: number; high: number } | null;
    estimate?: number | null | undefined;
    cases: number;
  }>)[name];
}

/** Per-dimension means and sigma of one or more runs. */
export function dimensionTable(
  cards: readonly { label: string; card: Scorecard }[],
  breaches: readonly string[] = [],
): SafeHtml {
  const names = [
    ...new Set(cards.flatMap((c) => Object.keys(c.card.dimensions))),
  ];
  if (names.length === 0) {
    return html`<p class="muted">No rubric dimension was judged.</p>`;
  }
  return table(
    [
      "dimension",
      ...cards.flatMap((c) => [
        {
          text: `${c.label ? `${c.label} ` : ""}mean [95%]`,
          numeric: true as const,
        },
        { text: "σ", numeric: true as const },
      ]),
    ],
    names.map((name) => ({
      breach: breaches.includes(name),
      cells: [
        html`${name}${
          breaches.includes(name)
            ? html`
              <strong>✕ breach</strong>
            `
            : ""
        }`,
        ...cards.flatMap(({ card }) => {
          const d = card.dimensions[name];
          return [
            num(interval(d?.mean ?? null, 2)),
            num(
              d?.sigma === null || d?.sigma === undefined
                ? "–"
                : d.sigma.toFixed(2),
            ),
          ];
        }),
      ],
    })),
  );
}

/** Every check's pass rate. */
export function checkRateTable(card: Scorecard): SafeHtml {
  const entries = Object.entries(card.checks);
  if (entries.length === 0) return html``;
  return table(
    ["check", { text: "pass rate", numeric: true }, {
      text: "95% interval (cases)",
      numeric: true,
    }, {
      text: "mean score",
      numeric: true,
    }, {
      text: "cells",
      numeric: true,
    }],
    entries.map(([name, c]) => [
      name,
      num(pct(c.pass_rate)),
      num(rateInterval(c.interval)),
      num(c.mean_score.toFixed(3)),
      num(c.n),
    ]),
  );
}

/** A rate's interval as `[a%, b%] over N cases`, or a dash. */
export function rateInterval(
  interval: { low: number; high: number; cases: number } | null | undefined,
): string {
  return interval
    ? `[${pct(interval.low)}, ${
      pct(interval.high)
    }] over ${interval.cases} cases`
    : "–";
}

/** A jury's jurors, quorum and per-dimension Krippendorff's alpha (no interval). */
export function juryTable(card: Scorecard): SafeHtml {
  const jury = card.judge.jury!;
  return html`<p>Jurors ${
    jury.jurors.join(", ")
  }; the median juror score counts, with a quorum of ${jury.quorum}; ${jury.juror_errors} judged cell(s) lost a juror. Alpha is 1 for perfect agreement and 0 for chance; it describes these cells (no interval).</p>${
    table(
      ["dimension", { text: "Krippendorff's alpha", numeric: true }, {
        text: "cells with 2+ jurors",
        numeric: true,
      }],
      Object.entries(jury.dimensions).map(([name, d]) => [
        name,
        num(d.alpha === null ? "–" : d.alpha.toFixed(2)),
        num(d.units),
      ]),
    )
  }`;
}
