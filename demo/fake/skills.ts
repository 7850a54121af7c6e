/**
 * The fake provider's skills vocabulary and the two ways it reads a text:
 * carefully (whole words, negated mentions ignored) and naively (substring
 * matches, negation-blind), the second being the blind spot the fake falls
 * into on known_failure cases.
 *
 * Every skill is found by its own literal name, never by an alias, so a
 * skill the fake reports as matched is spelled in the resume the way the
 * `grounded_in_input` check looks for it.
 *
 * @module
 */

/** A skill and how to find it. */
interface Skill {
  /** The name as reported. */
  readonly name: string;
  /** Match case exactly (for names that are also common words: "Excel", "React", "Swift"). */
  readonly caseSensitive?: boolean;
}

function cs(name: string): Skill {
  return { name, caseSensitive: true };
}

/** The vocabulary, by field. Order does not matter. */
const VOCABULARY: readonly Skill[] = [
  // Software
  ...[
    "Python",
    "Java",
    "JavaScript",
    "TypeScript",
    "Golang",
    "C++",
    "C#",
    "Ruby on Rails",
    "PHP",
    "Kotlin",
    "SQL",
    "PostgreSQL",
    "MySQL",
    "Oracle",
    "MongoDB",
    "Redis",
    "Elasticsearch",
    "Kafka",
    "RabbitMQ",
    "Docker",
    "Docker Compose",
    "Kubernetes",
    "Terraform",
    "Ansible",
    "AWS",
    "GCP",
    "Azure",
    "Linux",
    "Bash",
    "Git",
    "GitHub Actions",
    "Jenkins",
    "CI/CD",
    "Vue",
    "Node.js",
    "Next.js",
    "Django",
    "Flask",
    "FastAPI",
    "Spring Boot",
    ".NET",
    "GraphQL",
    "REST APIs",
    "microservices",
    "HTML",
    "CSS",
    "Tailwind",
    "Jest",
    "Cypress",
    "Android",
    "SwiftUI",
    "Xcode",
    "Prometheus",
    "Grafana",
    "Datadog",
    "Splunk",
    "SIEM",
    "incident response",
    "penetration testing",
    "threat modeling",
    "vulnerability management",
    "OAuth",
  ].map((name) => ({ name })),
  cs("Rust"),
  cs("Swift"),
  cs("Scala"),
  cs("Helm"),
  cs("React"),
  cs("React Native"),
  cs("Angular"),
  cs("iOS"),
  // Data
  ...[
    "pandas",
    "NumPy",
    "scikit-learn",
    "PyTorch",
    "TensorFlow",
    "MLflow",
    "machine learning",
    "deep learning",
    "NLP",
    "computer vision",
    "statistics",
    "A/B testing",
    "Airflow",
    "dbt",
    "Snowflake",
    "BigQuery",
    "Redshift",
    "Tableau",
    "Power BI",
    "Looker",
    "data modeling",
    "ETL",
  ].map((name) => ({ name })),
  cs("Spark"),
  cs("Excel"),
  // Design
  ...[
    "Figma",
    "Adobe XD",
    "Photoshop",
    "Illustrator",
    "InDesign",
    "user research",
    "usability testing",
    "prototyping",
    "wireframing",
    "design systems",
    "accessibility",
  ].map((name) => ({ name })),
  cs("Sketch"),
  // Marketing and sales
  ...[
    "SEO",
    "Google Ads",
    "Google Analytics",
    "HubSpot",
    "Salesforce",
    "Marketo",
    "content marketing",
    "copywriting",
    "email marketing",
    "social media",
    "marketing automation",
    "CRM",
    "lead generation",
    "account management",
    "cold calling",
    "negotiation",
    "B2B sales",
    "pipeline management",
  ].map((name) => ({ name })),
  // Finance
  ...[
    "financial modeling",
    "GAAP",
    "IFRS",
    "QuickBooks",
    "NetSuite",
    "budgeting",
    "forecasting",
    "variance analysis",
    "accounts payable",
    "accounts receivable",
    "reconciliation",
    "month-end close",
    "payroll",
  ].map((name) => ({ name })),
  cs("SAP"),
  cs("CPA"),
  // Healthcare
  ...[
    "patient care",
    "EHR",
    "IV therapy",
    "medication administration",
    "wound care",
    "telemetry",
    "HIPAA",
    "phlebotomy",
    "care planning",
  ].map((name) => ({ name })),
  cs("Epic"),
  cs("BLS"),
  cs("ACLS"),
  cs("PALS"),
  // Operations
  ...[
    "supply chain",
    "inventory management",
    "procurement",
    "vendor management",
    "Six Sigma",
    "forklift",
    "demand planning",
  ].map((name) => ({ name })),
  cs("Lean"),
  cs("OSHA"),
  cs("WMS"),
  cs("ERP"),
  // Project management
  ...[
    "Kanban",
    "Jira",
    "Confluence",
    "stakeholder management",
    "risk management",
    "roadmapping",
  ].map((name) => ({ name })),
  cs("Agile"),
  cs("Scrum"),
  cs("PMP"),
  // People
  ...[
    "recruiting",
    "onboarding",
    "Workday",
    "employee relations",
    "compensation",
    "benefits administration",
    "performance management",
    "talent acquisition",
  ].map((name) => ({ name })),
  cs("HRIS"),
  // Legal
  ...[
    "contract drafting",
    "contract review",
    "legal research",
    "Westlaw",
    "LexisNexis",
    "litigation",
    "e-discovery",
    "compliance",
  ].map((name) => ({ name })),
  cs("GDPR"),
  // Education
  ...[
    "curriculum development",
    "lesson planning",
    "classroom management",
    "instructional design",
    "Articulate Storyline",
    "assessment design",
  ].map((name) => ({ name })),
  cs("LMS"),
  // Engineering
  ...[
    "AutoCAD",
    "SolidWorks",
    "GD&T",
    "MATLAB",
  ].map((name) => ({ name })),
  cs("FEA"),
  cs("PLC"),
  // Support
  ...[
    "Zendesk",
    "Intercom",
    "customer service",
    "escalation management",
  ].map((name) => ({ name })),
  cs("SLA"),
  // Spoken languages
  ...[
    "Spanish",
    "French",
    "German",
    "Mandarin",
    "Portuguese",
    "Japanese",
  ].map((name) => ({ name })),
];

