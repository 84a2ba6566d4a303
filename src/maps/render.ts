import type { EscalationLevel, JourneyMap, Milestone, ScheduledTouchpoint, Stage, Timing, Touchpoint } from './schema';

/**
 * Pictures of a journey map for the people who write them: Mermaid text (for docs and pull requests)
 * and a self-contained SVG. Both read the map through the same wording helpers, so a touchpoint says
 * "60 days before renewal" the same way in each.
 */

// ---------------------------------------------------------------------------------------------
// The map in business words (shared by both renderers)

export interface TimingWordsOptions {
  /** A recurring touchpoint: "every 30 days from day 30". */
  every?: number;
  /** A deadline: "by day 7". */
  by?: boolean;
  /** In the first stage, entering the stage is the purchase itself. */
  firstStage?: boolean;
}

/** A moment of the map in business words: "day 2", "at purchase", "60 days before renewal", "by day 7". */
export function timingInWords(timing: Timing, options: TimingWordsOptions = {}): string {
  const point = pointInTime(timing, options.firstStage ?? false);
  if (options.every !== undefined) return `every ${plural(options.every, 'day')} from ${point.noun}`;
  if (options.by) return `by ${point.noun}`;
  return point.preposition ? `${point.preposition} ${point.noun}` : point.noun;
}

/** How a stage ends, in business words ("milestones met: First login or after 90 days"); undefined if it never does. */
export function exitRuleInWords(stage: Stage): string | undefined {
  const exit = stage.exit;
  if (!exit) return undefined;
  const rules: string[] = [];
  if (exit.milestones?.length) {
    rules.push(`milestones met: ${exit.milestones.map((id) => milestoneName(stage, id)).join(', ')}`);
  }
  if (exit.afterDays !== undefined) {
    const atRisk = exit.atRiskIfIncomplete && exit.milestones?.length ? ' (at risk if incomplete)' : '';
    rules.push(`after ${plural(exit.afterDays, 'day')}${atRisk}`);
  }
  if (exit.daysBeforeRenewal !== undefined) {
    rules.push(`renewal window: ${timingInWords({ days: -exit.daysBeforeRenewal, from: 'renewal' })}`);
  }
  if (exit.event) rules.push(`event ${eventInWords(exit.event)}`);
  return rules.length > 0 ? rules.join(' or ') : undefined;
}

/** Who may enter a stage, in words ("only if plan enterprise"); undefined when everyone does. */
export function entryInWords(stage: Stage): string | undefined {
  const entry = stage.entry;
  if (!entry) return undefined;
  const audience = entry.audience;
  const conditions = [
    ...(entry.milestones ?? []).map((id) => `${id} reached`),
    ...(audience?.segments ? [`segment ${audience.segments.join(' or ')}`] : []),
    ...(audience?.plans ? [`plan ${audience.plans.join(' or ')}`] : []),
    ...Object.entries(audience?.attributes ?? {}).map(([name, value]) => `${name} = ${String(value)}`),
  ];
  return `only if ${conditions.join(' and ')}`;
}

/** One escalation level in words: "after 2 days: notify manager, mark at risk". */
export function levelInWords(level: EscalationLevel & { touchpoints?: Touchpoint[] }): string {
  const actions = [
    ...(level.notify ? [`notify ${level.notify}`] : []),
    ...(level.markAtRisk ? ['mark at risk'] : []),
    ...(level.touchpoints ?? []).map((t) => t.name ?? t.id),
  ];
  return `after ${plural(level.afterDays, 'day')}: ${actions.join(', ') || 'nothing'}`;
}

function eventInWords(event: { type: string; match: Record<string, string> }): string {
  const match = Object.entries(event.match).map(([field, value]) => `${field} = ${value}`);
  return match.length > 0 ? `${event.type} (${match.join(', ')})` : event.type;
}

