// Word material and builders for mail-like text: people, subjects (Unicode, right-to-left and
// emoji on purpose), prose, signatures and quoted replies, as plain text or Outlook-style HTML.
// Prose is built from sentence templates so it compresses like real mail rather than like noise.
import { MONTH_NAMES } from "../model.js";
import type { Prng } from "./prng.js";

export interface Person {
  readonly givenName: string;
  readonly surname: string;
  /** ASCII spelling, for e-mail addresses. */
  readonly asciiGiven: string;
  readonly asciiSurname: string;
}

// [display, ascii] pairs; every culture contributes given names and surnames.
const GIVEN: readonly (readonly [string, string])[] = [
  ["Anna", "anna"],
  ["James", "james"],
  ["Olivia", "olivia"],
  ["Michael", "michael"],
  ["Sarah", "sarah"],
  ["David", "david"],
  ["Jürgen", "juergen"],
  ["Jörg", "joerg"],
  ["Émilie", "emilie"],
  ["François", "francois"],
  ["José", "jose"],
  ["María", "maria"],
  ["Łukasz", "lukasz"],
  ["Zofia", "zofia"],
  ["Дмитрий", "dmitry"],
  ["Ольга", "olga"],
  ["Γιώργος", "giorgos"],
  ["太郎", "taro"],
  ["さくら", "sakura"],
  ["伟", "wei"],
  ["秀英", "xiuying"],
  ["محمد", "mohammed"],
  ["فاطمة", "fatima"],
  ["דוד", "david"],
  ["נועה", "noa"],
  ["Çağla", "cagla"],
  ["Ahmet", "ahmet"],
  ["Priya", "priya"],
  ["Siobhán", "siobhan"],
  ["Björn", "bjoern"],
  ["Chloé", "chloe"],
  ["Thomas", "thomas"],
];

const SURNAMES: readonly (readonly [string, string])[] = [
  ["Smith", "smith"],
  ["Johnson", "johnson"],
  ["Müller", "mueller"],
  ["Schäfer", "schaefer"],
  ["Dubois", "dubois"],
  ["Lefèvre", "lefevre"],
  ["Núñez", "nunez"],
  ["García", "garcia"],
  ["Wójcik", "wojcik"],
  ["Иванов", "ivanov"],
  ["Смирнова", "smirnova"],
  ["Παπαδόπουλος", "papadopoulos"],
  ["山田", "yamada"],
  ["佐藤", "sato"],
  ["王", "wang"],
  ["李", "li"],
  ["العلي", "alali"],
  ["حداد", "haddad"],
  ["כהן", "cohen"],
  ["לוי", "levi"],
  ["Öztürk", "ozturk"],
  ["Yılmaz", "yilmaz"],
  ["Patel", "patel"],
  ["O'Brien", "obrien"],
  ["Nilsson", "nilsson"],
  ["Martin", "martin"],
  ["Brown", "brown"],
  ["Kowalski", "kowalski"],
];

export const EXTERNAL_DOMAINS = [
  "fabrikam.test",
  "northwind.test",
  "adatum.test",
  "litware.test",
  "tailspintoys.test",
  "wingtiptoys.test",
  "example.org",
] as const;

export const COMPANIES = [
  "Fabrikam, Inc.",
  "Northwind Traders",
  "Adatum GmbH & Co. KG",
  "Litware Société Anonyme",
  "Tailspin Toys",
  "Wingtip Toys 🪁",
  "Contoso Ltd.",
  "شركة النور للتجارة",
  "חברת אלפא בע״מ",
  "株式会社サンプル",
  "Müller & Söhne AG",
] as const;

export const JOB_TITLES = [
  "Account Manager",
  "Senior Engineer",
  "Chief Financial Officer",
  "Projektleiterin",
  "Directeur commercial",
  "Jefe de ventas",
  "营销经理",
  "مدير المشاريع",
  "מנהלת מוצר",
  "Office Manager",
] as const;

