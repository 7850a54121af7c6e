import assert from "node:assert/strict";
import { findSkills, findSkillsNaively } from "./skills.ts";

// Expected values recorded from the first (regex-only) implementation: the
// faster search must find exactly the same skills in the same order.
const CASES: ReadonlyArray<
  readonly [text: string, careful: string[], naive: string[]]
> = [
  [
    "Senior engineer: Python, Django and Docker Compose; have not used Kubernetes. JavaScript daily.",
    ["Python", "Django", "Docker", "Docker Compose", "JavaScript"],
    [
      "Python",
      "Django",
      "Docker",
      "Docker Compose",
      "Kubernetes",
      "Java",
      "JavaScript",
    ],
  ],
  [
    "I am eager to learn Rust, but I ship Go and Swift. SWIFT codes, excel sheets, Excel macros.",
    ["Swift", "Excel"],
    ["Rust", "Swift", "Excel"],
  ],
  [
    // "İ" lengthens when lower-cased.
    "\u0130stanbul office: PYTHON, Kubernetes and Terraform.",
    ["Python", "Kubernetes", "Terraform"],
    ["Python", "Kubernetes", "Terraform"],
  ],
  [
    // "ſ" and the Kelvin sign match "s" and "k" only case-insensitively with `u`.
    "Clas\u017fic Ruby on Rails and Cla\u017f\u017fic Po\u017ftgreSQL; \u212aubernetes clusters.",
    ["Ruby on Rails", "PostgreSQL", "Kubernetes"],
    ["Ruby on Rails", "SQL"],
  ],
  [
    // U+0345 counts as a letter next to a case-insensitive name only.
    "Data: \u0345Python pandas; C++/C# and .NET; Node.js+React.",
    ["pandas", "C++", "C#", ".NET"],
    ["Python", "pandas", "C++", "C#", ".NET", "Node.js", "React"],
  ],
  [
    "no SQL here. MySQL and PostgreSQL though | Tableau \u2022 Power BI",
    ["MySQL", "PostgreSQL", "Tableau", "Power BI"],
    ["SQL", "MySQL", "PostgreSQL", "Tableau", "Power BI"],
  ],
];

Deno.test("findSkills() reads whole words, case rules and negation as before", () => {
  for (const [text, careful] of CASES) {
    assert.deepEqual(findSkills(text), careful, text);
    // A remembered text answers the same, with a list of its own.
    const again = findSkills(text);
    assert.deepEqual(again, careful, text);
    again.push("changed");
    assert.deepEqual(findSkills(text), careful, text);
  }
});

Deno.test("findSkillsNaively() matches substrings in any case as before", () => {
  for (const [text, , naive] of CASES) {
    assert.deepEqual(findSkillsNaively(text), naive, text);
  }
});