/** Words that, earlier in the same clause, mean the skill is absent. */
const NEGATION =
  /\b(?:no|not|never|without|lack|lacking|unfamiliar with|yet to|hope to learn|hoping to learn|want to learn|would like to learn|eager to learn|plan to learn|currently learning)\b/i;

/** A skill found in a text, with where it first occurs. */
export interface SkillMention {
  readonly name: string;
  readonly index: number;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A skill and what finding it takes. */
interface Matcher {
  readonly name: string;
  /** The careful reading matches case exactly (the naive one never does). */
  readonly caseSensitive: boolean;
  /** The name, lower-cased. */
  readonly lower: string;
  /** The {@linkcode trigram}s of `lower`: a text holding `lower` holds them all. */
  readonly trigrams: Uint16Array;
  /** The naive pattern, sticky: matches only at `lastIndex`. */
  readonly naiveAt: RegExp;
}

const MATCHERS: readonly Matcher[] = VOCABULARY.map((skill) => ({
  name: skill.name,
  caseSensitive: skill.caseSensitive === true,
  lower: skill.name.toLowerCase(),
  trigrams: trigramsOf(skill.name.toLowerCase()),
  naiveAt: new RegExp(escape(skill.name), "iy"),
}));

/**
 * The careful reading of a skill is the pattern
 * `(?<![\p{L}\p{N}+#.])NAME(?![\p{L}\p{N}+#])` (flags `u`, plus `i` unless
 * case-sensitive), searched globally: the name as a whole word. These
 * sticky patterns are its two edges, tried where the name occurs.
 */
const WORD_START = /(?<![\p{L}\p{N}+#.])/uy;
const WORD_START_ANY_CASE = /(?<![\p{L}\p{N}+#.])/iuy;
const WORD_END = /(?![\p{L}\p{N}+#])/uy;
const WORD_END_ANY_CASE = /(?![\p{L}\p{N}+#])/iuy;

/** The whole careful pattern, global, for texts whose lower-cased copy is not index-aligned (rare). */
const CAREFUL_SCANS = new Map<string, RegExp>();

function carefulScan(matcher: Matcher): RegExp {
  let pattern = CAREFUL_SCANS.get(matcher.name);
  if (pattern === undefined) {
    pattern = new RegExp(
      `(?<![\\p{L}\\p{N}+#.])${escape(matcher.name)}(?![\\p{L}\\p{N}+#])`,
      matcher.caseSensitive ? "gu" : "giu",
    );
    CAREFUL_SCANS.set(matcher.name, pattern);
  }
  return pattern;
}

/** A 16-bit hash of the three UTF-16 code units of `text` starting at `i`. */
function trigram(text: string, i: number): number {
  return (text.charCodeAt(i) * 961 + text.charCodeAt(i + 1) * 31 +
    text.charCodeAt(i + 2)) & 0xffff;
}

function trigramsOf(text: string): Uint16Array {
  const out = new Uint16Array(Math.max(0, text.length - 2));
  for (let i = 0; i < out.length; i++) out[i] = trigram(text, i);
  return out;
}

/** One bit per trigram hash: which trigrams the current text holds. */
const PRESENT = new Uint32Array(65536 / 32);

/** The clause around `index`: back to the last sentence or clause break. */
function clauseBefore(text: string, index: number): string {
  const before = text.slice(Math.max(0, index - 80), index);
  const cut = Math.max(
    before.lastIndexOf("."),
    before.lastIndexOf(";"),
    before.lastIndexOf("\n"),
    before.lastIndexOf("•"),
    before.lastIndexOf("|"),
    before.lastIndexOf(" but "),
  );
  return cut >= 0 ? before.slice(cut + 1) : before;
}

/**
 * The skills a careful reader finds in a text, in order of first mention:
 * whole words only, and a skill only mentioned in a negated clause ("have
 * not used Kubernetes") does not count. Overlapping names both count
 * ("Docker Compose" is a mention of Docker too).
 */
export function findSkills(text: string): string[] {
  return remembered(CAREFUL_SEEN, text, true);
}

/**
 * The skills a hasty keyword matcher finds: substrings, any case, negation
 * ignored ("JavaScript" counts as Java, "have not used Kubernetes" counts as
 * Kubernetes). The fake's blind spot on known_failure cases.
 */
export function findSkillsNaively(text: string): string[] {
  return remembered(NAIVE_SEEN, text, false);
}

/** Texts read recently (a resume is read once per repetition and prompt), at most this many per reader. */
const REMEMBERED = 512;
const CAREFUL_SEEN = new Map<string, readonly string[]>();
const NAIVE_SEEN = new Map<string, readonly string[]>();

function remembered(
  seen: Map<string, readonly string[]>,
  text: string,
  careful: boolean,
): string[] {
  let found = seen.get(text);
  if (found === undefined) {
    found = collect(text, careful);
    if (seen.size >= REMEMBERED) seen.delete(seen.keys().next().value!);
    seen.set(text, found);
  }
  return [...found];
}

function allPresent(trigrams: Uint16Array): boolean {
  for (let i = 0; i < trigrams.length; i++) {
    const t = trigrams[i]!;
    if ((PRESENT[t >>> 5]! & (1 << (t & 31))) === 0) return false;
  }
  return true;
}

function collect(text: string, careful: boolean): string[] {
  // A skill can only match where its name occurs, ignoring case for the
  // case-insensitive ones. Every character that matches an ASCII character
  // case-insensitively lower-cases to it, except "ſ" (which matches "s"),
  // and every character that lower-cases to an ASCII character matches it
  // under the careful reading's `iu` flags. Lower-casing keeps every index
  // unless the text holds "İ" (the one character it lengthens): then
  // `aligned` is false and the patterns are run over the whole text.
  let lower = text.toLowerCase();
  if (lower.includes("ſ")) lower = lower.replaceAll("ſ", "s");
  const aligned = lower.length === text.length;
  // A name's trigrams must all be present for the name to be: that rules out
  // most of the vocabulary before any substring search.
  PRESENT.fill(0);
  for (let i = 0; i + 2 < lower.length; i++) {
    const t = trigram(lower, i);
    PRESENT[t >>> 5]! |= 1 << (t & 31);
  }
  // Each name's first mention, in the order names are first found.
  const first = new Map<string, number>();
  for (const matcher of MATCHERS) {
    if (!allPresent(matcher.trigrams)) continue;
    const exact = careful && matcher.caseSensitive;
    if (exact ? !text.includes(matcher.name) : !lower.includes(matcher.lower)) {
      continue;
    }
    const start = !aligned
      ? firstByScan(text, careful ? carefulScan(matcher) : matcher, careful)
      : careful
      ? firstWord(text, exact ? text : lower, matcher)
      : firstNaive(text, lower, matcher);
    if (start < 0) continue;
    const seen = first.get(matcher.name);
    if (seen === undefined || start < seen) first.set(matcher.name, start);
  }
  return [...first.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}

/**
 * Where the careful pattern's successive global matches (each search
 * resuming at the end of the previous match) first give a mention outside a
 * negated clause, or -1. A match is where the name occurs in `haystack` (the
 * text when case matters, else its index-aligned lower-cased copy) with
 * both word edges holding.
 */
function firstWord(text: string, haystack: string, matcher: Matcher): number {
  const needle = matcher.caseSensitive ? matcher.name : matcher.lower;
  const start = matcher.caseSensitive ? WORD_START : WORD_START_ANY_CASE;
  const end = matcher.caseSensitive ? WORD_END : WORD_END_ANY_CASE;
  let from = 0;
  for (
    let at = haystack.indexOf(needle, from);
    at >= 0;
    at = haystack.indexOf(needle, from)
  ) {
    start.lastIndex = at;
    end.lastIndex = at + needle.length;
    if (start.test(text) && end.test(text)) {
      if (!NEGATION.test(clauseBefore(text, at))) return at;
      from = at + needle.length;
    } else {
      from = at + 1;
    }
  }
  return -1;
}

/** The naive pattern's first match, or -1: tried where the lower-cased name occurs. */
function firstNaive(text: string, lower: string, matcher: Matcher): number {
  const pattern = matcher.naiveAt;
  for (
    let at = lower.indexOf(matcher.lower);
    at >= 0;
    at = lower.indexOf(matcher.lower, at + 1)
  ) {
    pattern.lastIndex = at;
    if (pattern.test(text)) return at;
  }
  return -1;
}

/** The first counted mention by running a global pattern over the whole text. */
function firstByScan(
  text: string,
  matcher: Matcher | RegExp,
  careful: boolean,
): number {
  const pattern = matcher instanceof RegExp
    ? matcher
    : new RegExp(escape(matcher.name), "gi");
  pattern.lastIndex = 0;
  for (
    let match = pattern.exec(text);
    match !== null;
    match = pattern.exec(text)
  ) {
    const start = match.index;
    if (careful && NEGATION.test(clauseBefore(text, start))) continue;
    pattern.lastIndex = 0;
    return start;
  }
  return -1;
}