const PROJECTS = [
  "Atlas",
  "Phoenix",
  "Nordlicht",
  "Helios",
  "Zürich rollout",
  "Québec",
  "Mercury",
  "Orion",
  "Seestern",
  "Blue Harbor",
  "Ιθάκη",
  "Kirin",
] as const;

const NOUNS = [
  "budget",
  "forecast",
  "contract",
  "draft",
  "proposal",
  "invoice",
  "timeline",
  "slide deck",
  "migration plan",
  "test report",
  "purchase order",
  "roadmap",
  "risk register",
  "meeting notes",
  "release checklist",
  "price list",
  "customer feedback",
  "architecture diagram",
] as const;

const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week", "end of month"] as const;
export const CITIES = [
  "Berlin",
  "Paris",
  "Madrid",
  "Tokyo",
  "Dubai",
  "Tel Aviv",
  "São Paulo",
  "Kraków",
] as const;
/** The English month names (the generator writes them into text; recurrences use them too). */
export const MONTHS = MONTH_NAMES;

// {p} project, {n} noun, {d} day, {c} city, {#} number, {m} month.
const SENTENCES = [
  "Could you please send me the updated {n} for {p} by {d}?",
  "I have attached the latest {n}; let me know if anything is missing.",
  "As discussed in yesterday's call, we need to finalise the {n} before {d}.",
  "The numbers for {m} look better than expected, roughly {#} above plan.",
  "Thanks for the quick turnaround on the {n}.",
  "We are still waiting for legal to sign off on the {n} for {p}.",
  "Please review the {n} and add your comments directly in the document.",
  "The team in {c} has confirmed the schedule for {p}.",
  "I will be out of office until {d}, so please contact my deputy in the meantime.",
  "Can we move our sync to {d} afternoon?",
  "Ticket {#} has been escalated to the vendor.",
  "Attached you will find the minutes of the steering committee for {p}.",
  "Let's make sure the {n} reflects the changes we agreed on in {c}.",
  "FYI: the {n} was approved this morning, no further action needed.",
  "We should align the {n} with the numbers finance sent on {d}.",
  "I'm not sure the current {n} covers the requirements from {c}.",
  "Just a reminder that the deadline for {p} is {d}.",
  "Happy to jump on a quick call if that's easier.",
  "The customer in {c} asked for a revised {n} with {#} additional licences.",
  "Please treat this information as confidential until the announcement.",
  "Könnten Sie mir bitte bis {d} den aktuellen Stand zu {p} schicken?",
  "Anbei die überarbeitete Fassung; Änderungen sind gelb markiert.",
  "Vielen Dank für die schnelle Rückmeldung zum Projekt {p}.",
  "Pourriez-vous vérifier le document avant la réunion de {d} ?",
  "Merci pour votre retour rapide concernant {p}.",
  "¿Podemos revisar el presupuesto de {p} antes del {d}?",
  "Gracias por la información, la revisaré esta tarde.",
  "日程について確認させてください。{p}の件です。",
  "请在{d}之前把{p}的报告发给我。",
  "Спасибо за оперативный ответ по проекту {p}.",
  "شكراً على الرد السريع بخصوص مشروع {p}.",
  "תודה על העדכון, נדבר ביום {d}.",
  "Great job everyone, the launch went smoothly 🎉",
  "Looks good to me 👍 — ship it.",
] as const;

const SUBJECTS = [
  "Quarterly report Q{q}",
  "Budget approval for {p}",
  "Invoice #{#}",
  "{n} for {p}",
  "Updated {n}",
  "Action required: {n} review by {d}",
  "Weekly status – {p}",
  "Besprechung: {p} – nächste Schritte",
  "Änderungswünsche zum Vertrag",
  "Réunion de suivi – {p}",
  "Reunión semanal del equipo",
  "会議の議事録 {#}",
  "关于{p}的报告",
  "Отчёт за {m}",
  "اجتماع الفريق الأسبوعي",
  "مراجعة العقد – Contract review #{#}",
  "עדכון פרויקט {p}",
  "פגישה בנושא תקציב",
  "🎉 Team lunch on Friday! 🍕",
  "✈️ Travel itinerary {c}",
  "Ready for launch 🚀",
  "Συνάντηση για το έργο {p}",
  "Çalışma planı {m}",
  "Customer escalation #{#} ⚠️",
  "Your order {#} has shipped 📦",
  "Newsletter {m} – what's new at Contoso",
] as const;

