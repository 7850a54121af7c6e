import assert from "node:assert/strict";
import { Figure } from "./figure.ts";
import { show } from "./show.ts";
import { View } from "./view.ts";

Deno.test("show() prints each value's text form outside a notebook", async () => {
  const printed: string[] = [];
  const write = (text: string) => void printed.push(text);
  await show(new View("<p>ok</p>", "ok"), { write });
  await show(new Figure("<svg></svg>", "per-slice scores"), { write });
  await show("plain", { write });
  await show({ cases: 3 }, { write });
  assert.deepEqual(printed, [
    "ok",
    "per-slice scores",
    "plain",
    "{ cases: 3 }",
  ]);
});

Deno.test("show() displays through the kernel and lets it publish before going on", async () => {
  const events: string[] = [];
  const jupyter = {
    display(value: unknown): Promise<void> {
      events.push(`display ${String(value)}`);
      return Promise.resolve();
    },
  };
  const view = new View("<p>ok</p>", "ok");
  const shown = show(view, { jupyter, settleMs: 20 }).then(() =>
    events.push("shown")
  );
  // A timer due now fires before show() settles: it waits settleMs after display.
  await new Promise((resolve) => setTimeout(resolve, 0));
  events.push("timer");
  await shown;
  assert.deepEqual(events, ["display ok", "timer", "shown"]);

  events.length = 0;
  await show(view, { jupyter, settleMs: 0 });
  assert.deepEqual(events, ["display ok"]);
});
