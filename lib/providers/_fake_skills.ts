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

const CAREFUL: ReadonlyArray<readonly [Skill, RegExp]> = VOCABULARY.map((
  skill,
) => [
  skill,
  new RegExp(
    `(?<![\\p{L}\\p{N}+#.])${escape(skill.name)}(?![\\p{L}\\p{N}+#])`,
    skill.caseSensitive ? "gu" : "giu",
  ),
]);

const NAIVE: ReadonlyArray<readonly [Skill, RegExp]> = VOCABULARY.map((
  skill,
) => [skill, new RegExp(escape(skill.name), "gi")]);

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
  return collect(text, CAREFUL, true);
}

/**
 * The skills a hasty keyword matcher finds: substrings, any case, negation
 * ignored ("JavaScript" counts as Java, "have not used Kubernetes" counts as
 * Kubernetes). The fake's blind spot on known_failure cases.
 */
export function findSkillsNaively(text: string): string[] {
  return collect(text, NAIVE, false);
}

function collect(
  text: string,
  patterns: ReadonlyArray<readonly [Skill, RegExp]>,
  careful: boolean,
): string[] {
  const spans: { name: string; start: number; end: number }[] = [];
  for (const [skill, pattern] of patterns) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      const start = match.index;
      if (careful && NEGATION.test(clauseBefore(text, start))) continue;
      spans.push({ name: skill.name, start, end: start + match[0].length });
    }
  }
  const first = new Map<string, number>();
  for (const span of spans) {
    const seen = first.get(span.name);
    if (seen === undefined || span.start < seen) {
      first.set(span.name, span.start);
    }
  }
  return [...first.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}
