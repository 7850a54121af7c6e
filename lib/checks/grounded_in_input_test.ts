import assert from "node:assert/strict";
import { groundedInInput } from "./grounded_in_input.ts";

const config = groundedInInput.config.parse({
  field: "matched_skills",
  source: "resume_text",
});
const ctx = {
  input: {
    "resume_text":
      "Built services in TypeScript and Node.js; machine-learning pipelines; C++ and Go. Zürich office.",
  },
  slice: "typical" as const,
};
const run = (output: string) => groundedInInput.run(output, {}, config, ctx);

Deno.test("grounded_in_input passes skills that appear in the source, case-insensitively", () => {
  const r = run(
    '{"matched_skills": ["typescript", "NODE.JS", "C++", "Machine Learning"]}',
  );
  assert.deepEqual(r, {
    pass: true,
    score: 1,
    detail: 'all 4 items of "matched_skills" appear in "resume_text"',
  });
});

Deno.test("grounded_in_input fails hallucinated items and scores the grounded share", () => {
  const r = run(
    '{"matched_skills": ["TypeScript", "Kubernetes", "Rust", "Go"]}',
  );
  assert.equal(r.pass, false);
  assert.equal(r.score, 0.5);
  assert.match(r.detail, /2 of 4 not in "resume_text": "Kubernetes", "Rust"/);
});

Deno.test("grounded_in_input matches whole words only", () => {
  // "Java" is not grounded by "JavaScript"; "Go" is grounded by "Go."
  const ctx2 = {
    input: { "resume_text": "JavaScript and Go." },
    slice: "edge" as const,
  };
  const r = groundedInInput.run(
    '{"matched_skills": ["Java", "Go"]}',
    {},
    config,
    ctx2,
  );
  assert.equal(r.score, 0.5);
  assert.match(r.detail, /"Java"/);
});

Deno.test("grounded_in_input handles unicode, fences, empty lists and bad output", () => {
  assert.equal(run('```json\n{"matched_skills": ["ZÜRICH"]}\n```').pass, true);
  assert.equal(run('{"matched_skills": []}').pass, true);
  assert.match(run("{}").detail, /missing/);
  assert.match(run("").detail, /empty/);
  assert.match(run("TypeScript, Go").detail, /not a JSON object/);
  const noSource = groundedInInput.run(
    '{"matched_skills": ["a"]}',
    {},
    config,
    { input: {}, slice: "typical" },
  );
  assert.match(noSource.detail, /no "resume_text"/);
});
