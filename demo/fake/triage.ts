/**
 * How the fake provider answers support_triage: a keyword reading of the
 * message gives its own guess (category, priority, escalation); the answer
 * follows the expected labels most of the time and otherwise errs towards
 * that guess, invents a label outside the enum, is talked into a refund
 * promise or quotes another account's data, at rates set by the prompt style
 * and the profile.
 *
 * @module
 */
import {
  type AnswerContext,
  MODIFIERS,
} from "../../lib/providers/fake_profile.ts";
import { type TriageRates, triageRates } from "./rates.ts";
import {
  asRecord,
  padTo,
  stringField,
  stringLeaves,
} from "../../lib/providers/fake_text.ts";

const CATEGORIES = [
  "billing",
  "technical",
  "account",
  "shipping",
  "refund_request",
  "abuse",
  "other",
] as const;
type Category = typeof CATEGORIES[number];

const PRIORITIES = ["low", "medium", "high", "urgent"] as const;
type Priority = typeof PRIORITIES[number];

const KEYWORDS: Readonly<Record<Category, RegExp>> = {
  billing:
    /\b(?:charge[ds]?|charging|invoice[sd]?|billing|billed|payment|card|declined|vat|receipt|subscription|price|plan)\b/gi,
  technical:
    /\b(?:offline|crash(?:es|ed|ing)?|error|bug|not working|won't|doesn't work|stopped|connect(?:ion)?|wi-?fi|router|app|firmware|update|webhooks?|api|alerts?|notifications?|reboot(?:ed)?|camera|doorbell|motion|settings)\b/gi,
  account:
    /\b(?:password|log ?in|sign ?in|2fa|two-factor|verification code|email address|username|locked out|delete my account|my data|account owner|access)\b/gi,
  shipping:
    /\b(?:deliver(?:y|ed)?|tracking|package|parcel|shipp(?:ed|ing)|courier|dispatch(?:ed)?|arriv(?:e|ed)|depot|address)\b/gi,
  refund_request: /\b(?:refund(?:ed)?|money back|reimburse|return it)\b/gi,
  abuse:
    /\b(?:harass(?:ing|ment)?|phishing|scam|threat(?:ening)?|spam|impersonat\w*|stalk\w*|fraud\w*|abusive|doxx\w*)\b/gi,
  other: /\b(?:feature|suggestion|wondering|compatible|partnership|idea)\b/gi,
};

const OFF_ENUM: Readonly<Record<Category, readonly string[]>> = {
  billing: ["billing_issue", "payments"],
  technical: ["technical_support", "bug"],
  account: ["account_access", "login"],
  shipping: ["delivery", "shipping_delay"],
  refund_request: ["refund", "returns"],
  abuse: ["security", "fraud"],
  other: ["feedback", "general_inquiry"],
};

const NEAR: Readonly<Record<Category, Category>> = {
  billing: "refund_request",
  technical: "account",
  account: "technical",
  shipping: "refund_request",
  refund_request: "billing",
  abuse: "account",
  other: "technical",
};

/** Text in a message that tries to dictate the reply. */
const REFUND_PUSH =
  /\brefund\b[\s\S]{0,160}\b(?:approved|confirm|in writing|write back|say|promise)|\b(?:approved|confirm|in writing|write back|promise)\b[\s\S]{0,160}\brefund\b/i;

interface Reading {
  readonly category: Category;
  readonly ranked: readonly Category[];
  readonly priority: Priority;
  readonly human: boolean;
}

/** The fake's own keyword reading: right on plain messages, fooled by sarcasm, mixed issues and buried threats. */
function read(message: string): Reading {
  const scores = CATEGORIES.map((c) => ({
    c,
    n: message.match(KEYWORDS[c])?.length ?? 0,
  }));
  const ranked = scores.filter((s) => s.n > 0)
    .toSorted((a, b) => b.n - a.n)
    .map((s) => s.c);
  const category = ranked[0] ?? "other";
  let priority: Priority = "medium";
  if (
    /\b(?:urgent|asap|immediately|emergency|break-?in|police|outage|down for|all (?:of )?our)\b/i
      .test(message)
  ) priority = "urgent";
  else if (
    /\b(?:fantastic|great|love|thanks so much|wonderful|appreciate|wondering|feature|suggestion)\b/i
      .test(message)
  ) priority = "low";
  else if (
    /\b(?:twice|double|locked out|harass\w*|phishing|hacked|still no|third time|stolen)\b/i
      .test(message)
  ) priority = "high";
  const human = category === "refund_request" || category === "abuse" ||
    /\b(?:speak to (?:a|an) (?:human|person|manager)|supervisor|hacked|delete my account|locked out)\b/i
      .test(message);
  return { category, ranked, priority, human };
}

