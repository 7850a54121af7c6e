/**
 * What the runs of one session share: an adapter per model config (built
 * up front, so a missing key fails before any call), the dated prices per
 * model, and a rate limiter per provider.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import { loadFakeBehaviours } from "../providers/fake_behaviour.ts";
import type { PriceRow } from "../providers/pricing.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import { listPrices } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import {
  keyValuesOf,
  secretEnvValues,
  SecretScrubber,
} from "../trace/secrets.ts";
import type { PipelinePlan } from "./_pipeline_plan.ts";
import type { Plan } from "./_plan.ts";
import type { RunnerOptions } from "./options.ts";
import { type Limiter, RateLimiter } from "./rate_limiter.ts";

/** Adapters, prices and limiters, shared by a session's runs. */
export interface RunResources {
  /**
   * Values kept out of everything the runs store: the keys the model
   * configs name (`api_key_env`) and the caller's `secrets` (the
   * environment's secret-named variables are added by the scrubber).
   */
  readonly secrets: readonly string[];
  /** Scrubs those values and the common key shapes. */
  readonly scrubber: SecretScrubber;
  readonly adapters: ReadonlyMap<string, ModelAdapter>;
  readonly prices: ReadonlyMap<string, PriceRow[]>;
  readonly limiters: ReadonlyMap<string, Limiter>;
}

/** The model configs a plan calls: the model (a pipeline's models), then its judge or jurors. */
export function configsOf(plan: Plan | PipelinePlan): ModelConfig[] {
  return [
    ...("pipeline" in plan ? plan.models.values() : [plan.model]),
    ...(plan.judgeConfig ? [plan.judgeConfig] : []),
    ...plan.jury?.configs ?? [],
  ];
}

/**
 * Builds every adapter the plans need (a missing API key or a fake
 * config's unimportable `behaviours` fails here, before any call), and
 * loads their prices and limiters.
 *
 * @throws {ConfigError} If a provider's key is missing, a fake config's
 * behaviours cannot be loaded, or no plan has a model.
 */
export async function loadResources(
  store: Store,
  plans: readonly (Plan | PipelinePlan)[],
  settings: RunSettings,
  options: RunnerOptions,
): Promise<RunResources> {
  const adapterFor = options.adapterFor ??
    ((config: ModelConfig) => createAdapter(config));
  const adapters = new Map<string, ModelAdapter>();
  const prices = new Map<string, PriceRow[]>();
  const limiters = new Map<string, RateLimiter>();
  for (const config of plans.flatMap(configsOf)) {
    if (adapters.has(config.id)) continue;
    adapters.set(config.id, adapterFor(config));
    // A fake config's behaviour modules are imported by its first call;
    // importing them here makes a wrong entry fail before any call, as a
    // missing key does (the module cache serves the adapter the same ones).
    if (config.provider === "fake" && config.behaviours !== undefined) {
      await loadFakeBehaviours(config);
    }
    const key = `${config.provider}/${config.model}`;
    if (!prices.has(key)) {
      prices.set(key, await listPrices(store, config.provider, config.model));
    }
    const limits = settings.rate_limits[config.provider];
    if (limits && !limiters.has(config.provider)) {
      limiters.set(
        config.provider,
        new RateLimiter({
          ...(limits.requests_per_minute === undefined
            ? {}
            : { requestsPerMinute: limits.requests_per_minute }),
          ...(limits.tokens_per_minute === undefined
            ? {}
            : { tokensPerMinute: limits.tokens_per_minute }),
        }, options.rateLimitClock),
      );
    }
  }
  if (adapters.size === 0) {
    throw new ConfigError("Cannot run the experiment: it names no model");
  }
  const secrets = [
    ...keyValuesOf(plans.flatMap(configsOf)),
    ...options.secrets ?? [],
  ];
  const scrubber = new SecretScrubber([...secretEnvValues(), ...secrets]);
  return { secrets, scrubber, adapters, prices, limiters };
}
