/**
 * The pipeline tests' two-step support pipeline: the demo's own
 * (demo/support_pipeline.ts: classify, draft, a review gate that holds
 * replies mentioning refunds, send), under the names the tests use, so
 * the tests exercise what the demo shows.
 *
 * @module
 */
export {
  supportPipelineV1 as supportV1,
  supportPipelineV2 as supportV2,
} from "../../../demo/support_pipeline.ts";
