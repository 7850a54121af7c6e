import assert from "node:assert/strict";
import { ConflictError, type Issue, ValidationError } from "../errors.ts";
import { countCatalogRows, getLatestDataset } from "../store/catalog.ts";
import { open } from "../store/open.ts";
import { loadCatalog } from "./load_catalog.ts";
import { readCatalog } from "./read_catalog.ts";
import {
  assertIssue,
  DATASET,
  makeCatalog,
  PROMPTS,
  TASK,
  TEST_CHECKS,
} from "./_test_helpers.ts";

type Breakage = string | ((root: string) => Promise<void>);

/**
 * Loads the valid catalog, then tries to load a broken one into the same
 * store: asserts that it is refused with the given error class and that no
 * row was written. Returns the error.
 */
async function refusedLoad<E extends Error>(
  breakage: Breakage,
  errorClass: new (...args: never[]) => E,
): Promise<E> {
  const base = await makeCatalog();
  const broken = typeof breakage === "string"
    ? await makeCatalog(breakage)
    : await makeCatalog();
  try {
    if (typeof breakage !== "string") await breakage(broken);
    await using store = await open(":memory:");
    await loadCatalog(store, { root: base, checks: TEST_CHECKS });
    const before = await countCatalogRows(store);
    assert.ok(before.prompt_versions > 0 && before.test_cases > 0);
    let caught: unknown;
    try {
      await loadCatalog(store, { root: broken, checks: TEST_CHECKS });
    } catch (error) {
      caught = error;
    }
    assert.ok(
      caught instanceof errorClass,
      `expected ${errorClass.name}, got ${String(caught)}`,
    );
    assert.deepEqual(
      await countCatalogRows(store),
      before,
      "rows were written",
    );
    return caught;
  } finally {
    await Deno.remove(base, { recursive: true });
    await Deno.remove(broken, { recursive: true });
  }
}

async function refusedIssues(breakage: Breakage): Promise<readonly Issue[]> {
  return (await refusedLoad(breakage, ValidationError)).issues;
}

Deno.test("loadCatalog() refuses malformed YAML with the parser's line", async () => {
  const issues = await refusedIssues("malformed_yaml");
  assertIssue(issues, {
    file: `${PROMPTS}/v2.yaml`,
    line: 7,
    message:
      /^YAML syntax error: Flow map in block collection must be sufficiently indented and end with a \}/,
  });
});

Deno.test("loadCatalog() refuses a JSONL line that is not JSON", async () => {
  const issues = await refusedIssues("jsonl_not_json");
  assertIssue(issues, {
    file: DATASET,
    line: 4,
    message:
      /^line is not valid JSON \(.* at column 89\): write one JSON object per line$/,
  });
  assert.equal(issues.length, 1);
});

Deno.test("loadCatalog() refuses a case with a missing field", async () => {
  const issues = await refusedIssues("missing_field");
  assertIssue(issues, {
    file: DATASET,
    line: 5,
    field: "slice",
    message:
      /^missing required field: add it \(one of typical, edge, known_failure, adversarial\)$/,
  });
});

Deno.test("loadCatalog() refuses a case field of the wrong type", async () => {
  const issues = await refusedIssues("wrong_type");
  assertIssue(issues, {
    file: DATASET,
    line: 6,
    field: "expected",
    message: /^must be a mapping, not string 'billing'$/,
  });
});

Deno.test("loadCatalog() refuses a YAML field of the wrong type with its line", async () => {
  const issues = await refusedIssues("wrong_type_yaml");
  assertIssue(issues, {
    file: `${PROMPTS}/v2.yaml`,
    line: 9,
    field: "params.temperature",
    message: /^must be a number, not string 'zero'$/,
  });
});

Deno.test("loadCatalog() refuses a duplicate case id", async () => {
  const issues = await refusedIssues("duplicate_id");
  assertIssue(issues, {
    file: DATASET,
    line: 8,
    field: "id",
    message:
      /^duplicate case id 'tt-003' \(first on line 3\): give each case a unique id$/,
  });
});

Deno.test("loadCatalog() refuses an unknown slice", async () => {
  const issues = await refusedIssues("unknown_slice");
  assertIssue(issues, {
    file: DATASET,
    line: 7,
    field: "slice",
    message:
      /^unknown slice 'edgy': use one of typical, edge, known_failure, adversarial$/,
  });
});

Deno.test("loadCatalog() refuses an empty dataset file", async () => {
  const issues = await refusedIssues("empty_dataset");
  assertIssue(issues, {
    file: DATASET,
    message: /^dataset is empty: add one JSON case per line/,
  });
});

Deno.test("loadCatalog() refuses an empty prompt file", async () => {
  const issues = await refusedIssues("empty_prompt");
  assertIssue(issues, {
    file: `${PROMPTS}/v2.yaml`,
    message:
      /^file is empty: write a prompt version \(schema_version, system, template, note\)$/,
  });
});