/** A point in time as a noun ("day 2", "purchase"), with the preposition it needs on its own ("at purchase"). */
function pointInTime({ days, from, milestone }: Timing, firstStage: boolean): { noun: string; preposition?: string } {
  if (from === 'milestone') {
    const reached = `milestone ${milestone} is reached`;
    return days === 0 ? { noun: reached, preposition: 'when' } : { noun: `${plural(days, 'day')} after ${reached}` };
  }
  if (from === 'stageEntry') {
    return days === 0 && firstStage ? { noun: 'purchase', preposition: 'at' } : { noun: `day ${days}` };
  }
  if (days === 0) return from === 'purchase' ? { noun: 'purchase', preposition: 'at' } : { noun: 'the renewal date', preposition: 'on' };
  return { noun: `${plural(Math.abs(days), 'day')} ${days < 0 ? 'before' : 'after'} ${from}` };
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function milestoneName(stage: Stage, id: string): string {
  return stage.milestones.find((milestone) => milestone.id === id)?.name ?? id;
}

/** What a touchpoint does: "call: Kickoff, 45 min". */
function actionInWords(touchpoint: Touchpoint): string {
  switch (touchpoint.action) {
    case 'email':
      return `email: ${touchpoint.template}`;
    case 'call':
    case 'training': {
      const noShow = touchpoint.onNoShow && touchpoint.onNoShow.rebook !== 1 ? `; no-show: rebook ${touchpoint.onNoShow.rebook}×, then task` : '';
      return `${touchpoint.action}: ${touchpoint.topic}, ${touchpoint.durationMinutes} min${noShow}`;
    }
    case 'task': {
      const overdue = (touchpoint.onOverdue ?? []).map((level) => `; overdue ${levelInWords(level)}`).join('');
      return `task: ${touchpoint.title}, due in ${plural(touchpoint.dueInDays, 'day')}${overdue}`;
    }
    case 'webhook':
      return `webhook: ${touchpoint.event} → ${new URL(touchpoint.url).host}`;
  }
}

/** A touchpoint's label, one entry per line; `when` is left out for escalations, which run when missed. */
function touchpointLines(touchpoint: Touchpoint, when?: string): string[] {
  const title = touchpoint.name ? `${touchpoint.name} · ${touchpoint.id}` : touchpoint.id;
  return [title, actionInWords(touchpoint), ...(when ? [when] : []), `owner: ${touchpoint.owner}`];
}

function scheduledTouchpointLines(touchpoint: ScheduledTouchpoint, firstStage: boolean): string[] {
  return touchpointLines(touchpoint, timingInWords(touchpoint.at, { every: touchpoint.every, firstStage }));
}

/** A milestone's label, one entry per line: name, deadline, the event that completes it. */
function milestoneLines(milestone: Milestone, firstStage: boolean): string[] {
  const match = Object.entries(milestone.event.match).map(([field, value]) => `${field} = ${value}`);
  const count = milestone.event.count;
  return [
    milestone.name,
    `due ${timingInWords(milestone.due, { by: true, firstStage })}`,
    `event: ${milestone.event.type}${count ? ` ×${count.times} within ${plural(count.withinDays, 'day')}` : ''}`,
    ...(match.length > 0 ? [`match: ${match.join(', ')}`] : []),
  ];
}

const ANCHOR_ORDER: Record<Timing['from'], number> = { purchase: 0, stageEntry: 1, milestone: 2, renewal: 3 };

/** Touchpoints in the order they happen; anchors cannot be compared without dates, so a term's order (purchase, stage, renewal) decides. */
function byTiming(a: ScheduledTouchpoint, b: ScheduledTouchpoint): number {
  return ANCHOR_ORDER[a.at.from] - ANCHOR_ORDER[b.at.from] || a.at.days - b.at.days;
}

function nextTermInWords(map: JourneyMap): string {
  const stage = map.stages.find((candidate) => candidate.id === map.renewal.nextTermStage);
  return `renewal.renewed → next term in ${stage?.name ?? map.renewal.nextTermStage}`;
}

const CHURNED_LABEL = 'renewal.churned';

/** Names written by people may hold newlines or control characters; neither belongs in a one-line label. */
function plainText(text: string): string {
  return [...text.replace(/\s+/g, ' ')].filter((char) => char >= ' ').join('');
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** The map as a Mermaid `flowchart LR`: a subgraph per stage, milestones with their escalations, exits between stages. */
export function renderMermaid(map: JourneyMap): string {
  const lines = ['flowchart LR'];
  map.stages.forEach((stage, index) => lines.push(...mermaidStage(stage, index === 0)));
  map.stages.forEach((stage, index) => {
    const next = map.stages[index + 1];
    const exit = exitRuleInWords(stage);
    if (next && exit) lines.push(mermaidEdge(stageNode(stage), exit, stageNode(next)));
  });
  const last = map.stages[map.stages.length - 1]!;
  lines.push(
    mermaidEdge(stageNode(last), nextTermInWords(map), `stage_${mermaidId(map.renewal.nextTermStage)}`),
    `  journey_churned(["churned"]):::churned`,
    mermaidEdge(stageNode(last), CHURNED_LABEL, 'journey_churned'),
    '  classDef milestone fill:#fff4d6,stroke:#c9a227',
    '  classDef risk fill:#fde2e1,stroke:#c0392b',
    '  classDef churned fill:#eeeeee,stroke:#777777',
  );
  return `${lines.join('\n')}\n`;
}

function mermaidStage(stage: Stage, firstStage: boolean): string[] {
  const entry = entryInWords(stage);
  const lines = [`  subgraph ${stageNode(stage)}${mermaidLabel([`${stage.name} · owner: ${stage.owner}${entry ? ` · ${entry}` : ''}`])}`];
  for (const touchpoint of [...stage.touchpoints].sort(byTiming)) {
    lines.push(`    ${touchpointNode(touchpoint)}${mermaidLabel(scheduledTouchpointLines(touchpoint, firstStage))}`);
  }
  for (const milestone of stage.milestones) {
    const node = milestoneNode(stage, milestone);
    lines.push(`    ${node}${mermaidLabel(milestoneLines(milestone, firstStage))}:::milestone`);
    for (const touchpoint of milestone.onMissed.touchpoints) {
      lines.push(`    ${touchpointNode(touchpoint)}${mermaidLabel(touchpointLines(touchpoint))}`);
      lines.push(mermaidEdge(node, 'missed', touchpointNode(touchpoint), '    '));
    }
    if (milestone.onMissed.markAtRisk) {
      lines.push(`    ${node}__at_risk${mermaidLabel(['mark at risk'])}:::risk`);
      lines.push(mermaidEdge(node, 'missed', `${node}__at_risk`, '    '));
    }
    if (milestone.onMissed.notify) {
      lines.push(`    ${node}__notify${mermaidLabel([`notify ${milestone.onMissed.notify}`])}:::risk`);
      lines.push(mermaidEdge(node, 'missed', `${node}__notify`, '    '));
    }
    (milestone.onMissed.then ?? []).forEach((level, i) => {
      lines.push(`    ${node}__level_${i + 1}${mermaidLabel([levelInWords(level)])}:::risk`);
      lines.push(mermaidEdge(node, 'still missed', `${node}__level_${i + 1}`, '    '));
    });
  }
  lines.push('  end');
  return lines;
}

/** Map ids are lower-case letters, digits and dashes; Mermaid ids take underscores instead of dashes. */
function mermaidId(id: string): string {
  return id.replace(/-/g, '_');
}

function stageNode(stage: Stage): string {
  return `stage_${mermaidId(stage.id)}`;
}

function touchpointNode(touchpoint: Touchpoint): string {
  return `tp_${mermaidId(touchpoint.id)}`;
}

/** Milestone ids are unique within a stage only, so the stage is part of the node id. */
function milestoneNode(stage: Stage, milestone: Milestone): string {
  return `ms_${mermaidId(stage.id)}__${mermaidId(milestone.id)}`;
}

function mermaidEdge(from: string, label: string, to: string, indent = '  '): string {
  return `${indent}${from} -->|"${mermaidText(label)}"| ${to}`;
}

/** A quoted box label, lines joined by Mermaid's `<br/>`. */
function mermaidLabel(lines: string[]): string {
  return `["${lines.map(mermaidText).join('<br/>')}"]`;
}

// Mermaid's entity codes: a quote would end the label, `<`/`&` would be read as HTML, `|` ends an edge label,
// a leading backtick starts markdown, and `#` must be escaped so that text like "#35;" stays literal.
const MERMAID_ENTITIES: Record<string, string> = {
  '"': '#quot;',
  '#': '#35;',
  '&': '#amp;',
  '<': '#lt;',
  '>': '#gt;',
  '|': '#124;',
  '`': '#96;',
};

function mermaidText(text: string): string {
  return plainText(text).replace(/["#&<>|`]/g, (char) => MERMAID_ENTITIES[char]!);
}

// ---------------------------------------------------------------------------------------------
// SVG, laid out by hand: one column per stage, cards stacked in each, arrows in the gaps

const FONT_SIZE = 12;
/** Estimated width of a character at 12px in a sans-serif font. */
const CHAR_WIDTH = 7;
const LINE_HEIGHT = 16;
const PADDING = 8;
const MARGIN = 20;
const TITLE_HEIGHT = 36;
const CARD_GAP = 10;
/** Room between columns for the exit arrow and its label. */
const COLUMN_GAP = 160;
const WRAP_CHARS = 36;
const MIN_COLUMN_WIDTH = 180;
const INDENT = 12;
/** The exit arrow runs at the height of the first header line, which every header has. */
const ARROW_Y_OFFSET = PADDING + LINE_HEIGHT / 2;

interface TextLine {
  text: string;
  bold?: boolean;
  indent?: number;
}

interface Card {
  /** data-* attributes naming what the card shows, for tests and for styling by whoever embeds the SVG. */
  data: Record<string, string>;
  fill: string;
  stroke: string;
  lines: TextLine[];
}

interface Column {
  cards: Card[];
  width: number;
  height: number;
}

/** The map as a self-contained SVG: stages as columns left to right, touchpoints by time, then milestones. */
export function renderSvg(map: JourneyMap): string {
  const columns = map.stages.map((stage, index) => measureColumn(stageCards(stage, index === 0)));
  const top = MARGIN + TITLE_HEIGHT;
  const arrowY = top + ARROW_Y_OFFSET;
  const parts: string[] = [];

  let x = MARGIN;
  const columnX: number[] = [];
  columns.forEach((column, index) => {
    columnX.push(x);
    parts.push(drawColumn(column, x, top));
    const exit = exitRuleInWords(map.stages[index]!);
    if (index < columns.length - 1 && exit) parts.push(drawArrow(x + column.width, x + column.width + COLUMN_GAP, arrowY, exit));
    x += column.width + COLUMN_GAP;
  });

  // The term ends after the last stage: churned to the right, renewed back to the next-term stage below.
  const last = columns.length - 1;
  const lastRight = columnX[last]! + columns[last]!.width;
  parts.push(drawArrow(lastRight, x, arrowY, CHURNED_LABEL));
  const churned = measureColumn([{ data: { 'data-outcome': 'churned' }, fill: '#eeeeee', stroke: '#777777', lines: [{ text: 'churned', bold: true }] }]);
  parts.push(drawColumn(churned, x, top));

  const nextIndex = Math.max(0, map.stages.findIndex((stage) => stage.id === map.renewal.nextTermStage));
  const loop = drawRenewalLoop(
    { x: columnX[last]! + columns[last]!.width / 2 + 20, bottom: top + columns[last]!.height },
    { x: columnX[nextIndex]! + columns[nextIndex]!.width / 2 - 20, bottom: top + columns[nextIndex]!.height },
    top + Math.max(...columns.map((column) => column.height)) + 30,
    nextTermInWords(map),
  );
  parts.push(loop.svg);

  const title = `${map.name} (${map.id} v${map.version})`;
  const width = Math.max(x + churned.width + MARGIN, MARGIN * 2 + textWidth(title, true));
  const height = loop.bottom + MARGIN;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT_SIZE}">`,
    `<title>${xmlText(title)}</title>`,
    '<defs><marker id="journey-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    element('text', { x: MARGIN, y: MARGIN + FONT_SIZE + 2, 'font-size': FONT_SIZE + 2, 'font-weight': 'bold' }, xmlText(title)),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** A stage's cards, top to bottom: header, touchpoints by time, milestones with their escalations. */
function stageCards(stage: Stage, firstStage: boolean): Card[] {
  const header: Card = {
    data: { 'data-stage': stage.id },
    fill: '#dde8f5',
    stroke: '#4a6fa5',
    lines: [{ text: stage.name, bold: true }, { text: `owner: ${stage.owner}` }, ...(entryInWords(stage) ? [{ text: entryInWords(stage)! }] : [])],
  };
  const touchpoints = [...stage.touchpoints].sort(byTiming).map(
    (touchpoint): Card => ({
      data: { 'data-touchpoint': touchpoint.id },
      fill: '#ffffff',
      stroke: '#888888',
      lines: titled(scheduledTouchpointLines(touchpoint, firstStage)),
    }),
  );
  const milestones = stage.milestones.map(
    (milestone): Card => ({
      data: { 'data-milestone': milestone.id },
      fill: '#fff4d6',
      stroke: '#c9a227',
      lines: [...titled(milestoneLines(milestone, firstStage)), ...escalationLines(milestone)],
    }),
  );
  return [header, ...touchpoints, ...milestones];
}

/** What happens when a milestone is missed, indented under it. */
function escalationLines(milestone: Milestone): TextLine[] {
  const { touchpoints, markAtRisk, notify } = milestone.onMissed;
  const levels = milestone.onMissed.then ?? [];
  if (touchpoints.length === 0 && !markAtRisk && !notify && levels.length === 0) return [];
  const escalations = touchpoints.flatMap((touchpoint) =>
    touchpointLines(touchpoint).map((text, i): TextLine => (i === 0 ? { text: `→ ${text}`, indent: INDENT } : { text, indent: INDENT * 2 })),
  );
  return [
    { text: 'if missed:', bold: true },
    ...escalations,
    ...(markAtRisk ? [{ text: '→ mark at risk', indent: INDENT }] : []),
    ...(notify ? [{ text: `→ notify ${notify}`, indent: INDENT }] : []),
    ...levels.map((level) => ({ text: `→ still missed ${levelInWords(level)}`, indent: INDENT })),
  ];
}

/** First line bold, as a title. */
function titled(lines: string[]): TextLine[] {
  return lines.map((text, i) => ({ text, bold: i === 0 }));
}

/** Wraps every card's lines and sizes the column to its widest line. */
function measureColumn(cards: Card[]): Column {
  const wrapped = cards.map((card) => ({ ...card, lines: card.lines.flatMap(wrapLine) }));
  const widest = Math.max(...wrapped.flatMap((card) => card.lines.map((line) => (line.indent ?? 0) + textWidth(line.text, line.bold))));
  const heights = wrapped.map(cardHeight);
  return {
    cards: wrapped,
    width: Math.max(MIN_COLUMN_WIDTH, widest + 2 * PADDING),
    height: heights.reduce((sum, height) => sum + height, 0) + CARD_GAP * (heights.length - 1),
  };
}

function cardHeight(card: Card): number {
  return card.lines.length * LINE_HEIGHT + 2 * PADDING;
}

function wrapLine(line: TextLine): TextLine[] {
  const chars = WRAP_CHARS - Math.round((line.indent ?? 0) / CHAR_WIDTH);
  return wrapText(line.text, chars).map((text) => ({ ...line, text }));
}

/** Greedy word wrap; a word longer than a line is cut. */
function wrapText(text: string, maxChars: number): string[] {
  const width = Math.max(1, maxChars);
  const lines: string[] = [];
  let current = '';
  for (const word of plainText(text).split(' ').filter(Boolean)) {
    const candidate = current ? `${current} ${word}` : word;
    if ([...candidate].length <= width) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    let rest = [...word];
    while (rest.length > width) {
      lines.push(rest.slice(0, width).join(''));
      rest = rest.slice(width);
    }
    current = rest.join('');
  }
  if (current || lines.length === 0) lines.push(current);
  return lines;
}

/** Bold text runs about a tenth wider. */
function textWidth(text: string, bold = false): number {
  return Math.ceil([...text].length * CHAR_WIDTH * (bold ? 1.1 : 1));
}

function drawColumn(column: Column, x: number, top: number): string {
  let y = top;
  return column.cards
    .map((card) => {
      const svg = drawCard(card, x, y, column.width);
      y += cardHeight(card) + CARD_GAP;
      return svg;
    })
    .join('\n');
}

function drawCard(card: Card, x: number, y: number, width: number): string {
  const box = element('rect', { x, y, width, height: cardHeight(card), rx: 6, fill: card.fill, stroke: card.stroke });
  const texts = card.lines.map((line, i) =>
    element(
      'text',
      { x: x + PADDING + (line.indent ?? 0), y: y + PADDING + FONT_SIZE + i * LINE_HEIGHT, ...(line.bold ? { 'font-weight': 'bold' } : {}) },
      xmlText(line.text),
    ),
  );
  return element('g', card.data, [box, ...texts].join(''));
}

/** A horizontal arrow across a column gap, its label wrapped underneath. */
function drawArrow(fromX: number, toX: number, y: number, label: string): string {
  const line = element('line', { x1: fromX + 4, y1: y, x2: toX - 4, y2: y, stroke: '#555555', 'marker-end': 'url(#journey-arrow)' });
  const labelChars = Math.floor((toX - fromX - 2 * PADDING) / CHAR_WIDTH);
  const texts = wrapText(label, labelChars).map((text, i) =>
    element('text', { x: (fromX + toX) / 2, y: y + 18 + i * LINE_HEIGHT, 'text-anchor': 'middle', fill: '#333333' }, xmlText(text)),
  );
  return element('g', { 'data-exit': label }, [line, ...texts].join(''));
}

/** The renewal arrow: down from the last stage, along the bottom, up into the next-term stage. */
function drawRenewalLoop(
  from: { x: number; bottom: number },
  to: { x: number; bottom: number },
  loopY: number,
  label: string,
): { svg: string; bottom: number } {
  const path = element('path', {
    d: `M${from.x},${from.bottom + 4} V${loopY} H${to.x} V${to.bottom + 4}`,
    fill: 'none',
    stroke: '#2e7d32',
    'marker-end': 'url(#journey-arrow)',
  });
  // The label may run along the whole bottom line, but a short loop still gets a readable width.
  const lines = wrapText(label, Math.max(WRAP_CHARS, Math.floor(Math.abs(from.x - to.x) / CHAR_WIDTH) - 2));
  const texts = lines.map((text, i) =>
    element('text', { x: Math.min(from.x, to.x) + PADDING, y: loopY + 18 + i * LINE_HEIGHT, fill: '#2e7d32' }, xmlText(text)),
  );
  return { svg: element('g', { 'data-renewal': 'renewed' }, [path, ...texts].join('')), bottom: loopY + 18 + lines.length * LINE_HEIGHT };
}

/** An XML element; attribute values are escaped here, content must already be. */
function element(name: string, attributes: Record<string, string | number>, content?: string): string {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${xmlText(String(value))}"`)
    .join('');
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xmlText(text: string): string {
  return plainText(text).replace(/[&<>"']/g, (char) => XML_ENTITIES[char]!);
}
