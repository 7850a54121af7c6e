/**
 * What `wb help` shows for each command: its one-line summary and its usage
 * text. It lives apart from the commands so that `wb help` loads none of them.
 * Add a command by adding its entry here and its line in `commands.ts`.
 *
 * @module
 */

/** A command's help: the line in `wb help` and the text of `wb help NAME`. */
export interface About {
  /** The word after `wb`, e.g. `load`. */
  readonly name: string;
  /** One line for `wb help`. */
  readonly summary: string;
  /** Usage text shown by `wb help NAME` and on bad arguments. */
  readonly usage: string;
}

const ABOUT = {
  "validate": {
    summary: "check the catalog files and print each task's slice mix",
    usage:
      `wb validate: check prompts/, datasets/ and models.yaml without writing anything

Usage:
  wb validate [--root DIR] [--json] [--db URL]

Prints every problem as file:line: field: message and exits 2 when the
catalog is invalid; otherwise prints each task's slice distribution and
exits 0. --root is the repository root (default: the working directory).
--db is accepted for symmetry with other commands; validate never opens it.`,
  },
  "load": {
    summary: "validate prompts/, datasets/, models.yaml and store new versions",
    usage: `wb load: validate the catalog and store new versions

Usage:
  wb load [--root DIR] [--json] [--db URL]

Validates prompts/, datasets/ and models.yaml under --root (default: the
working directory) and, when all is valid, stores in one transaction the
task definitions, new prompt versions, dataset versions, model configs and
new price rows. A prompt file edited after it was loaded is refused: add a
new vN.yaml instead. Prints what was added, or "no new versions".`,
  },
  "experiment": {
    summary: "run prompt versions x models over a dataset, recording receipts",
    usage: `wb experiment: run prompt versions x models over a task's dataset

Usage:
  wb experiment --task T --prompt v1 [--prompt v3 ...] --model fake-fast [--model ...]
                [--judge fake-judge | --jury ID --jury ID ... [--quorum N]]
                [--repetitions 3] [--allow-few-repetitions]
                [--concurrency 8] [--rpm N] [--tpm N] [--timeout-ms 60000] [--retries 4]
                [--cache use|refresh|off] [--case ID ...] [--quiet] [--json] [--db URL]
  wb experiment --resume EXP_OR_RUN [--concurrency N] [--rpm N] [--tpm N]
                [--timeout-ms N] [--retries N] [--cache MODE] [--json] [--db URL]
  wb experiment --task T --pipeline FILE.ts[#export] [--pipeline ...]
                [--judge fake-judge] [--repetitions 3] [--case ID ...] [...]
  wb experiment --resume EXP_OR_RUN --pipeline FILE.ts[#export] ...
  wb experiment --task T --prompt v1 --model m ... --plan-only [--json] [--db URL]

--pipeline runs a module's pipeline (docs/pipelines.md) over the task's cases
x repetitions, one run per pipeline given; a pipeline's run is resumed with
the same pipeline module, unchanged.

--plan-only records the runs (with their settings) without running a cell,
for workers to run: wb worker --run RUN, on this machine or any other
sharing the database.

Every run of an experiment is recorded before its first call, with its
settings (concurrency, rate limits, retries, timeout, cache). --resume
finishes every run of the experiment (given its id, or any of its runs' ids)
with those settings; a setting given with --resume overrides them and is
recorded in the run's trace.

--jury judges with several judge configs: each scores on its own, the
dimension score is the jurors' median, and the jury decides when at least
--quorum jurors scored (default: a majority). See docs/calibration.md.

Ctrl-C stops new calls, lets in-flight ones finish, and leaves the run resumable.`,
  },
  "worker": {
    summary: "work on a run with other workers sharing the database",
    usage:
      `wb worker: work on a run together with other workers sharing the database

Usage:
  wb worker --run RUN [--concurrency 8] [--rpm N] [--tpm N] [--timeout-ms 60000]
            [--retries 4] [--cache use|refresh|off] [--lease-seconds 30]
            [--batch N] [--worker-id ID] [--quiet] [--json] [--db URL]

Start as many workers as you like, on this machine or others, on one
PostgreSQL database (--db postgres://... or WB_DATABASE_URL); on a database
file, workers on the same machine share it too. Each claims cells with a
lease it renews while it runs, commits each cell it holds once, and takes
over cells whose worker died once their lease runs out. --rpm and --tpm are
limits for all workers together (shared through the database). The last
worker to finish scores the run. Plan runs for workers with
wb experiment --plan-only, or join a run any experiment started.

Ctrl-C stops claiming, lets in-flight calls finish, and frees this worker's
unfinished cells for the others.`,
  },
  "runs": {
    summary: "list runs, newest first (ids, versions, models, status)",
    usage: `wb runs: list runs, newest first

Usage:
  wb runs [--task T] [--json] [--db URL]

One line per run: its id (any unique prefix of 8 characters or more works
wherever a run id is asked for), task, prompt version, model, judge,
repetitions, status and when it started. Interrupted runs continue with
\`wb experiment --resume RUN\`; \`wb show RUN\` prints a run's scorecard.`,
  },
  "show": {
    summary: "print a run's scorecard (--samples N: the judge's reasoning)",
    usage: `wb show: print a run's scorecard

Usage:
  wb show RUN [--samples N] [--json] [--seed N] [--db URL]

Computes the run's scorecard from its stored results and receipts (no
model is called) and prints the aggregate score with its 95% confidence
interval, every slice, every rubric dimension (mean, CI, sigma across
repetitions), every check's pass rate, injection, failure and judge error
rates, the judge's agreement with human labels when there are labels
(rho, tau-b, kappa, bias, n per dimension), latency, tokens and cost. RUN may be a unique prefix of a run id.

Options:
  --samples N   also print N judged cells: each dimension's score, the
                judge's reasoning and the evidence it quoted
  --json        print the scorecard as JSON instead
  --seed N      bootstrap seed (default 1)`,
  },
  "leaderboard": {
    summary:
      "rank a task's comparable runs (ties within CI go to the cheaper per cell)",
    usage: `wb leaderboard: rank a task's completed runs

Usage:
  wb leaderboard --task T [--json] [--db URL]

Ranks the task's completed runs by aggregate score (0-1), only against runs
over the same dataset version, the same cases and the same judge (or jury):
each such group is a table of its own. Within a group, runs whose 95%
intervals overlap are a technical tie ("tie" beside the tie group) and are
ordered among themselves by uncached generation cost per cell, cheaper first.
Cases and cells, judge, cost, latency and failure rate are shown beside.
Scorecards are computed from stored results; no model is called.`,
  },
  "rescore": {
    summary: "re-run a run's checks from its receipts (no model calls)",
    usage: `wb rescore: re-run a run's checks with the current code

Usage:
  wb rescore RUN [--json] [--db URL]

Reads every cell's output back from its generation receipt, runs the
task's checks again with the current check code, updates the cells whose
checks changed, recomputes and stores the scorecard, and records a
'rescored' event in the run's trace. No model is called; rubric scores are
kept as judged. RUN may be a unique prefix of a run id.`,
  },
  "compare": {
    summary: "a regression verdict: candidate run against baseline run",
    usage: `wb compare: a regression verdict, candidate run against baseline run

Usage:
  wb compare --baseline RUN --candidate RUN [--mode point|strict|confident]
             [--settle [--budget CALLS|AMOUNTusd]] [--allow-judge-change]
             [--limit NAME=VALUE ...] [--seed N] [--markdown FILE] [--json] [--db URL]

Any rubric dimension, slice or the cost per cell past its limit rejects the
candidate, whatever the average did. Limits: dimension (default -0.25, 1-5
scale), slice (-0.10, 0-1 scale), cost_growth (0.2 = +20%), unmeasured (0.05:
the share of a run's cells a dimension or slice may leave unjudged), and
optionally latency_p95_growth, failure_rate, injection_rate; task.yaml
'limits' and then --limit override the defaults.

Each limit is decided on the delta's interval over repetitions of these
cases: breached when the whole interval is past it, within when the whole
interval is clear of it, undecided otherwise. Modes (default
confident): point reads means only; strict rejects an undecided limit;
confident answers INCONCLUSIVE for it. --settle repeats the cases that decide
the undecided limits, in both runs, over at most 5 looks, until each is
decided or the budget is spent: --budget 200 (adapter calls) or --budget
0.50usd (money); by default 1.5 times the calls the two runs made. Runs
judged by different judges are refused unless --allow-judge-change (the
verdict records it).

Exit codes: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE, 2 bad input.
--markdown FILE writes a summary for a pull request or job summary;
--json prints the whole verdict.`,
  },
  "summary": {
    summary: "print a stored comparison as Markdown (for pull requests and CI)",
    usage: `wb summary: the Markdown summary of a stored comparison or a bundle

Usage:
  wb summary [CMP] [--task T] [--markdown FILE] [--json] [--db URL]
  wb summary BUNDLE.json [--markdown FILE] [--json]

Prints (or writes to FILE) the verdict first, then a table of every limited
check and the reasons, for a pull request comment or a CI job summary.
Without CMP, the latest comparison (of --task, when given). The stored
verdict is checked against its sha256 first. Given a bundle file instead,
the bundle is verified and summarised (its comparison, or its runs), ending
with the command that verifies it.`,
  },
  "gate": {
    summary: "request, approve, reject and show gates before a promotion",
    usage: `wb gate: halt points before an alias moves to a prompt version

Usage:
  wb gate request --task T --version vN --comparison CMP --actor NAME
                  [--alias production] [--policy FILE] [--approvals N]
                  [--accept APPROVED ...] [--allow-self-approval] [--json] [--db URL]
  wb gate approve GATE --actor NAME --reason TEXT [--json] [--db URL]
  wb gate reject GATE --actor NAME --reason TEXT [--json] [--db URL]
  wb gate show [GATE] [--task T] [--json] [--db URL]

The default policy needs an APPROVED verdict and one approval by someone other
than the requester; any rejection blocks. --policy reads a YAML or JSON file
with accepted_verdicts, approvals, rejection_blocks and allow_self_approval;
--approvals, --accept and --allow-self-approval override its fields.
A gate resolves once. 'show' lists gates with their status, or one gate in full.
approve and reject also decide a pipeline's gate step (listed by
\`wb gates pending\`): the decision is recorded on the pipeline's trace.`,
  },
  "promote": {
    summary:
      "move an alias (e.g. production) to a prompt version through an approved gate",
    usage:
      `wb promote: move a task's alias to a prompt version through an approved gate

Usage:
  wb promote --task T --alias production --version vN --gate GATE --actor NAME [--db URL]
  wb promote --task T --alias production --show [--json] [--db URL]

The gate must be approved now, judge this task, alias and version, and not have
been used for a move before. --show prints where the alias points (--json:
as JSON, for scripts), and exits 2 when the alias was never set.`,
  },
  "bundle": {
    summary: "export runs, a comparison or a trace as a verifiable bundle",
    usage:
      `wb bundle: export runs, a comparison or a trace as a verifiable bundle

Usage:
  wb bundle --run RUN [--run RUN ...] -o FILE [options]
  wb bundle --comparison ID -o FILE [options]
  wb bundle --trace ID -o FILE [options]

Options:
  --sign KEYFILE     sign with a private key from wb keygen (Ed25519, DSSE)
  --redact FIELD     replace a test case field's values, e.g.
                     input.customer_message, by {"redacted":"sha256:..."} and
                     remove their text wherever it was copied (repeatable)
  --json             print what was written as JSON (docs/cli-json.md)
  --db URL           the database (default: WB_DATABASE_URL, then file:workbench.db)

A run brings its task, prompt version, dataset and cases, model configs,
prices, receipts, results, scorecards and trace; a comparison brings both
runs, its gates, decisions and alias moves. Prints the payload sha256:
publish it out of band so others can check the bundle with
wb verify FILE --expect SHA256. API keys never enter a bundle.`,
  },
  "verify": {
    summary:
      "check a bundle offline (hashes, chains, signature, expected sha256)",
    usage: `wb verify: check a bundle offline

Usage:
  wb verify FILE [--pubkey KEYFILE.pub] [--expect SHA256] [--json]

Checks strict JSON (duplicate keys refused), the format, every record's
own hash and table-of-contents entry, the event hash chains, references
between sections and the payload sha256. Exit 0 with a one-line summary
when intact; exit 1 naming the section and record of each problem.

Hashes prove the bundle is internally consistent, but whoever edits a
bundle can recompute them. To know who made it, check a signature with
--pubkey (the signer's public key) or compare with a sha256 its author
published out of band with --expect.`,
  },
  "report": {
    summary: "render a bundle as a self-contained HTML report",
    usage: `wb report: render a bundle as one self-contained HTML report

Usage:
  wb report FILE -o REPORT.html [--pubkey KEYFILE.pub] [--expect SHA256]
            [--samples N]

Verifies the bundle, then writes one HTML file with no script and no
external resource, readable on a phone and on paper: the verdict and its
reasons first, key figures, plots, per-slice and per-dimension tables,
judged samples, the gate timeline, the workflow and the integrity block
with the command that verifies the bundle. Every text from the bundle is
escaped. A bundle that does not verify is still rendered, with the failure
stated first, and the command exits 1. With --pubkey (the signer's
public key, from \`wb keygen\`) the signature is checked and the report
says whether it verified; without it a signature is shown as not checked.`,
  },
  "import": {
    summary: "load a bundle into a database (verified, idempotent)",
    usage: `wb import: load a bundle into a database

Usage:
  wb import FILE [--db URL] [--pubkey KEYFILE.pub] [--expect SHA256] [--json]

Verifies the bundle while loading it, in one transaction: nothing is
written unless it verifies (and, when given, is signed by the key or has
the expected sha256). Only missing rows are written, so importing twice
changes nothing. An append-only row (receipt, event, prompt version...)
that exists with other content is a conflict: nothing is written, exit 1.`,
  },
  "keygen": {
    summary: "make an Ed25519 key pair for signing bundles",
    usage: `wb keygen: make an Ed25519 key pair for signing bundles

Usage:
  wb keygen -o KEYFILE [--force] [--json]

Writes the private key to KEYFILE (a JWK, file mode 0600: keep it secret)
and the public key to KEYFILE.pub (publish it, so others can check your
bundles with wb verify --pubkey KEYFILE.pub). Prints the key id (sha256 of
the raw public key). Refuses to overwrite an existing KEYFILE unless --force.`,
  },
  "diff": {
    summary: "what differs between two bundles, or two artifact versions",
    usage:
      `wb diff: what differs between two bundles, or two versions of an artifact

Usage:
  wb diff A.json B.json [--json]
  wb diff --artifact KEY [--from N] [--to M] [--json] [--db URL]

Between bundles: records added, removed and changed per section, with
unified diffs of prompts, outputs and artifacts and the scorecard figures
that moved (a baseline run's bundle and a candidate's are paired by task,
case and repetition). Between artifact versions: a unified diff, by
default from the original (version 1) to the latest.
Exit 0 when there is no difference, 1 when there is.`,
  },
  "export-otel": {
    summary: "a bundle's traces as OTLP/JSON spans (GenAI conventions)",
    usage: `wb export-otel: a bundle's traces as OpenTelemetry spans

Usage:
  wb export-otel FILE -o out.jsonl [--content]

Writes the OTLP/JSON file format (JSON Lines, one {"resourceSpans": [...]}
per trace): an invoke_workflow span per trace, a span per workflow step,
a CLIENT span per model call with the GenAI semantic conventions'
attributes, check and rubric scores as gen_ai.evaluation.result events,
and the call's cost as llm_workbench.cost. Message content (prompts,
outputs, check details) only with --content. The bundle is verified
first; one that does not verify is refused (exit 1) and nothing is written.`,
  },
  "replay": {
    summary:
      "re-score a bundle's receipts with the current checks and diff the figures",
    usage: `wb replay: re-score a bundle's receipts with the current checks

Usage:
  wb replay FILE [--force] [--json]

Reads every cell's output from its receipt, runs the checks of the task
as the bundle recorded it with the current check code, recomputes each
run's scorecard and compares its figures with the bundle's. No model is
called. Refuses a bundle that does not verify unless --force.
Exit 0 when every scorecard is reproduced, 1 when a figure differs.`,
  },
  "rerun": {
    summary: "execute a bundle's runs again with a model and compare",
    usage: `wb rerun: execute a bundle's runs again with a model

Usage:
  wb rerun FILE [--model ID] [--json] [--db URL]

Imports the bundle (verified) into the database, runs each run's snapshot
again (same task, prompt version, dataset version, cases, repetitions and
judge) with the run's model config or --model ID, with the response cache
off, and lists the scorecard figures that moved. This calls models: keys
come from the environment as for wb experiment (the fake provider needs
none). Without --db it runs in a throwaway in-memory database.
Exit 0 when every figure is reproduced, 1 when one moved.`,
  },
  "label": {
    summary:
      "record a person's 1-5 rubric scores of an output (for calibration)",
    usage: `wb label: record a person's rubric scores of one model output

Usage:
  wb label --run RUN --case ID [--repetition N] --labeller NAME
           --score DIM=1..5 [--score DIM=1..5 ...] [--note TEXT] [--json] [--db URL]
  wb label --task TASK --file datasets/TASK.labels.jsonl [--json] [--db URL]

The first form labels the output the run produced for that case and
repetition (default 0): the label is bound to the sha256 of that exact
output text, so it never matches another output. Dimensions are the task's
rubric dimensions, scores integers from 1 (bad) to 5 (good).
The second form stores every label of a labels file (JSON Lines: case_id,
repetition?, output_sha256, labeller, scores, note?); labels stored before
are skipped. See docs/calibration.md.`,
  },
  "calibrate": {
    summary: "agreement of a judge with human labels (rho, tau-b, kappa, bias)",
    usage: `wb calibrate: how well a judge agrees with people

Usage:
  wb calibrate --task TASK --judge MODEL [--labels FILE] [--top N]
               [--seed N] [--resamples N] [--json] [--db URL]

Stores the labels of FILE (default datasets/TASK.labels.jsonl, when it
exists; labels stored before are skipped), matches every stored label of
the task to the judged output it was written for (same case, repetition and
output sha256, in runs judged by MODEL) and prints, per rubric dimension:
Spearman's rho and Kendall's tau-b with 95% bootstrap intervals,
quadratic-weighted kappa, the mean bias (judge minus person: + lenient,
- strict), the share of exact agreement, the 5x5 confusion table and the
largest disagreements with the judge's reasoning and the person's note.
Labels whose output no longer exists in those runs are listed, not matched.

Options:
  --labels FILE   labels file to store first
  --top N         disagreements listed per dimension (default 3)
  --seed N        bootstrap seed (default 1)
  --resamples N   bootstrap resamples (default 1000)
  --json          print the calibration as JSON`,
  },
  "init": {
    summary:
      "make a researcher's project (task, dataset, models, notebook) in a new folder",
    usage: `wb init: make a researcher's project in a folder of its own

Usage:
  wb init DIR [--task NAME]

Creates DIR (it may exist if it is empty) with:
  deno.json                     imports the toolkit as @llm-workbench/workbench;
                                \`deno task wb\` is this CLI, no --config needed
  deno.lock                     the toolkit's dependency versions, so the project
                                resolves the same ones
  prompts/NAME/task.yaml        schemas, rubric, checks, slice mix
  prompts/NAME/v1.yaml, v2.yaml two prompt versions
  datasets/NAME.jsonl           ten cases over the four slices
  models.yaml                   the fake models, real providers commented out
  notebooks/explore.ipynb       the loop in a notebook (Deno kernel)
  README.md                     the next five commands

--task is the task's name (default ticket_triage). Run from a checkout, the
project links to it (deno.json "links"), so nothing is downloaded from JSR;
remove the "links" entry to use the package from JSR once it is published.
The files are checked with \`wb validate\` before anything is written. --db is
accepted for symmetry with other commands; init never opens a database.`,
  },
  "edit": {
    summary:
      "record a person's correction of an artifact or an experiment output",
    usage: `wb edit: record a person's correction as a new version

Usage:
  wb edit --artifact KEY --editor NAME --reason TEXT (--file F | --text T)
  wb edit --run RUN --case CASE [--repetition N] --editor NAME --reason TEXT
          (--file F | --text T)
  wb edit --result RESULT_ID --editor NAME --reason TEXT (--file F | --text T)
  (each takes [--json] [--db URL])

With --artifact, the correction becomes the artifact's next version, by
the editor, with the reason and the unified patch in an artifact_edited
event of the artifact's trace.

With --run and --case (or --result), it corrects an experiment output:
the cell's output becomes artifact result/<result id> (version 1, by the
model) and the correction its next version, both bound to the result and
its generation receipt in the run's trace. The stored output, its checks,
rubric scores and the scorecard never change; the corrected text is scored
by the task's checks here, separately, and printed beside the stored
scores. \`wb show RUN\` and the report of a bundle of the run list the
corrections.`,
  },
  "gates": {
    summary: "list the gate steps of pipelines, and those waiting for a person",
    usage: `wb gates: the gate steps of pipelines

Usage:
  wb gates pending [--json] [--db URL]   the gates waiting for a person
  wb gates list [--json] [--db URL]      every gate step, with its status

Decide one with \`wb gate approve GATE --actor NAME --reason TEXT\` (or reject);
the pipeline waiting on it goes on, or resumes from its trace.`,
  },
  "score-traces": {
    summary: "score a task's traced production calls per day or week",
    usage: `wb score-traces: score a task's traced production calls per window

Usage:
  wb score-traces --task T --since DATE [--until DATE] [--window day|week]
                  [--sample N|RATE] [--judge MODEL_CONFIG] [--otlp FILE]
                  [--json] [--db URL]

Reads the calls recorded for task T (recordCall or a client wrapper given
the task and its input) made at or after --since, or the GenAI spans of an
OTLP/JSON file written by \`wb export-otel --content\` (--otlp). Each call's
input is checked against the task's input_schema: the ones that fail are
counted and listed, not scored. Each valid call gets a slice suggested by
its nearest suite cases (character n-grams) and the task's checks that need
no expected values; with --judge, the rubric judge too, which sends the
production inputs and outputs to that model: the task must opt in with
'production: { judge: true }' in its task.yaml. Each window (a UTC day or an
ISO week) is stored as a run whose results point at the calls' receipts,
with its scorecard. --sample 200 scores 200 calls per window, --sample 0.1
about a tenth, chosen by receipt hash (the same calls every time).

Exit codes: 0 scored, 2 bad input.`,
  },
  "drift": {
    summary: "a production window's verdict against a baseline run or window",
    usage:
      `wb drift: a production window's verdict against a baseline, and which slice moved

Usage:
  wb drift --task T --baseline RUN|WINDOW --window WINDOW
           [--mode point|strict|confident] [--limit NAME=VALUE ...] [--json] [--db URL]

WINDOW is a day (2026-12-01) or an ISO week (2026-W49) scored by
\`wb score-traces\`; the baseline is an earlier window or the released
version's suite run. The limits, modes and tests are compare's: any slice's
score, rubric dimension or cost per input past its limit rejects; an
undecided limit is INCONCLUSIVE (confident mode). The two sides are
independent samples of inputs, so each interval is Welch's over inputs and
speaks of the traffic each was drawn from. Each failing or undecided figure
names the slice that moved it most: its change of share or its own change.

Exit codes: 0 APPROVED, 1 REJECTED, 3 INCONCLUSIVE, 2 bad input.`,
  },
  "suggest-cases": {
    summary: "propose production inputs as new cases, with a suggested slice",
    usage:
      `wb suggest-cases: production inputs worth adding to the suite, with a slice

Usage:
  wb suggest-cases --task T [--window W ...] [--limit N] [--json] [--db URL]

Reads the windows \`wb score-traces\` scored and proposes inputs as new
cases: failures first (a failed call or check), then low scores (0.5 or
less), then inputs unlike any suite case; each with the slice its nearest
suite cases suggest and why. Nothing is added: \`wb accept-cases\` does.

Exit codes: 0 listed, 2 bad input.`,
  },
  "accept-cases": {
    summary: "add production inputs to the suite as a new dataset version",
    usage:
      `wb accept-cases: add production inputs to the suite as a new dataset version

Usage:
  wb accept-cases --task T --author NAME --receipt ID [--receipt ID ...]
                  [--slice ID=SLICE ...] [--root DIR] [--json] [--db URL]

Appends each call's input to datasets/T.jsonl as case prod-ID (the suggested
slice unless --slice overrides it; expected values empty until a person adds
them), with a note naming the source receipt (id and sha256) and the author,
then loads the catalog: the new dataset version passes every catalog check,
the task's slice mix included, or the file is restored and nothing is stored.
A cases_accepted trace event links the version, the cases, their receipts
and the author.

Exit codes: 0 accepted, 2 bad input or a dataset the catalog refuses (its
issues are printed).`,
  },
  "history": {
    summary: "a task's prompt versions: authors, notes, verdicts, aliases",
    usage: `wb history: a task's prompt versions and what was decided about each

Usage:
  wb history --task TASK [--json] [--db URL]

One line per version: author, date, content sha256, its verdict against
the version before (with the comparison that computed it; "not compared"
when none was) and its note; then which version each alias points to and
through which gate.`,
  },
} as const satisfies Record<string, Omit<About, "name">>;

/** A command name that has help in this file. */
export type CommandName = keyof typeof ABOUT;

/** The help of the command called `name`. */
export function about(name: CommandName): About {
  return { name, ...ABOUT[name] };
}