Deno.test("loadCatalog() refuses a template variable the dataset does not provide", async () => {
  const issues = await refusedIssues("template_variable");
  assertIssue(issues, {
    file: `${PROMPTS}/v2.yaml`,
    line: 5,
    field: "template",
    message:
      /^template variable '\{\{region\}\}' is not in the input of 10 of 10 cases in datasets\/ticket_triage\.jsonl \(first: line 1, case 'tt-001'\): add input\.region/,
  });
});

Deno.test("loadCatalog() refuses an unknown check name", async () => {
  const issues = await refusedIssues("unknown_check");
  assertIssue(issues, {
    file: `${PROMPTS}/task.yaml`,
    line: 34,
    field: "checks[2].name",
    message:
      /^unknown check 'exact_matches': use one of enum_member, exact_match, json_schema_valid$/,
  });
});

Deno.test("loadCatalog() refuses an invalid check config", async () => {
  const issues = await refusedIssues("bad_check_config");
  assertIssue(issues, {
    file: `${PROMPTS}/task.yaml`,
    line: 33,
    field: "checks[1].config.values",
    message: /^must be a list, not string 'billing'$/,
  });
});

Deno.test("loadCatalog() refuses a dataset off its slice mix", async () => {
  const issues = await refusedIssues("bad_slice_mix");
  assertIssue(issues, {
    file: DATASET,
    field: "slice",
    message:
      /^slice 'typical' has 4 of 10 cases \(40%\) but slice_mix in prompts\/ticket_triage\/task\.yaml targets 60% \(6 cases\): add 'typical' cases/,
  });
  assertIssue(issues, {
    file: DATASET,
    field: "slice",
    message:
      /^slice 'adversarial' has 3 of 10 cases \(30%\) .* targets 10% \(1 case\): remove 'adversarial' cases/,
  });
  assert.equal(issues.length, 2);
});

Deno.test("loadCatalog() refuses a gap in version numbers", async () => {
  const issues = await refusedIssues("version_gap");
  assertIssue(issues, {
    file: `${PROMPTS}/v4.yaml`,
    message: /^version gap: v3 is missing; .*: rename this file to v3\.yaml$/,
  });
});

Deno.test("loadCatalog() refuses a prompt file not named vN.yaml", async () => {
  const issues = await refusedIssues("bad_prompt_name");
  assertIssue(issues, {
    file: `${PROMPTS}/v3-draft.yaml`,
    message: /^prompt file name must be vN\.yaml/,
  });
});

Deno.test("loadCatalog() refuses a case input that does not match input_schema", async () => {
  const issues = await refusedIssues("input_schema");
  assertIssue(issues, {
    file: DATASET,
    line: 2,
    field: "input.plan",
    message:
      /^must be equal to one of the allowed values: "free", "pro", "enterprise" \(input_schema in prompts\/ticket_triage\/task\.yaml\)$/,
  });
});

Deno.test("loadCatalog() refuses a new version with the content of an earlier one", async () => {
  const issues = await refusedIssues("same_content");
  assertIssue(issues, {
    file: `${PROMPTS}/v3.yaml`,
    message:
      /^same system, template and params as v2: a new version must change the prompt/,
  });
});

Deno.test("loadCatalog() refuses bytes that are not UTF-8 with their line", async () => {
  const issues = await refusedIssues(async (root) => {
    const path = `${root}/${DATASET}`;
    const bytes = await Deno.readFile(path);
    const lines = new TextDecoder().decode(bytes).split("\n");
    const head = new TextEncoder().encode(lines.slice(0, 2).join("\n") + "\n");
    const rest = new TextEncoder().encode(lines.slice(2).join("\n"));
    await Deno.writeFile(
      path,
      new Uint8Array([...head, 0xff, 0xfe, ...rest]),
    );
  });
  assertIssue(issues, {
    file: DATASET,
    line: 3,
    message: /^file is not valid UTF-8: save it with UTF-8 encoding$/,
  });
});

Deno.test("loadCatalog() collects every issue, not only the first", async () => {
  const error = await refusedLoad(async (root) => {
    for (const overlay of ["unknown_slice", "template_variable"]) {
      const from = await makeCatalog(overlay);
      for (const file of [DATASET, `${PROMPTS}/v2.yaml`]) {
        if (overlay === "unknown_slice" && file !== DATASET) continue;
        if (overlay === "template_variable" && file === DATASET) continue;
        await Deno.copyFile(`${from}/${file}`, `${root}/${file}`);
      }
      await Deno.remove(from, { recursive: true });
    }
    await Deno.remove(`${root}/models.yaml`);
  }, ValidationError);
  assert.equal(error.issues.length, 3);
  assert.match(
    error.message,
    /^3 problems found:\n {2}- datasets\/ticket_triage\.jsonl:7: slice: unknown slice 'edgy'/,
  );
  assertIssue(error.issues, {
    file: "models.yaml",
    message: /^model configurations not found: add models\.yaml/,
  });
  assertIssue(error.issues, {
    file: `${PROMPTS}/v2.yaml`,
    line: 5,
    field: "template",
    message: /'\{\{region\}\}'/,
  });
});

