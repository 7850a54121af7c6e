/**
 * Registers the demo tasks' fake behaviours (demo/fake/behaviours.ts) with
 * the fake provider in this process, for code that calls the fake with
 * model configs that do not name them (the demo's own tests). Runs do not
 * need it: the demo's models.yaml names the behaviours module.
 *
 * @module
 */
import { registerFakeBehaviour } from "../../lib/providers/fake_behaviour.ts";
import { behaviours } from "./behaviours.ts";

for (const behaviour of behaviours) registerFakeBehaviour(behaviour);
