import path from 'node:path';
import { loadMapFile } from '../../src/maps/catalog';
import { renderMermaid } from '../../src/maps/render/mermaid';
import { renderSvg } from '../../src/maps/render/svg';
import { exitRuleInWords, timingInWords } from '../../src/maps/render/words';
import { journeyMapSchema, type JourneyMap } from '../../src/maps/schema';

// Loaded on its own (not through the test fixtures): the renderers need only the map.
const defaultMap = loadMapFile(path.join(__dirname, '..', '..', 'maps', 'default.yaml'));

/** What a map author checks on the picture of the default map: each moment, when it happens, who owns it. */
const touchpoints = [
  { id: 'welcome-email', name: 'Welcome email', when: 'at purchase', owner: 'successManager' },
  { id: 'kickoff-call', name: 'Kickoff call', when: 'day 2', owner: 'successManager' },
  { id: 'check-in-call', name: 'Check-in call', when: 'every 30 days from day 30', owner: 'successManager' },
  { id: 'value-review', name: 'Value review', when: 'day 75', owner: 'successManager' },
  { id: 'renewal-reminder-60', name: 'Renewal reminder (60 days)', when: '60 days before renewal', owner: 'accountManager' },
  { id: 'renewal-call', name: 'Renewal call', when: '45 days before renewal', owner: 'accountManager' },
  { id: 'renewal-reminder-30', name: 'Renewal reminder (30 days)', when: '30 days before renewal', owner: 'accountManager' },
];
const milestones = [
  { stage: 'onboarding', id: 'first-login', name: 'First login', due: 'due by day 7', event: 'event: user.login' },
  { stage: 'onboarding', id: 'key-feature-used', name: 'Reports used', due: 'due by day 21', event: 'event: feature.used' },
  { stage: 'renewal', id: 'renewal-decided', name: 'Renewal decided', due: 'due by the renewal date', event: 'event: renewal.renewed' },
];
const exits = {
  onboarding: 'milestones met: First login, Reports used or after 90 days (at risk if incomplete)',
  adoption: 'renewal window: 90 days before renewal',
};

/** Mermaid ids as the renderer derives them: dashes become underscores. */
const mid = (id: string) => id.replace(/-/g, '_');

describe('business words', () => {
  test('timings read as a map author says them', () => {
    expect(timingInWords({ days: 2, from: 'stageEntry' })).toBe('day 2');
    expect(timingInWords({ days: 0, from: 'stageEntry' }, { firstStage: true })).toBe('at purchase');
    expect(timingInWords({ days: 0, from: 'stageEntry' })).toBe('day 0');
    expect(timingInWords({ days: 0, from: 'purchase' })).toBe('at purchase');
    expect(timingInWords({ days: 10, from: 'purchase' })).toBe('10 days after purchase');
    expect(timingInWords({ days: -60, from: 'renewal' })).toBe('60 days before renewal');
    expect(timingInWords({ days: 1, from: 'renewal' })).toBe('1 day after renewal');
    expect(timingInWords({ days: 0, from: 'renewal' })).toBe('on the renewal date');
    expect(timingInWords({ days: 30, from: 'stageEntry' }, { every: 30 })).toBe('every 30 days from day 30');
    expect(timingInWords({ days: 7, from: 'stageEntry' }, { by: true })).toBe('by day 7');
    expect(timingInWords({ days: 0, from: 'renewal' }, { by: true })).toBe('by the renewal date');
  });

  test('exit rules read as a map author says them', () => {
    const [onboarding, adoption, renewal] = defaultMap.stages;
    expect(exitRuleInWords(onboarding!)).toBe(exits.onboarding);
    expect(exitRuleInWords(adoption!)).toBe(exits.adoption);
    expect(exitRuleInWords(renewal!)).toBeUndefined();
    expect(exitRuleInWords({ ...adoption!, exit: { afterDays: 1, atRiskIfIncomplete: false } })).toBe('after 1 day');
  });
});