Deno.test("loadCatalog() refuses a prompt edited in place after it was loaded", async () => {
  const error = await refusedLoad(async (root) => {
    const path = `${root}/${PROMPTS}/v1.yaml`;
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace("You route support messages.", "You route messages."),
    );
  }, ConflictError);
  assert.match(
    error.message,
    /ticket_triage v1 already exists with different content; add v3 instead/,
  );
});

/** Reads the valid fixture, changes every file with `rewrite`, loads it and compares ids. */
async function assertSameIdsAfter(
  rewrite: (text: string) => string | Uint8Array,
): Promise<string> {
  const plain = await makeCatalog();
  const changed = await makeCatalog();
  try {
    for (
      const file of [
        `${PROMPTS}/task.yaml`,
        `${PROMPTS}/v1.yaml`,
        `${PROMPTS}/v2.yaml`,
        DATASET,
        "models.yaml",
      ]
    ) {
      const text = await Deno.readTextFile(`${changed}/${file}`);
      const out = rewrite(text);
      if (typeof out === "string") {
        await Deno.writeTextFile(`${changed}/${file}`, out);
      } else {
        await Deno.writeFile(`${changed}/${file}`, out);
      }
    }
    const expected = await readCatalog(plain, { checks: TEST_CHECKS });
    await using store = await open(":memory:");
    const report = await loadCatalog(store, {
      root: changed,
      checks: TEST_CHECKS,
    });
    const task = expected.tasks[0]!;
    assert.equal(report.tasks[0]?.task_id, task.task.id);
    assert.equal(report.tasks[0]?.dataset_id, task.dataset.id);
    assert.deepEqual(
      report.tasks[0]?.new_prompt_versions.map((v) => v.sha256),
      task.prompts.map((p) => p.sha256),
    );
    return await Deno.readTextFile(`${changed}/${DATASET}`);
  } finally {
    await Deno.remove(plain, { recursive: true });
    await Deno.remove(changed, { recursive: true });
  }
}

Deno.test("loadCatalog() accepts a UTF-8 byte order mark and strips it", async () => {
  const text = await assertSameIdsAfter((text) =>
    new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])
  );
  assert.equal(text.charCodeAt(0), 0xfeff);
});

Deno.test("loadCatalog() accepts CRLF line ends with the same content ids", async () => {
  const text = await assertSameIdsAfter((text) =>
    text.replaceAll("\n", "\r\n")
  );
  assert.ok(text.includes("\r\n"));
});

Deno.test("loadCatalog() accepts a valid 1 MB line when the task's bounds allow it", async () => {
  const root = await makeCatalog();
  try {
    const task = `${root}/${PROMPTS}/task.yaml`;
    await Deno.writeTextFile(
      task,
      (await Deno.readTextFile(task)) + "bounds: { case_bytes: 2097152 }\n",
    );
    const message = "x".repeat(1024 * 1024);
    const lines = (await Deno.readTextFile(`${root}/${DATASET}`)).split("\n");
    lines[0] = JSON.stringify({
      id: "tt-001",
      slice: "typical",
      input: { message, plan: "pro" },
      expected: { category: "other", priority: "low" },
    });
    await Deno.writeTextFile(`${root}/${DATASET}`, lines.join("\n"));
    await using store = await open(":memory:");
    const report = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(report.tasks[0]?.case_count, 10);
    const dataset = await getLatestDataset(store, TASK);
    assert.equal(dataset.cases[0]?.input.message, message);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadCatalog() refuses a case over 256 KiB of JSON, naming its id, line and size", async () => {
  const issues = await refusedIssues(async (root) => {
    const file = `${root}/${DATASET}`;
    const big = {
      id: "tt-huge",
      slice: "typical",
      input: { message: "x".repeat(5 * 1024 * 1024), plan: "pro" },
      expected: { category: "billing", priority: "high" },
    };
    await Deno.writeTextFile(file, JSON.stringify(big) + "\n", {
      append: true,
    });
  });
  const lines = (await Deno.readTextFile(
    new URL(`./testdata/valid/${DATASET}`, import.meta.url),
  )).trim().split("\n").length;
  assertIssue(issues, {
    file: DATASET,
    line: lines + 1,
    field: "id",
    message:
      /^case 'tt-huge' is 5\.0 MiB of JSON, over the task's limit of 256 KiB: shorten it, or raise bounds\.case_bytes in prompts\/ticket_triage\/task\.yaml$/,
  });
  assert.equal(issues.length, 1);
});

Deno.test("loadCatalog() applies a task's own case limit from bounds.case_bytes", async () => {
  const issues = await refusedIssues(async (root) => {
    const task = `${root}/${PROMPTS}/task.yaml`;
    await Deno.writeTextFile(
      task,
      (await Deno.readTextFile(task)) + "bounds: { case_bytes: 150 }\n",
    );
  });
  // Every case line longer than 150 bytes is named, in one pass.
  assert.ok(issues.length >= 2);
  for (const issue of issues) {
    assert.equal(issue.file, DATASET);
    assert.match(issue.message, /over the task's limit of 150 bytes/);
  }
});
