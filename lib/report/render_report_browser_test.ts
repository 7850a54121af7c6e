/**
 * Opens a report of a hostile bundle in headless chromium and proves that
 * nothing in it executes: the payloads try to call the page binding
 * `wbCanary`, set `globalThis.wbPwned`, change `document.title` and open
 * dialogs. The page is loaded once with its CSP bypassed (so escaping alone
 * is tested) and once with it enforced on a phone-sized screen. Screenshots
 * go to test_output/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Chromium, chromiumMissing, type Page } from "./_chromium.ts";
import {
  HOSTILE,
  hostileBundle,
  hostileTraceBundle,
} from "./_hostile_bundle.ts";
import { renderReport } from "./render_report.ts";

const OUT = new URL("../../test_output/", import.meta.url);
const missing = await chromiumMissing();
// CI sets WB_REQUIRE_TOOLS=1 (.ci/run): there a missing Chromium fails the test.
const required = Deno.env.get("WB_REQUIRE_TOOLS") === "1";
if (missing && !required) {
  // deno-lint-ignore no-console
  console.log(`report browser test skipped: ${missing}`);
}

interface PageState {
  title: string;
  pwned: unknown;
  scripts: number;
  handlers: number;
  jsLinks: number;
  bodyText: string;
  /** data-testid -> whether that block is on the page with content. */
  blocks: Record<string, boolean>;
  verdict: {
    text: string;
    visible: boolean;
    inFirstScreen: boolean;
  } | null;
}

const STATE = `(() => {
  const el = document.querySelector('[data-testid="verdict"]');
  let verdict = null;
  if (el) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    verdict = {
      text: el.querySelector(".label").innerText,
      visible: r.width > 0 && r.height > 0 && s.visibility !== "hidden" &&
        s.display !== "none" && Number(s.opacity) > 0,
      inFirstScreen: r.top >= 0 && r.bottom <= window.innerHeight,
    };
  }
  const all = [...document.querySelectorAll("*")];
  return {
    title: document.title,
    pwned: globalThis.wbPwned ?? null,
    scripts: document.scripts.length,
    handlers: all.filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
    jsLinks: all.filter((e) => [...e.attributes].some((a) => /href$/i.test(a.name) && /^\\s*javascript:/i.test(a.value))).length,
    bodyText: document.body.innerText,
    blocks: Object.fromEntries(["trace-timeline", "trace-receipts", "trace-artifacts"].map((id) => {
      const el = document.querySelector('[data-testid="' + id + '"]');
      return [id, el !== null && el.getBoundingClientRect().height > 0 && el.innerText.trim().length > 0];
    })),
    verdict,
  };
})()`;

/** Waits for a task turn and two animation frames. */
const SETTLE =
  "new Promise((r) => setTimeout(r, 0)).then(() => new Promise(requestAnimationFrame)).then(() => new Promise(requestAnimationFrame))";

async function openReport(
  browser: Chromium,
  url: string,
  options: { bypassCsp: boolean; width: number; height: number; full: boolean },
): Promise<
  { page: Page; state: PageState; png: Uint8Array; after: PageState }
> {
  const page = await browser.newPage({ bypassCsp: options.bypassCsp });
  await page.viewport(options.width, options.height, options.width < 500);
  await page.goto(url);
  // Give event handlers (img onerror, svg onload) their chance to fire.
  await page.evaluate(SETTLE);
  const state = await page.evaluate<PageState>(STATE);
  const png = await page.screenshot(options.full);
  // Then click every link, as a curious reader would, and look again.
  await page.evaluate(
    "for (const a of document.querySelectorAll('a')) a.click()",
  );
  await page.evaluate(SETTLE);
  return { page, state, png, after: await page.evaluate<PageState>(STATE) };
}

const REPORTS = [
  {
    name: "hostile",
    make: hostileBundle,
    title: "LLM Workbench report: resume_matching",
    verdict: "REJECTED",
    blocks: false,
    everyPayload: true,
  },
  {
    name: "run",
    make: () => hostileBundle("run"),
    title: "LLM Workbench report: resume_matching",
    verdict: "NO VERDICT",
    blocks: false,
    // The gate's hostile reason is not in a bundle of one run.
    everyPayload: false,
  },
  {
    name: "trace",
    make: hostileTraceBundle,
    title: "LLM Workbench report: reply_pipeline",
    verdict: "TRACE",
    blocks: true,
    everyPayload: true,
  },
] as const;

const SCREENS = [
  { name: "desktop", bypassCsp: true, width: 1400, height: 900, full: true },
  { name: "narrow", bypassCsp: false, width: 800, height: 900, full: true },
  { name: "phone", bypassCsp: false, width: 390, height: 844, full: false },
] as const;

Deno.test({
  name:
    "renderReport() output runs no payload in chromium and shows the verdict first (comparison and trace bundles)",
  ignore: missing !== undefined && !required,
  async fn(t) {
    if (missing) throw new Error(`WB_REQUIRE_TOOLS=1 but ${missing}`);
    await Deno.mkdir(OUT, { recursive: true });
    await using browser = await Chromium.launch();
    for (const report of REPORTS) {
      await t.step(report.name, async () => {
        const { text } = await report.make();
        const { html } = await renderReport(text, {
          file: `${report.name}.json`,
        });
        const file = new URL(`report_${report.name}.html`, OUT);
        await Deno.writeTextFile(file, html);
        for (const screen of SCREENS) {
          const where = `${report.name} ${screen.name}`;
          const { page, state, png, after } = await openReport(
            browser,
            file.href,
            screen,
          );
          await Deno.writeFile(
            new URL(`report_${report.name}_${screen.width}.png`, OUT),
            png,
          );
          assert.deepEqual(page.events.bindingCalls, [], where);
          assert.deepEqual(page.events.dialogs, [], where);
          for (const seen of [state, after]) {
            assert.equal(seen.pwned, null, where);
            assert.equal(seen.title, report.title, where);
          }
          assert.equal(state.scripts, 0, where);
          assert.equal(state.handlers, 0, where);
          assert.equal(state.jsLinks, 0, where);
          for (
            const payload of Object.values(HOSTILE).filter((p) =>
              report.everyPayload || state.bodyText.includes(p) ||
              p === HOSTILE.script
            )
          ) {
            assert.ok(
              state.bodyText.includes(payload),
              `${where}: payload not shown as text: ${payload}`,
            );
          }
          assert.deepEqual(state.verdict, {
            text: report.verdict,
            visible: true,
            inFirstScreen: true,
          }, where);
          if (report.blocks) {
            assert.deepEqual(state.blocks, {
              "trace-timeline": true,
              "trace-receipts": true,
              "trace-artifacts": true,
            }, where);
          }
          assert.ok(png.length > 10_000, "the screenshot is not blank");
        }
      });
    }
  },
});
