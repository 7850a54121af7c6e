import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import { SecretScrubber } from "./secrets.ts";

/** An object's canonical JSON and its members' canonical JSON. */
function texts(value: Record<string, unknown>) {
  const members: Record<string, string> = {};
  for (const [name, item] of Object.entries(value)) {
    members[name] = canonicalize(item);
  }
  return { text: canonicalize(value), members };
}

Deno.test("SecretScrubber.containsInMembers() answers as contains() does for the whole text", () => {
  const scrubber = new SecretScrubber(["cafe1234-beef-5678"]);
  const objects: Record<string, unknown>[] = [
    { system: "Be brief", messages: [{ role: "user", content: "Hello" }] },
    {
      system: "Be brief",
      messages: [{ role: "user", content: "key sk-ant-abcdefghijklmnopqrstu" }],
    },
    { params: { header: "Bearer abcdefghijklmnopqrstuvwx" }, repetition: 0 },
    { system: "my key is cafe1234-beef-5678", repetition: 1 },
    // Key shapes at the edges of members, next to the punctuation between.
    { a: "AKIAABCDEFGHIJKLMNOP", b: "sk-", c: "x" },
    { a: "prefixAKIAABCDEFGHIJKLMNOP", b: 12 },
    { ghp_abcdefghijklmnopqrstuvwxyz0123456789: 1 },
  ];
  for (const object of objects) {
    const { text, members } = texts(object);
    assert.equal(
      scrubber.containsInMembers(text, members, new Map()),
      scrubber.contains(text),
      text,
    );
  }
});

Deno.test("SecretScrubber.containsInMembers() skips members found clean before, and finds a secret in a changed one", () => {
  const scrubber = new SecretScrubber([]);
  const clean = new Map<string, string>();
  const first = texts({ system: "Be brief", messages: ["Hello"] });
  assert.equal(
    scrubber.containsInMembers(first.text, first.members, clean),
    false,
  );
  assert.equal(clean.get("system"), first.members.system);
  // The same system prompt, new messages holding a key: found.
  const second = texts({
    system: "Be brief",
    messages: ["token xoxb-1234567890abc"],
  });
  assert.equal(
    scrubber.containsInMembers(second.text, second.members, clean),
    true,
  );
  // A member recorded as clean is not searched again (here a text made up
  // to prove it: real callers record only what they searched).
  const marked = texts({ system: "sk-ant-abcdefghijklmnopqrstu" });
  clean.set("system", marked.members.system!);
  assert.equal(
    scrubber.containsInMembers(marked.text, marked.members, clean),
    false,
  );
  assert.equal(scrubber.contains(marked.text), true);
});
