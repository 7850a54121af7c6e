import type { PromptHistory } from "../gate/prompt_history.ts";
import { html } from "./_html.ts";
import { cssWord, shortHash, table } from "./_sections.ts";
import { View } from "./view.ts";

/**
 * A task's prompt history for a notebook and the terminal (`wb history`):
 * one row per version with its author, date, note and content hash, its
 * verdict against the version before (naming the comparison that computed
 * it, `not compared` when none was), and the aliases pointing to it with
 * the gate that allowed each move. Every text is escaped.
 *
 * @param history What {@linkcode promptHistory} returned.
 * @returns The view.
 *
 * @example Two versions, the second approved and in production
 * ```ts
 * import { viewPromptHistory } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const production = { alias: "production", prompt_version_id: "t@v2", gate_id: "gate_1", moved_by: "bea", created_at: "2026-02-01T00:00:00.000Z" };
 * const view = viewPromptHistory({
 *   task: "t",
 *   aliases: [production],
 *   versions: [
 *     { id: "t@v1", version: 1, author: "ann", note: "first", created_at: "2026-01-01T00:00:00.000Z", sha256: "a".repeat(64), previous: null, verdicts: [], aliases: [] },
 *     { id: "t@v2", version: 2, author: "bob", note: "shorter", created_at: "2026-01-15T00:00:00.000Z", sha256: "b".repeat(64), previous: "t@v1",
 *       verdicts: [{ comparison_id: "cmp_1", verdict: "APPROVED", candidate_run_id: "run_2", baseline_run_id: "run_1", model_config_id: "fake-fast", created_at: "2026-01-20T00:00:00.000Z" }],
 *       aliases: [production] },
 *   ],
 * });
 * assert.match(view.text, /v2 \[production\] +bob .* APPROVED vs v1 \(cmp_1, fake-fast\)/);
 * assert.match(view.text, /production -> v2 through gate gate_1/);
 * ```
 */
export function viewPromptHistory(history: PromptHistory): View {
  const short = (id: string | null) => id?.replace(/^.*@/, "") ?? "";
  const verdictText = (v: PromptHistory["versions"][number]) =>
    v.previous === null
      ? "first version"
      : v.verdicts.length === 0
      ? `not compared with ${short(v.previous)}`
      : v.verdicts.map((c) =>
        `${c.verdict} vs ${
          short(v.previous)
        } (${c.comparison_id}, ${c.model_config_id})`
      ).join("; ");
  const body = html`<h3>Prompt history: ${history.task}</h3>${
    table(
      [
        "version",
        "author",
        "date",
        "note",
        "sha256",
        "verdict vs previous",
        "aliases",
      ],
      history.versions.map((v) => [
        html`<strong>${short(v.id)}</strong>`,
        v.author,
        v.created_at.slice(0, 10),
        v.note,
        shortHash(v.sha256),
        v.previous === null
          ? html`<span class="muted">first version</span>`
          : v.verdicts.length === 0
          ? html`<span class="muted">not compared with ${
            short(v.previous)
          }</span>`
          : html`${
            v.verdicts.map((c) =>
              html`<div><span class="badge v-${
                cssWord(c.verdict)
              }">${c.verdict}</span> vs ${
                short(v.previous)
              } <span class="muted">(<code>${c.comparison_id}</code>, ${c.model_config_id})</span></div>`
            )
          }`,
        v.aliases.map((a) => a.alias).join(", "),
      ]),
    )
  }${
    history.aliases.length === 0
      ? html`<p class="muted">No alias points to a version yet.</p>`
      : html`<ul>${
        history.aliases.map((a) =>
          html`<li><strong>${a.alias}</strong> → ${
            short(a.prompt_version_id)
          } through gate <code>${a.gate_id}</code>, moved by ${a.moved_by} at ${a.created_at}</li>`
        )
      }</ul>`
  }`;
  const rows = [
    ["version", "author", "date", "sha256", "verdict vs previous", "note"],
    ...history.versions.map((v) => [
      `${short(v.id)}${
        v.aliases.length > 0
          ? ` [${v.aliases.map((a) => a.alias).join(", ")}]`
          : ""
      }`,
      v.author,
      v.created_at.slice(0, 10),
      v.sha256.slice(0, 12),
      verdictText(v),
      v.note.replace(/\s+/g, " ").slice(0, 80),
    ]),
  ];
  const widths = rows[0]!.map((_, i) =>
    Math.max(...rows.map((r) => r[i]!.length))
  );
  const text = [
    `prompt history of ${history.task}: ${history.versions.length} version(s)`,
    ...rows.map((r) =>
      r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
    ),
    ...(history.aliases.length === 0
      ? ["no alias points to a version yet"]
      : history.aliases.map((a) =>
        `${a.alias} -> ${
          short(a.prompt_version_id)
        } through gate ${a.gate_id}, moved by ${a.moved_by} at ${a.created_at}`
      )),
  ].join("\n");
  return new View(body.value, text);
}