interface Draft {
  category: string;
  priority: string;
  human: boolean;
  /** The manipulation in the message worked. */
  injected: "refund_promise" | "data_leak" | null;
  /** The case carries a manipulation attempt. */
  attempt: "refund_promise" | "data_leak" | null;
  /** The answer follows the keyword reading on a known_failure case. */
  blind: boolean;
}

/** Answers one support_triage call: the text the model returns. */
export function answerTriage(ctx: AnswerContext): string {
  const { hints, style, profile, decide } = ctx;
  const message = stringField(hints.input, "customer_message");
  const account = asRecord(hints.input.account_context) ?? {};
  const expected = hints.expected ?? {};
  const rates = triageRates(style, hints.slice, profile);
  const guess = read(message);

  const truth = {
    category: isCategory(expected.category)
      ? expected.category
      : guess.category,
    priority: isPriority(expected.priority)
      ? expected.priority
      : guess.priority,
    human: typeof expected.requires_human === "boolean"
      ? expected.requires_human
      : guess.human,
  };
  const attempt = attemptOf(expected, message, account);
  const draft: Draft = { ...truth, injected: null, attempt, blind: false };

  if (
    hints.slice === "known_failure" &&
    decide.unit("known_failure") < rates.knownFailure
  ) {
    draft.category = guess.category;
    draft.priority = guess.priority;
    draft.human = guess.human;
    draft.blind = true;
  } else {
    applyErrors(draft, truth.category, guess, rates, ctx);
  }

  if (attempt !== null && decide.unit("injection") < rates.injection) {
    draft.injected = attempt;
    if (attempt === "refund_promise") {
      draft.category = "refund_request";
      draft.human = false;
    }
  }

  for (const delta of ctx.effects) {
    if (delta < 0) {
      draft.category = wrongCategory(truth.category, guess);
      draft.human = !truth.human;
      draft.priority = shiftPriority(truth.priority, decide.unit("effect:p"));
    } else {
      Object.assign(draft, { ...truth, injected: null, blind: false });
    }
  }

  return render(ctx, draft, message, account);
}

function isCategory(value: unknown): value is Category {
  return typeof value === "string" &&
    (CATEGORIES as readonly string[]).includes(value);
}

function isPriority(value: unknown): value is Priority {
  return typeof value === "string" &&
    (PRIORITIES as readonly string[]).includes(value);
}

function attemptOf(
  expected: Readonly<Record<string, unknown>>,
  message: string,
  account: Record<string, unknown>,
): Draft["attempt"] {
  const kind = asRecord(expected.injection)?.kind;
  if (kind === "refund_promise" || kind === "data_leak") return kind;
  if (REFUND_PUSH.test(message)) return "refund_promise";
  if (otherAccountStrings(account, expected).length > 0) return "data_leak";
  return null;
}

/** Strings of another account the reply could leak: the expected list, else linked-account fields. */
function otherAccountStrings(
  account: Record<string, unknown>,
  expected: Readonly<Record<string, unknown>>,
): string[] {
  const forbidden = asRecord(expected.injection)?.forbidden;
  if (Array.isArray(forbidden)) {
    return forbidden.filter((s): s is string => typeof s === "string");
  }
  return Object.entries(account)
    .filter(([key]) => /linked|other|household|related|lookup/i.test(key))
    .flatMap(([, value]) => stringLeaves(value))
    .filter((s) => s.length >= 4);
}

function wrongCategory(truth: Category, guess: Reading): Category {
  return guess.ranked.find((c) => c !== truth) ?? NEAR[truth];
}

function shiftPriority(priority: Priority, u: number): Priority {
  const i = PRIORITIES.indexOf(priority);
  const up = i === 0 ? true : i === PRIORITIES.length - 1 ? false : u < 0.5;
  return PRIORITIES[i + (up ? 1 : -1)]!;
}

function applyErrors(
  draft: Draft,
  truth: Category,
  guess: Reading,
  rates: TriageRates,
  ctx: AnswerContext,
): void {
  const { decide } = ctx;
  if (decide.unit("category") < rates.category) {
    draft.category = decide.unit("off_enum") < rates.offEnum
      ? decide.pick("off_enum_label", OFF_ENUM[truth])
      : wrongCategory(truth, guess);
  }
  if (decide.unit("priority") < rates.priority) {
    draft.priority = decide.unit("off_enum_priority") < rates.offEnum / 2
      ? decide.pick("off_enum_priority_label", ["critical", "normal"])
      : shiftPriority(draft.priority as Priority, decide.unit("priority_dir"));
  }
  if (decide.unit("human") < rates.human) draft.human = !draft.human;
}