describe('renderMermaid', () => {
  const mermaid = renderMermaid(defaultMap);
  const lines = mermaid.split('\n');
  const nodeLine = (node: string) => lines.find((line) => line.trim().startsWith(`${node}[`)) ?? '';

  test('is a left-to-right flowchart with one subgraph per stage, in order, titled with name and owner', () => {
    expect(lines[0]).toBe('flowchart LR');
    const subgraphs = lines.filter((line) => line.trim().startsWith('subgraph '));
    expect(subgraphs.map((line) => line.trim())).toEqual([
      'subgraph stage_onboarding["Onboarding · owner: successManager"]',
      'subgraph stage_adoption["Adoption · owner: successManager"]',
      'subgraph stage_renewal["Renewal · owner: accountManager"]',
    ]);
    expect(lines.filter((line) => line.trim() === 'end')).toHaveLength(3);
  });

  test.each(touchpoints)('touchpoint $id shows its name, $when and its owner', ({ id, name, when, owner }) => {
    const line = nodeLine(`tp_${mid(id)}`);
    expect(line).toContain(`${name} · ${id}`);
    expect(line).toContain(`<br/>${when}<br/>`);
    expect(line).toContain(`owner: ${owner}`);
  });

  test('every touchpoint and milestone of the map has a node', () => {
    for (const stage of defaultMap.stages) {
      for (const touchpoint of [...stage.touchpoints, ...stage.milestones.flatMap((m) => m.onMissed.touchpoints)]) {
        expect(nodeLine(`tp_${mid(touchpoint.id)}`)).toContain(`owner: ${touchpoint.owner}`);
      }
      for (const milestone of stage.milestones) expect(nodeLine(`ms_${mid(stage.id)}__${mid(milestone.id)}`)).toContain(milestone.name);
    }
  });

  test.each(milestones)('milestone $id shows its name, $due and its event', ({ stage, id, name, due, event }) => {
    const line = nodeLine(`ms_${mid(stage)}__${mid(id)}`);
    expect(line).toContain(`["${name}<br/>${due}<br/>${event}`);
    expect(line).toMatch(/:::milestone$/);
  });

  test('the reports milestone names the field its event must match', () => {
    expect(nodeLine('ms_onboarding__key_feature_used')).toContain('match: feature = reports');
  });

  test('a missed milestone leads to its escalations', () => {
    expect(mermaid).toContain('ms_onboarding__first_login -->|"missed"| tp_login_help_email');
    expect(mermaid).toContain('ms_onboarding__first_login -->|"missed"| tp_login_help_task');
    expect(mermaid).toContain('ms_onboarding__key_feature_used -->|"missed"| tp_reports_training');
    expect(mermaid).toContain('ms_renewal__renewal_decided -->|"missed"| tp_renewal_overdue_task');
    expect(mermaid).toContain('ms_renewal__renewal_decided -->|"missed"| ms_renewal__renewal_decided__at_risk');
    expect(nodeLine('ms_renewal__renewal_decided__at_risk')).toContain('["mark at risk"]');
  });

  test('stages are joined by their exit rules, and the term ends in renewal or churn', () => {
    expect(mermaid).toContain(`stage_onboarding -->|"${exits.onboarding}"| stage_adoption`);
    expect(mermaid).toContain(`stage_adoption -->|"${exits.adoption}"| stage_renewal`);
    expect(mermaid).toContain('stage_renewal -->|"renewal.renewed → next term in Adoption"| stage_adoption');
    expect(mermaid).toContain('stage_renewal -->|"renewal.churned"| journey_churned');
    expect(mermaid).toContain('journey_churned(["churned"])');
  });

  test('every line is a well-formed statement', () => {
    expect(malformedMermaidLines(mermaid)).toEqual([]);
  });
});