export const MEETING_SUBJECTS = [
  "Weekly sync {p}",
  "1:1",
  "Steering committee {p}",
  "All hands 🎤",
  "Sprint planning",
  "Design review: {n}",
  "Teammeeting Vertrieb",
  "Point hebdomadaire",
  "定例会議",
  "اجتماع الإدارة",
  "ישיבת צוות",
  "Lunch with {c} team 🍜",
] as const;

export const TASK_SUBJECTS = [
  "Prepare {n} for {p}",
  "Follow up with {c} office",
  "Renew licences ({#})",
  "Angebot für {p} erstellen",
  "Préparer la présentation",
  "مراجعة {n}",
  "לסיים את הדוח",
  "Book flights to {c} ✈️",
] as const;

export const LOCATIONS = [
  "Conference Room 4.12",
  "Besprechungsraum Zürich 3.OG",
  "Salle de réunion Lumière",
  "Microsoft Teams Meeting",
  "会議室 A",
  "قاعة الاجتماعات الكبرى",
  "חדר ישיבות 2",
  "Café around the corner ☕",
  "",
] as const;

export const CATEGORIES = [
  "Red Category",
  "Blue Category",
  "Green Category",
  "Follow up",
  "Projekt Ä",
  "Urgent ⚡",
  "قانوني",
  "לקוחות",
] as const;

export function pickPerson(rng: Prng): Person {
  const [givenName, asciiGiven] = rng.pick(GIVEN);
  const [surname, asciiSurname] = rng.pick(SURNAMES);
  return { givenName, surname, asciiGiven, asciiSurname };
}

/** Display name in the order the culture of the given name would write it. */
export function displayName(person: Person): string {
  return /[\u3040-\u30ff\u4e00-\u9fff]/.test(person.givenName)
    ? `${person.surname} ${person.givenName}`
    : `${person.givenName} ${person.surname}`;
}

// Templates are compiled once into literal text and slot word lists with precomputed UTF-8
// sizes, so filling one is a few concatenations and additions: prose generation dominates item
// generation time.
interface SlotWords {
  readonly words: readonly string[];
  readonly bytes: readonly number[];
}

function slotWords(words: readonly string[]): SlotWords {
  return { words, bytes: words.map((w) => Buffer.byteLength(w)) };
}

const SLOT_WORDS: Readonly<Record<string, SlotWords>> = {
  p: slotWords(PROJECTS),
  n: slotWords(NOUNS),
  d: slotWords(DAYS),
  c: slotWords(CITIES),
  m: slotWords(MONTHS),
};

interface Compiled {
  /** literal, slot letter, literal, slot letter, ..., literal */
  readonly parts: readonly string[];
  readonly literalBytes: number;
}

