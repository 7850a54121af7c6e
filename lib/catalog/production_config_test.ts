import assert from "node:assert/strict";
import { validateCatalog } from "./validate_catalog.ts";
import { makeCatalog, PROMPTS, TEST_CHECKS } from "./_test_helpers.ts";

async function withTaskTail(
  tail: string,
  fn: (issues: readonly { field?: string; message: string }[]) => void,
): Promise<void> {
  const root = await makeCatalog();
  try {
    const file = `${root}/${PROMPTS}/task.yaml`;
    await Deno.writeTextFile(
      file,
      `${await Deno.readTextFile(file)}\n${tail}\n`,
    );
    const result = await validateCatalog(root, { checks: TEST_CHECKS });
    fn(result.issues);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("validateCatalog() accepts the production judge opt-in with redacted input fields", async () => {
  await withTaskTail(
    "production:\n  judge: true\n  redact: [input.body]",
    (issues) => assert.deepEqual(issues, []),
  );
});

Deno.test("validateCatalog() refuses a production block that is not a yes/no opt-in or redacts a non-input field", async (t) => {
  for (
    const [tail, field, message] of [
      ["production:\n  judge: yes please", "production.judge", /boolean/],
      [
        "production:\n  judge: true\n  redact: [expected.category]",
        "production.redact[0]",
        /name an input field, e\.g\. input\.account_context/,
      ],
      [
        "production:\n  judge: true\n  send_all: true",
        "production.send_all",
        /unknown field/,
      ],
    ] as const
  ) {
    await t.step(tail.replaceAll("\n", " "), async () => {
      await withTaskTail(tail, (issues) => {
        const issue = issues.find((i) => i.field === field);
        assert.ok(issue, JSON.stringify(issues));
        assert.match(issue.message, message);
      });
    });
  }
});
