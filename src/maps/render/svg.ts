// The map as a self-contained SVG, laid out by hand: one column per stage, cards stacked in each, arrows in the gaps.
import type { JourneyMap, Milestone, Stage } from '../schema';
import { byTiming, CHURNED_LABEL, entryInWords, exitRuleInWords, levelInWords, milestoneLines, nextTermInWords, plainText, scheduledTouchpointLines, touchpointLines } from './words';

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
