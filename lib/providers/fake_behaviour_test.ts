import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.ts";
import { type ModelConfig, ModelConfigSchema } from "../schema/model.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import { createFakeAdapter } from "./fake.ts";
import { behaviourModuleUrl } from "./fake_behaviour.ts";

const ECHO_MODULE = `
export const behaviours = [{
  task: "echo_task",
  answer: (ctx) => JSON.stringify({ echoed: ctx.hints.case_id }),
  judgeFacts: () => ({}),
}];
`;

function config(behaviours?: string[]): ModelConfig {
  return {
    id: "fake-echo",
    provider: "fake",
    model: "fake-echo-1",
    params: {},
    options: {},
    ...(behaviours === undefined ? {} : { behaviours }),
  };
}

const request: ModelRequest = {
  messages: [{ role: "user", content: "Say what you do." }],
  params: {},
  hints: {
    task: "echo_task",
    case_id: "c-7",
    slice: "typical",
    input: { text: "hello" },
    output_schema: {
      type: "object",
      properties: { label: { type: "string" } },
      required: ["label"],
    },
  },
};

async function moduleFile(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "wb_fake_behaviour_" });
  const path = join(dir, "behaviours.ts");
  await Deno.writeTextFile(path, text);
  return pathToFileURL(path).href;
}

Deno.test("a fake config's behaviours module answers its task; without it the generic fake answers", async () => {
  const url = await moduleFile(ECHO_MODULE);
  const named = await createFakeAdapter(config([url])).call(request);
  assert.equal(named.text, '{"echoed":"c-7"}');
  const plain = await createFakeAdapter(config()).call(request);
  assert.notEqual(plain.text, named.text);
  // Another task is still answered generically by the same adapter.
  const otherTask = {
    ...request,
    hints: { ...request.hints!, task: "other_task" },
  };
  assert.equal(
    (await createFakeAdapter(config([url])).call(otherTask)).text,
    (await createFakeAdapter(config()).call(otherTask)).text,
  );
});

Deno.test("a behaviours entry that cannot be imported or exports no behaviours rejects the call with a ConfigError naming it", async () => {
  const missing = createFakeAdapter(config(["demo/fake/no_such_module.ts"]));
  await assert.rejects(
    () => missing.call(request),
    (error) =>
      error instanceof ConfigError &&
      /model config "fake-echo" behaviours entry "demo\/fake\/no_such_module\.ts"/
        .test(error.message),
  );
  const empty = await moduleFile("export const other = 1;\n");
  await assert.rejects(
    () => createFakeAdapter(config([empty])).call(request),
    (error) =>
      error instanceof ConfigError &&
      /does not export `behaviours`/.test(error.message),
  );
});

Deno.test("behaviours paths resolve against the toolkit's root; URLs are kept", () => {
  const root = new URL("../../", import.meta.url).href;
  assert.equal(
    behaviourModuleUrl("demo/fake/behaviours.ts"),
    `${root}demo/fake/behaviours.ts`,
  );
  assert.equal(
    behaviourModuleUrl("file:///srv/project/fake.ts"),
    "file:///srv/project/fake.ts",
  );
  assert.equal(behaviourModuleUrl("jsr:@me/fake"), "jsr:@me/fake");
});

Deno.test("the models schema takes behaviours on fake configs only, as module paths or URLs", () => {
  const base = { id: "m", model: "m-1" };
  assert.ok(
    ModelConfigSchema.safeParse({
      ...base,
      provider: "fake",
      behaviours: ["demo/fake/behaviours.ts", "file:///x/y.ts"],
    }).success,
  );
  const onOpenai = ModelConfigSchema.safeParse({
    ...base,
    provider: "openai",
    behaviours: ["demo/fake/behaviours.ts"],
  });
  assert.equal(onOpenai.success, false);
  assert.match(
    JSON.stringify(onOpenai.error?.issues),
    /only the fake provider reads `behaviours`/,
  );
  for (const bad of [[], ["behaviours"], ["C:\\x.ts"], [""]]) {
    assert.equal(
      ModelConfigSchema.safeParse({
        ...base,
        provider: "fake",
        behaviours: bad,
      }).success,
      false,
      JSON.stringify(bad),
    );
  }
});