describe('renderSvg', () => {
  const svg = parseXml(renderSvg(defaultMap));

  test('is a well-formed, self-contained SVG', () => {
    expect(svg.name).toBe('svg');
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(svg.attributes.width)).toBeGreaterThan(0);
    expect(Number(svg.attributes.height)).toBeGreaterThan(0);
    const names = new Set(descendants(svg).map((node) => node.name));
    for (const external of ['script', 'image', 'style', 'foreignObject', 'use']) expect(names).not.toContain(external);
  });

  test('has one column per stage, left to right, headed by the stage name and owner', () => {
    const headers = defaultMap.stages.map((stage) => group(svg, 'data-stage', stage.id));
    expect(headers.map(linesOf)).toEqual([
      ['Onboarding', 'owner: successManager'],
      ['Adoption', 'owner: successManager'],
      ['Renewal', 'owner: accountManager'],
    ]);
    const xs = headers.map((header) => Number(child(header, 'rect').attributes.x));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  test.each(touchpoints)('touchpoint $id shows its name, $when and its owner', ({ id, name, when, owner }) => {
    const lines = linesOf(group(svg, 'data-touchpoint', id));
    expect(lines.join(' ')).toContain(`${name} · ${id}`);
    expect(lines).toContain(when);
    expect(lines).toContain(`owner: ${owner}`);
  });

  test('touchpoints stand in the order they happen, below their stage', () => {
    const tops = ['renewal-reminder-60', 'renewal-call', 'renewal-reminder-30'].map((id) =>
      Number(child(group(svg, 'data-touchpoint', id), 'rect').attributes.y),
    );
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
  });

  test.each(milestones)('milestone $id shows its name, $due, its event and what happens when it is missed', ({ id, name, due, event }) => {
    const lines = linesOf(group(svg, 'data-milestone', id));
    expect(lines.slice(0, 3)).toEqual([name, due, event]);
    expect(lines).toContain('if missed:');
  });

  test('escalations are listed under their milestone', () => {
    const text = (id: string) => linesOf(group(svg, 'data-milestone', id)).join(' ');
    expect(text('first-login')).toContain('→ Login help email · login-help-email');
    expect(text('first-login')).toContain('→ Call about the missing login · login-help-task');
    expect(text('key-feature-used')).toContain('→ Reports training session · reports-training');
    expect(text('renewal-decided')).toContain('→ mark at risk');
  });

  test('arrows between columns carry the exit rules; the term ends in renewal or churn', () => {
    const labels = descendants(svg)
      .filter((node) => node.attributes['data-exit'] !== undefined)
      .map((node) => ({ rule: node.attributes['data-exit'], text: linesOf(node).join(' ') }));
    expect(labels).toEqual([
      { rule: exits.onboarding, text: exits.onboarding },
      { rule: exits.adoption, text: exits.adoption },
      { rule: 'renewal.churned', text: 'renewal.churned' },
    ]);
    expect(linesOf(group(svg, 'data-renewal', 'renewed')).join(' ')).toBe('renewal.renewed → next term in Adoption');
    expect(linesOf(group(svg, 'data-outcome', 'churned'))).toEqual(['churned']);
  });

  test('long labels are wrapped', () => {
    const cards = descendants(svg).filter((node) => node.attributes['data-touchpoint'] ?? node.attributes['data-milestone']);
    const lines = cards.flatMap(linesOf);
    expect(lines).toContain('task: Nobody has logged in after');
    expect(Math.max(...lines.map((line) => [...line].length))).toBeLessThanOrEqual(40);
  });
});

describe('a map whose names hold quotes, brackets and markup', () => {
  const tricky = {
    map: 'Tom & Jerry\'s "VIP" <journey>',
    stage: 'On(boarding] "fast" <b>&amp;',
    touchpoint: 'Welcome "hello" (1) [x] <y> & z',
    milestone: 'First "login" (yes] <ok> & #35; |pipe|',
    task: 'Call "them" <now> & [then]',
    match: 'a"b<c>&d',
  };
  const map: JourneyMap = journeyMapSchema.parse(
    (() => {
      const data = structuredClone(defaultMap) as any;
      data.name = tricky.map;
      data.stages[0].name = tricky.stage;
      data.stages[0].touchpoints[0].name = tricky.touchpoint;
      data.stages[0].milestones[0].name = tricky.milestone;
      data.stages[0].milestones[0].onMissed.touchpoints[1].title = tricky.task;
      data.stages[0].milestones[1].event.match = { feature: tricky.match };
      return data;
    })(),
  );

  test('Mermaid labels escape what would break them', () => {
    const mermaid = renderMermaid(map);
    expect(malformedMermaidLines(mermaid)).toEqual([]);
    for (const text of Object.values(tricky).slice(1)) expect(mermaid).not.toContain(text);
    expect(mermaid).toContain('subgraph stage_onboarding["On(boarding] #quot;fast#quot; #lt;b#gt;#amp;amp; · owner: successManager"]');
    expect(mermaid).toContain('First #quot;login#quot; (yes] #lt;ok#gt; #amp; #35;35; #124;pipe#124;');
    expect(mermaid).toContain('match: feature = a#quot;b#lt;c#gt;#amp;d');
  });

  test('the SVG stays well-formed and says every name as written', () => {
    const svg = parseXml(renderSvg(map));
    expect(child(svg, 'title').text).toBe(`${tricky.map} (default v1)`);
    expect(linesOf(group(svg, 'data-stage', 'onboarding'))[0]).toBe(tricky.stage);
    expect(linesOf(group(svg, 'data-touchpoint', 'welcome-email')).join(' ')).toContain(tricky.touchpoint);
    const milestone = linesOf(group(svg, 'data-milestone', 'first-login')).join(' ');
    expect(milestone).toContain(tricky.milestone);
    expect(milestone).toContain(tricky.task);
    expect(linesOf(group(svg, 'data-milestone', 'key-feature-used')).join(' ')).toContain(`feature = ${tricky.match}`);
    expect(descendants(svg).find((node) => node.attributes['data-exit']?.startsWith('milestones met:'))!.attributes['data-exit']).toBe(
      `milestones met: ${tricky.milestone}, Reports used or after 90 days (at risk if incomplete)`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Mermaid statements, and a strict little XML reader (no parser package in this project)

/** Lines that are none of the statements the renderer writes; quoted labels may hold no raw quote. */
function malformedMermaidLines(mermaid: string): string[] {
  const label = '\\["[^"]*"\\]';
  const statement = new RegExp(
    [
      '^flowchart LR$',
      `^  subgraph \\w+${label}$`,
      '^  end$',
      `^ +\\w+(${label}|\\(${label}\\))(:::\\w+)?$`,
      '^ +\\w+ -->\\|"[^"|]*"\\| \\w+$',
      '^  classDef \\w+ [\\w:#,]+$',
      '^$',
    ].join('|'),
  );
  const labels = [...mermaid.matchAll(/"([^"]*)"/g)].map((match) => match[1]!.split('<br/>').join(''));
  return [
    ...mermaid.split('\n').filter((line) => !statement.test(line)),
    ...labels.filter((text) => /[<>&|`]/.test(text)).map((text) => `unescaped: ${text}`),
  ];
}

interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Reads an XML document made of elements, attributes and text; throws on anything not well-formed. */
function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', attributes: {}, children: [], text: '' };
  const open = [root];
  let at = 0;
  while (at < xml.length) {
    const parent = open[open.length - 1]!;
    if (xml[at] !== '<') {
      const end = xml.indexOf('<', at) === -1 ? xml.length : xml.indexOf('<', at);
      parent.text += decodeText(xml.slice(at, end));
      at = end;
      continue;
    }
    const end = tagEnd(xml, at);
    const tag = xml.slice(at + 1, end);
    at = end + 1;
    if (tag.startsWith('/')) {
      const closed = open.pop();
      if (open.length === 0 || closed!.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${closed!.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const node = parseTag(selfClosing ? tag.slice(0, -1) : tag);
    parent.children.push(node);
    if (!selfClosing) open.push(node);
  }
  if (open.length !== 1) throw new Error(`<${open[open.length - 1]!.name}> is never closed`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('a document has exactly one root element');
  return root.children[0]!;
}

/** Where a tag that starts at `start` ends; a `>` inside a quoted attribute value does not end it. */
function tagEnd(xml: string, start: number): number {
  let quoted = false;
  for (let i = start + 1; i < xml.length; i++) {
    if (xml[i] === '"') quoted = !quoted;
    else if (!quoted && xml[i] === '>') return i;
    else if (xml[i] === '<') throw new Error(`unescaped < inside a tag at ${i}`);
  }
  throw new Error(`tag at ${start} never ends`);
}

function parseTag(tag: string): XmlNode {
  const nameEnd = tag.indexOf(' ') === -1 ? tag.length : tag.indexOf(' ');
  const node: XmlNode = { name: tag.slice(0, nameEnd), attributes: {}, children: [], text: '' };
  if (!isName(node.name)) throw new Error(`bad element name "${node.name}"`);
  let rest = tag.slice(nameEnd).trim();
  while (rest !== '') {
    const equals = rest.indexOf('="');
    const close = rest.indexOf('"', equals + 2);
    if (equals === -1 || close === -1) throw new Error(`bad attributes in <${tag}>`);
    const name = rest.slice(0, equals);
    if (!isName(name) || name in node.attributes) throw new Error(`bad or repeated attribute "${name}" in <${node.name}>`);
    node.attributes[name] = decodeText(rest.slice(equals + 2, close));
    rest = rest.slice(close + 1);
    if (rest !== '' && !rest.startsWith(' ')) throw new Error(`attributes must be separated by a space in <${node.name}>`);
    rest = rest.trim();
  }
  return node;
}

function isName(name: string): boolean {
  return name !== '' && [...name].every((char) => (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || (char >= '0' && char <= '9') || '-_:'.includes(char));
}

/** Text with its entities decoded; a bare `&` or `<`, or an unknown entity, is an error. */
function decodeText(raw: string): string {
  let text = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '<') throw new Error(`unescaped < in "${raw}"`);
    if (raw[i] !== '&') {
      text += raw[i];
      continue;
    }
    const end = raw.indexOf(';', i);
    const entity = end === -1 ? undefined : ENTITIES[raw.slice(i + 1, end)];
    if (entity === undefined) throw new Error(`unescaped & in "${raw}"`);
    text += entity;
    i = end;
  }
  return text;
}

function descendants(node: XmlNode): XmlNode[] {
  return node.children.flatMap((childNode) => [childNode, ...descendants(childNode)]);
}

function child(node: XmlNode, name: string): XmlNode {
  const found = descendants(node).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no <${name}> in <${node.name}>`);
  return found;
}

/** The one <g> whose attribute `name` is `value`. */
function group(svg: XmlNode, name: string, value: string): XmlNode {
  const found = descendants(svg).filter((node) => node.name === 'g' && node.attributes[name] === value);
  if (found.length !== 1) throw new Error(`${found.length} groups with ${name}="${value}"`);
  return found[0]!;
}

/** The text lines an element shows, top to bottom; wrapped lines join back with a space. */
function linesOf(node: XmlNode): string[] {
  return descendants(node)
    .filter((candidate) => candidate.name === 'text')
    .map((text) => text.text);
}

test('the diagram shows entry conditions, event exits, counted milestones, escalation levels and overdue tasks', () => {
  const map = loadMapFile(path.join(__dirname, '..', 'fixtures', 'maps', 'rules.yaml'));

  const mermaid = renderMermaid(map);
  expect(mermaid).toContain('Expansion · owner: accountManager · only if plan enterprise');
  expect(mermaid).toContain('event plan.upgraded (plan = enterprise)');
  expect(mermaid).toContain('event: user.login ×3 within 7 days');
  expect(mermaid).toContain('notify manager');
  expect(mermaid).toContain('after 3 days: mark at risk');
  expect(mermaid).toContain('task: Review the plan, due in 3 days; overdue after 2 days: notify manager');
  const svg = renderSvg(map);
  expect(svg).toContain('only if plan enterprise');
  expect(svg).toContain('→ still missed after 3 days');
});
