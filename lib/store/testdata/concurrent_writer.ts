// A child process for open_test.ts: writes N rows, one transaction each, into
// a shared file database while another copy of itself does the same.
import { open } from "../open.ts";

const [url, name, count] = Deno.args;
const store = await open(url!);
for (let i = 0; i < Number(count); i++) {
  await store.db.insertInto("labels").values({
    id: `${name}-${i}`,
    task: "t",
    case_key: `c${i}`,
    output_sha256: "h",
    labeller: name!,
    scores: "{}",
    note: null,
    created_at: new Date().toISOString(),
  }).execute();
}
await store.close();