function compileTemplate(template: string): Compiled {
  const parts = template.split(/\{([pndcm#q])\}/);
  let literalBytes = 0;
  for (let i = 0; i < parts.length; i += 2) literalBytes += Buffer.byteLength(parts[i]!);
  return { parts, literalBytes };
}

const compiledCache = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let compiled = compiledCache.get(template);
  if (!compiled) {
    compiled = compileTemplate(template);
    compiledCache.set(template, compiled);
  }
  return compiled;
}

const COMPILED_SENTENCES = SENTENCES.map(compileTemplate);

// Prose goes into HTML bodies unescaped, so its material must be free of markup characters.
for (const text of [...SENTENCES, ...PROJECTS, ...NOUNS, ...DAYS, ...CITIES, ...MONTHS]) {
  if (/[&<>"]/.test(text)) throw new Error(`prose material must not need HTML escaping: ${text}`);
}

/** Fills a compiled template; returns the text and its UTF-8 size. */
function fillCompiled(compiled: Compiled, rng: Prng): { text: string; bytes: number } {
  const parts = compiled.parts;
  let text = parts[0]!;
  let bytes = compiled.literalBytes;
  for (let i = 1; i < parts.length; i += 2) {
    const letter = parts[i]!;
    const list = SLOT_WORDS[letter];
    let word: string;
    if (list) {
      const index = Math.floor(rng.float() * list.words.length);
      word = list.words[index]!;
      bytes += list.bytes[index]!;
    } else {
      word = String(letter === "q" ? rng.int(1, 4) : rng.int(100, 99999));
      bytes += word.length;
    }
    text += word + parts[i + 1]!;
  }
  return { text, bytes };
}

function fill(template: string, rng: Prng): string {
  return fillCompiled(compile(template), rng).text;
}

export function mailSubject(rng: Prng): string {
  return fill(rng.pick(SUBJECTS), rng);
}

export function templateText(templates: readonly string[], rng: Prng): string {
  return fill(rng.pick(templates), rng);
}

/** Paragraphs of prose with the exact UTF-8 size of each (so bodies are measured without a scan). */
export interface Prose {
  readonly paragraphs: readonly string[];
  readonly bytes: readonly number[];
}

/** Paragraphs of prose whose UTF-8 size is close to `bytes` (at most one sentence above). */
export function prose(rng: Prng, bytes: number): Prose {
  const result: string[] = [];
  const sizes: number[] = [];
  const sentences: string[] = [];
  let size = 0;
  while (size < bytes) {
    const count = rng.int(2, 6);
    let paragraphBytes = -1;
    sentences.length = 0;
    for (let i = 0; i < count && size < bytes; i++) {
      const sentence = fillCompiled(
        COMPILED_SENTENCES[Math.floor(rng.float() * COMPILED_SENTENCES.length)]!,
        rng,
      );
      sentences.push(sentence.text);
      paragraphBytes += sentence.bytes + 1;
      size += sentence.bytes + 1;
    }
    // One join per paragraph: cheaper than growing a string sentence by sentence.
    result.push(sentences.join(" "));
    sizes.push(Math.max(0, paragraphBytes));
    size += 2;
  }
  return { paragraphs: result, bytes: sizes };
}

export function paragraphs(rng: Prng, bytes: number): string[] {
  return prose(rng, bytes).paragraphs as string[];
}

/** UTF-8 size of `parts` joined with a separator of `separatorBytes`. */
function joinedBytes(sizes: readonly number[], separatorBytes: number): number {
  let total = 0;
  for (const size of sizes) total += size;
  return total + separatorBytes * Math.max(0, sizes.length - 1);
}

export interface Signature {
  readonly name: string;
  readonly title: string;
  readonly company: string;
  readonly phone: string;
  readonly email: string;
}

export function textSignature(sig: Signature): string {
  return `-- \n${sig.name}\n${sig.title} | ${sig.company}\nPhone: ${sig.phone}\n${sig.email}`;
}

export function htmlSignature(sig: Signature): string {
  return (
    `<p class="MsoNormal"><b><span style="color:#1F3864">${escapeHtml(sig.name)}</span></b><br>` +
    `${escapeHtml(sig.title)} | ${escapeHtml(sig.company)}<br>Phone: ${escapeHtml(sig.phone)}<br>` +
    `<a href="mailto:${escapeHtml(sig.email)}">${escapeHtml(sig.email)}</a></p>`
  );
}

const HTML_SPECIAL = /[&<>"]/;

export function escapeHtml(text: string): string {
  if (!HTML_SPECIAL.test(text)) return text;
  return text.replace(/[&<>"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

export interface QuotedMessage {
  readonly fromName: string;
  readonly fromEmail: string;
  readonly sent: string;
  readonly subject: string;
  readonly prose: Prose;
}

/** A body and its exact UTF-8 size. */
export interface SizedText {
  readonly text: string;
  readonly bytes: number;
}

export function textBody(body: Prose, sig: Signature, quoted?: QuotedMessage): SizedText {
  const signature = textSignature(sig);
  let text = `${body.paragraphs.join("\n\n")}\n\n${signature}\n`;
  let bytes = joinedBytes(body.bytes, 2) + 3 + Buffer.byteLength(signature);
  if (quoted) {
    const head =
      `\n-----Original Message-----\nFrom: ${quoted.fromName} <${quoted.fromEmail}>\n` +
      `Sent: ${quoted.sent}\nSubject: ${quoted.subject}\n\n`;
    text += `${head + quoted.prose.paragraphs.map((p) => `> ${p}`).join("\n>\n")}\n`;
    bytes +=
      Buffer.byteLength(head) + joinedBytes(quoted.prose.bytes, 3) + 2 * quoted.prose.paragraphs.length + 1;
  }
  return { text, bytes };
}

const HTML_HEAD =
  '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">' +
  '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">' +
  '<meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!--\n' +
  '@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}\n' +
  "@font-face {font-family:Calibri; panose-1:2 15 5 2 2 2 4 3 2 4;}\n" +
  'p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}\n' +
  "a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}\n" +
  'span.EmailStyle17 {mso-style-type:personal-compose; font-family:"Calibri",sans-serif; color:windowtext;}\n' +
  '.MsoChpDefault {mso-style-type:export-only; font-family:"Calibri",sans-serif;}\n' +
  "@page WordSection1 {size:612.0pt 792.0pt; margin:72.0pt 72.0pt 72.0pt 72.0pt;}\n" +
  "div.WordSection1 {page:WordSection1;}\n--></style></head>";

const HTML_HEAD_BYTES = Buffer.byteLength(HTML_HEAD);
const PARAGRAPH_OPEN = '<p class="MsoNormal">';
const PARAGRAPH_CLOSE = "<o:p></o:p></p>";
const QUOTED_CLOSE = "</p>";

export function htmlBody(
  body: Prose,
  sig: Signature,
  options: { quoted?: QuotedMessage; inlineImageCid?: string; rtl?: boolean },
): SizedText {
  const dir = options.rtl ? ' dir="rtl"' : "";
  // Every part but the prose is measured as it is added; the prose sizes are known.
  const fixed: string[] = [
    `<body lang="EN-US" link="#0563C1" vlink="#954F72"${dir}>`,
    '<div class="WordSection1">',
  ];
  const parts: string[] = [HTML_HEAD, fixed[0]!, fixed[1]!];
  // Prose is markup-free by construction (checked when this module loads): no escaping pass.
  for (const p of body.paragraphs) parts.push(PARAGRAPH_OPEN + p + PARAGRAPH_CLOSE);
  let bytes =
    HTML_HEAD_BYTES +
    joinedBytes(body.bytes, 0) +
    body.paragraphs.length * (PARAGRAPH_OPEN.length + PARAGRAPH_CLOSE.length);
  const add = (part: string) => {
    parts.push(part);
    fixed.push(part);
  };
  if (options.inlineImageCid) {
    add(`<p class="MsoNormal"><img width="320" height="180" src="cid:${options.inlineImageCid}"></p>`);
  }
  add(htmlSignature(sig));
  const quoted = options.quoted;
  if (quoted) {
    add(
      '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">' +
        `<p class="MsoNormal"><b>From:</b> ${escapeHtml(quoted.fromName)} &lt;${escapeHtml(quoted.fromEmail)}&gt;<br>` +
        `<b>Sent:</b> ${escapeHtml(quoted.sent)}<br><b>Subject:</b> ${escapeHtml(quoted.subject)}</p></div>`,
    );
    add("<blockquote>");
    for (const p of quoted.prose.paragraphs) parts.push(PARAGRAPH_OPEN + p + QUOTED_CLOSE);
    bytes +=
      joinedBytes(quoted.prose.bytes, 0) +
      quoted.prose.paragraphs.length * (PARAGRAPH_OPEN.length + QUOTED_CLOSE.length);
    add("</blockquote>");
  }
  add("</div></body></html>");
  for (const part of fixed) bytes += Buffer.byteLength(part);
  return { text: parts.join("\n"), bytes: bytes + parts.length - 1 };
}
