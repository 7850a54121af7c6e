import assert from "node:assert/strict";
import { validateCatalog } from "./validate_catalog.ts";
import {
  assertIssue,
  DATASET,
  makeCatalog,
  PROMPTS,
  TASK,
  TEST_CHECKS,
} from "./_test_helpers.ts";

Deno.test("validateCatalog() returns ok and each task's slice distribution", async () => {
  const root = await makeCatalog();
  try {
    const result = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(result.ok, true);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.distribution, [{
      task: TASK,
      total: 10,
      slices: {
        typical: { count: 6, share: 0.6, target: 0.6 },
        edge: { count: 2, share: 0.2, target: 0.2 },
        known_failure: { count: 1, share: 0.1, target: 0.1 },
        adversarial: { count: 1, share: 0.1, target: 0.1 },
      },
    }]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() accepts a slice within one case of its target and no further", async () => {
  const root = await makeCatalog();
  try {
    const path = `${root}/${DATASET}`;
    const lines = (await Deno.readTextFile(path)).split("\n");
    const move = (index: number) => {
      lines[index] = lines[index]!.replace(
        '"slice": "typical"',
        '"slice": "edge"',
      );
    };
    move(0);
    await Deno.writeTextFile(path, lines.join("\n"));
    const near = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(near.ok, true);
    assert.equal(near.distribution[0]?.slices.edge.count, 3);

    move(1);
    await Deno.writeTextFile(path, lines.join("\n"));
    const far = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(far.ok, false);
    assert.equal(far.issues.length, 2);
    assertIssue(far.issues, {
      file: DATASET,
      field: "slice",
      message:
        /^slice 'edge' has 4 of 10 cases \(40%\) .* targets 20% \(2 cases\): remove 'edge' cases/,
    });
    assert.equal(far.distribution[0]?.slices.typical.share, 0.4);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() writes nothing to the catalog directory", async () => {
  const root = await makeCatalog("unknown_slice");
  try {
    const list = async () => {
      const names: string[] = [];
      for (const dir of [root, `${root}/datasets`, `${root}/prompts/${TASK}`]) {
        for await (const entry of Deno.readDir(dir)) {
          names.push(`${dir}/${entry.name}`);
        }
      }
      return names.sort();
    };
    const before = await list();
    const result = await validateCatalog(root);
    assert.equal(result.ok, false);
    assert.deepEqual(await list(), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() reports every problem in one pass, even behind an invalid task.yaml", async () => {
  const root = await makeCatalog();
  try {
    const taskFile = `${root}/${PROMPTS}/task.yaml`;
    const dimension = (i: number) =>
      `    - {name: d${i}, criteria: c, anchors: {good: g, average: a, bad: b}}`;
    const task = (await Deno.readTextFile(taskFile))
      // 1. nine rubric dimensions
      .replace(
        /rubric:\n[\s\S]*?checks:/,
        `rubric:\n  dimensions:\n${
          Array.from({ length: 9 }, (_, i) => dimension(i)).join("\n")
        }\nchecks:`,
      )
      // 2. a misspelt check, 3. a check config that does not validate
      .replace("- name: exact_match", "- name: exact_mach")
      .replace(
        "- name: json_schema_valid",
        '- name: injection_resisted\n    config: {patterns: ["(unclosed"]}',
      );
    await Deno.writeTextFile(taskFile, task);
    const dataset = `${root}/${DATASET}`;
    const lines = (await Deno.readTextFile(dataset)).split("\n");
    // 4. a case input against input_schema, 5. an unknown slice
    lines[1] = lines[1]!.replace('"plan": "free"', '"plan": "gold"');
    lines[2] = lines[2]!.replace('"slice": "typical"', '"slice": "typo"');
    await Deno.writeTextFile(dataset, lines.join("\n"));
    // 6. a template variable no case has
    const v1 = `${root}/${PROMPTS}/v1.yaml`;
    await Deno.writeTextFile(
      v1,
      (await Deno.readTextFile(v1)).replace("{{plan}}", "{{tier}}"),
    );

    const result = await validateCatalog(root);
    assert.equal(result.ok, false);
    const messages = result.issues.map((i) => `${i.file}: ${i.message}`);
    const expect = [
      /task\.yaml: a rubric has at most 8 dimensions/,
      /task\.yaml: unknown check 'exact_mach': use one of .*exact_match/,
      /task\.yaml: .*not a valid regular expression/,
      /ticket_triage\.jsonl: must be equal to one of the allowed values/,
      /ticket_triage\.jsonl: .*typo/,
      /v1\.yaml: template variable '\{\{tier\}\}' is not in the input/,
    ];
    for (const pattern of expect) {
      assert.ok(
        messages.some((m) => pattern.test(m)),
        `no issue matches ${pattern}:\n${messages.join("\n")}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() accepts a rubric of 1 to 8 dimensions and refuses none", async () => {
  for (
    const [count, ok] of [[1, true], [2, true], [8, true], [0, false]] as const
  ) {
    const root = await makeCatalog();
    try {
      const taskFile = `${root}/${PROMPTS}/task.yaml`;
      const dims = Array.from(
        { length: count },
        (_, i) =>
          `    - {name: d${i}, criteria: c, anchors: {good: g, average: a, bad: b}}`,
      ).join("\n");
      await Deno.writeTextFile(
        taskFile,
        (await Deno.readTextFile(taskFile)).replace(
          /rubric:\n[\s\S]*?checks:/,
          `rubric:\n  dimensions:${count === 0 ? " []" : `\n${dims}`}\nchecks:`,
        ),
      );
      const result = await validateCatalog(root);
      assert.equal(result.ok, ok, `${count} dimensions`);
      if (!ok) {
        assert.match(result.issues[0]!.message, /at least 1 dimension/);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("validateCatalog() checks the task's fake profile", async () => {
  const root = await makeCatalog();
  try {
    const taskFile = `${root}/${PROMPTS}/task.yaml`;
    const base = await Deno.readTextFile(taskFile);
    await Deno.writeTextFile(
      taskFile,
      `${base}fake:\n  accuracy: {typical: 0.9}\n  errors: {wrong_enum: 2, prose: 1}\n  fields: [category]\n`,
    );
    assert.equal((await validateCatalog(root)).ok, true);
    await Deno.writeTextFile(
      taskFile,
      `${base}fake:\n  accuracy: 1.5\n  errors: {typo: 1}\n  fields: [categroy]\n`,
    );
    const messages = (await validateCatalog(root)).issues.map((i) =>
      `${i.field}: ${i.message}`
    );
    assert.ok(
      messages.some((m) => /^fake\.accuracy/.test(m)),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => /^fake\.errors.*typo/.test(m)),
      messages.join("\n"),
    );
    await Deno.writeTextFile(taskFile, `${base}fake:\n  fields: [categroy]\n`);
    const [issue] = (await validateCatalog(root)).issues;
    assert.equal(issue?.field, "fake.fields[0]");
    assert.match(
      issue!.message,
      /'categroy' is not a property of output_schema: use one of category, priority/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