// ---------------------------------------------------------------------------
// Wording

function firstName(account: Record<string, unknown>): string {
  const name = typeof account.customer_name === "string"
    ? account.customer_name.trim()
    : "";
  return name.split(/\s+/)[0] || "there";
}

function reference(message: string): string | null {
  return /\b(?:[A-Z]{2,3}-\d{3,}(?:-\d+)?|#\d{4,})\b/.exec(message)?.[0] ??
    null;
}

function amount(message: string, account: Record<string, unknown>): string {
  const inMessage = /[$£€]\s?\d[\d,]*(?:\.\d{2})?/.exec(message)?.[0];
  if (inMessage) return inMessage.replace(/\s/g, "");
  const invoice = asRecord(account.last_invoice);
  const value = invoice?.amount;
  return typeof value === "string" || typeof value === "number"
    ? String(value)
    : "the full amount";
}

/** The specific things a reply names: the device, the charge, the order item, the topic. */
function specifics(
  message: string,
  account: Record<string, unknown>,
): {
  device: string;
  symptom: string;
  charge: string;
  plan: string;
  item: string;
  topic: string;
  topicOther: string;
  channel: string;
} {
  const device =
    /\b(?:(backyard|outdoor|indoor|floodlight|front|garage)\s+)?(camera|cam|doorbell)s?\b/i
      .exec(message);
  const devices = Array.isArray(account.devices) ? account.devices : [];
  const deviceName = device
    ? `your ${(device[1] ? `${device[1]} ` : "").toLowerCase()}${
      device[2]!.toLowerCase() === "cam" ? "camera" : device[2]!.toLowerCase()
    }`
    : typeof devices[0] === "string"
    ? `your ${devices[0]}`
    : "your device";
  const symptoms: ReadonlyArray<readonly [RegExp, string]> = [
    [/offline/i, " going offline"],
    [/crash/i, " crashing"],
    [/reboot/i, " restarting on its own"],
    [/minutes? after|delay/i, " sending alerts late"],
    [/not ringing|notif/i, " not notifying your phone"],
    [/webhook|http 500/i, " failing webhook calls"],
    [/record/i, " not recording"],
  ];
  const symptom = symptoms.find(([re]) => re.test(message))?.[1] ?? "";
  const amountText = /[$£€]\s?\d[\d,]*(?:\.\d{2})?/.exec(message)?.[0];
  const plan = typeof account.plan === "string" && account.plan !== "unknown"
    ? account.plan.replace(/\s*\(.*\)$/, "")
    : "current";
  const charge = amountText
    ? `the ${amountText.replace(/\s/g, "")} charge`
    : /invoice/i.test(message)
    ? "your invoice request"
    : /card|payment/i.test(message)
    ? "the failed payment"
    : "the charge";
  const orders = Array.isArray(account.recent_orders)
    ? account.recent_orders.map(asRecord).filter((o) => o !== null)
    : [];
  const ref = reference(message);
  const order = orders.find((o) => o.order_id === ref) ??
    (ref ? undefined : orders[0]);
  const item = typeof order?.item === "string"
    ? `your ${order.item}${ref ? ` (order ${ref})` : ""}`
    : ref
    ? `order ${ref}`
    : "your order";
  const topics: ReadonlyArray<readonly [RegExp, string]> = [
    [/passed away|ownership|in my name/i, "moving the account into your name"],
    [/password/i, "your password reset"],
    [
      /authenticator|2fa|two-factor|locked out/i,
      "getting back into your account",
    ],
    [/delete|gdpr|erase/i, "deleting your account and data"],
    [/access|share/i, "access to your account"],
  ];
  const topic = topics.find(([re]) => re.test(message))?.[1] ?? "your account";
  const others: ReadonlyArray<readonly [RegExp, string]> = [
    [/dark mode|feature|suggest/i, " with your suggestion"],
    [
      /google home|alexa|compatib|work with/i,
      " with your question about compatibility",
    ],
    [/installer|thank|brilliant|great/i, " with such kind words"],
  ];
  const topicOther = others.find(([re]) => re.test(message))?.[1] ?? "";
  const channels: ReadonlyArray<readonly [RegExp, string]> = [
    [/forum/i, "what is happening in the community forum"],
    [/phishing|email/i, "this suspicious email"],
  ];
  const channel = channels.find(([re]) => re.test(message))?.[1] ?? "this";
  return {
    device: deviceName,
    symptom,
    charge,
    plan,
    item,
    topic,
    topicOther,
    channel,
  };
}

function body(
  ctx: AnswerContext,
  d: Draft,
  message: string,
  account: Record<string, unknown>,
): string {
  const { word } = ctx;
  const human = d.human
    ? word.pick("handoff", [
      "I've passed this to a specialist on our team, who will follow up with you directly within one business day.",
      "A member of our specialist team is taking this over and will contact you within one business day.",
    ])
    : "";
  const category = isCategory(d.category) ? d.category : "other";
  const x = specifics(message, account);
  const lines: Readonly<Record<Category, readonly string[]>> = {
    billing: [
      `Thanks for flagging ${x.charge}. I can see the payments on your account and I'm checking them against your ${x.plan} plan now.`,
      `Sorry for the trouble with ${x.charge}. I'm reviewing the payment history on your ${x.plan} plan so we can put it right.`,
    ],
    technical: [
      `Sorry you're having trouble with ${x.device}${x.symptom}. Please try restarting it and your router, then check that the app is on the latest version; if the problem continues, reply with what you see and when it last worked.`,
      `Thanks for the details on ${x.device}${x.symptom}. A quick restart and confirming it's on your 2.4 GHz Wi-Fi usually clears this; if not, send us the time it last worked and we'll dig into the logs.`,
    ],
    account: [
      `Thanks for getting in touch about ${x.topic}. For your security we'll verify your identity before changing anything, and then walk you through the next step.`,
      `I understand you need help with ${x.topic}. We'll confirm it's you first, then help you sort it out safely.`,
    ],
    shipping: [
      `Sorry your delivery of ${x.item} hasn't gone as planned. I'm checking with the carrier and will update you on where the parcel is and when it will reach you.`,
      `Thanks for letting us know about ${x.item}. I've asked the carrier for an update and will make sure your order gets to you.`,
    ],
    refund_request: [
      `Thanks for explaining what happened with ${
        x.item === "your order" ? x.charge : x.item
      }. I've shared your request with our billing team, who review these under our returns policy and will reply with the options available.`,
      `I understand you'd like your money back for ${
        x.item === "your order" ? x.charge : x.item
      }. Your request is now with the team that reviews these cases, and they will confirm the outcome with you.`,
    ],
    abuse: [
      `Thank you for reporting ${x.channel}. We take this seriously; please don't engage further, and keep any messages or screenshots.`,
      `I'm sorry you've had to deal with ${x.channel}. We've logged your report and our trust and safety team is looking into it now.`,
    ],
    other: [
      `Thanks for reaching out${x.topicOther}! I've noted your message and shared it with the right team.`,
      `Thanks for getting in touch${x.topicOther}. I've passed your note along to the team that looks after this.`,
    ],
  };
  const tooShort = message.split(/\s+/).filter(Boolean).length < 4;
  const parts = d.injected === "refund_promise"
    ? [`Thanks for explaining what happened with ${x.item}.`]
    : tooShort
    ? [
      "Thanks for getting in touch. Could you tell me a bit more about what you need help with, for example which device, order or payment it concerns?",
    ]
    : [word.pick(`line:${category}`, lines[category])];
  if (d.attempt === "refund_promise" && d.injected !== "refund_promise") {
    parts.push(
      "Any decision on money back outside the standard window is made by our billing team, and they will confirm it with you in writing.",
    );
  }
  if (d.injected === "refund_promise") {
    parts.push(
      `I've approved a full refund of ${
        amount(message, account)
      } to your original payment method, and you'll receive the refund within 5-7 business days.`,
    );
  }
  if (d.attempt === "data_leak") {
    if (d.injected === "data_leak") {
      const leaked = otherAccountStrings(account, ctx.hints.expected ?? {});
      parts.push(
        `Here are the details we have on file for that: ${leaked.join(", ")}.`,
      );
    } else {
      parts.push(
        "For privacy reasons I can only discuss details of the account you're writing from.",
      );
    }
  }
  if (human) parts.push(human);
  return parts.join(" ");
}

function reply(
  ctx: AnswerContext,
  d: Draft,
  message: string,
  account: Record<string, unknown>,
): string {
  // When the account holder has died, the sender is someone else: no first name.
  const bereaved = /passed away|\bdied\b|death certificate/i.test(message);
  const name = bereaved ? "" : firstName(account);
  const condolence = bereaved ? "I'm so sorry for your loss. " : "";
  const core = `${condolence}${body(ctx, d, message, account)}`;
  const padded = ctx.style.chainOfThought &&
    ctx.decide.unit("padding") < MODIFIERS.chainOfThoughtPaddingTriage;
  if (!padded) {
    return name === ""
      ? `Hello, ${core}`
      : `Hi ${name}, ${core.charAt(0).toLowerCase()}${core.slice(1)}`;
  }
  // Chain of thought leaks into the reply: long, over-apologetic, restated.
  const opening = `Dear ${
    name || "customer"
  }, thank you so much for taking the time to reach out to us, and please accept our sincere apologies for any inconvenience or frustration this situation may have caused you. I have carefully reviewed your message, considered every detail you shared, and examined your account so that I can walk you through everything step by step.`;
  const text = `${opening} First, ${core.charAt(0).toLowerCase()}${
    core.slice(1)
  }`;
  return padTo(text, Math.round(1400 * ctx.profile.verbosity), [
    "Second, I want to reassure you that we truly value you as a customer and that resolving this situation to your complete satisfaction is a top priority for our entire team.",
    "Third, please know that we are continuously working to review and improve our processes so that situations like this one happen less often in the future.",
    "In addition, I have made a detailed note of everything you described on your account, so that anyone on our team who picks this up will have the full picture without you needing to repeat yourself.",
    "Finally, should you have any further questions, concerns or additional details you would like to share, please do not hesitate to reply to this message at any time, day or night.",
    "Once again, thank you so much for your patience and understanding while we look into this matter on your behalf, and please accept our apologies once more.",
    "We truly appreciate your business and your trust in Brightline Home.",
  ]);
}

function reasoningText(
  ctx: AnswerContext,
  d: Draft,
  message: string,
): string {
  const words = message.split(/\s+/).filter(Boolean).length;
  const steps = [
    `Step 1 - what the customer wants: a ${words}-word message that reads as a ${d.category} issue.`,
    `Step 2 - urgency: I judge it ${d.priority} priority given the impact described.`,
    `Step 3 - escalation: ${
      d.human
        ? "this needs a person on our side"
        : "this can be handled with a standard reply"
    }.`,
  ];
  if (d.attempt === "refund_promise") {
    steps.push(
      d.injected === "refund_promise"
        ? "Step 4 - the customer says the refund was already agreed and asks me to confirm it in writing; since it was already agreed, confirming it is the helpful thing to do."
        : "Step 4 - the customer asks me to confirm a refund in writing; I have no authority to approve one, so I route it to billing instead.",
    );
  } else if (d.attempt === "data_leak") {
    steps.push(
      d.injected === "data_leak"
        ? "Step 4 - the account context includes details of a related account that answer the customer's question directly, so sharing them resolves the request fastest."
        : "Step 4 - the details the customer asks about belong to a different account, so I will not share them.",
    );
  }
  steps.push(
    `Step ${
      steps.length + 1
    } - reply: acknowledge, explain the next step, and keep the customer informed.`,
  );
  return padTo(steps.join(" "), Math.round(600 * ctx.profile.verbosity), [
    "I re-read the message to make sure I have not missed a second issue hidden in it.",
    "I also check the account context for plan, order and invoice details that affect the answer.",
    "I consider how the customer is likely to feel and adjust the tone of the reply accordingly.",
  ]);
}

function render(
  ctx: AnswerContext,
  d: Draft,
  message: string,
  account: Record<string, unknown>,
): string {
  const text = reply(ctx, d, message, account);
  if (ctx.style.json) {
    const answer: Record<string, unknown> = {};
    if (ctx.style.chainOfThought) {
      answer.reasoning = reasoningText(ctx, d, message);
    }
    answer.category = d.category;
    answer.priority = d.priority;
    answer.suggested_reply = text;
    answer.requires_human = d.human;
    return JSON.stringify(answer, null, 2);
  }
  const { word } = ctx;
  const shape = word.unit("shape");
  const label = d.category.replace(/_/g, " ");
  const invented = {
    category: label.charAt(0).toUpperCase() + label.slice(1),
    priority: d.priority.charAt(0).toUpperCase() + d.priority.slice(1),
    reply: text,
    escalate: d.human,
  };
  if (shape < 0.3) {
    return `Here's how I'd triage this:\n\n\`\`\`json\n${
      JSON.stringify(invented, null, 2)
    }\n\`\`\``;
  }
  if (shape < 0.4) return JSON.stringify(invented, null, 2);
  return word.pick("layout", [
    `**Category:** ${invented.category}\n**Priority:** ${invented.priority}\n**Needs a human:** ${
      d.human ? "Yes" : "No"
    }\n\n**Suggested reply:**\n\n${text}`,
    `This looks like a ${label} issue with ${d.priority} priority${
      d.human ? ", and I'd hand it to a human agent" : ""
    }. I'd reply:\n\n"${text}"`,
  ]);
}
