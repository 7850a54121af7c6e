/**
 * Parses bundle text into the typed document the report and the Markdown
 * summary read. Integrity is checked separately (verifyBundle).
 *
 * @module
 */
import { type BundleDocument, BundleSchema } from "../bundle/format.ts";
import { ValidationError } from "../errors.ts";

/** The bundle document, or a ValidationError when the text is not a bundle. */
export function parseBundleText(text: string): BundleDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{
      field: "bundle",
      message: `not JSON: ${error instanceof Error ? error.message : error}`,
    }]);
  }
  const parsed = BundleSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.slice(0, 20).map((i) => ({
        field: i.path.join(".") || "bundle",
        message: `not a valid bundle: ${i.message}`,
      })),
    );
  }
  return parsed.data;
}
