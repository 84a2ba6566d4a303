// The map as Mermaid flowchart text, for docs and pull requests.
import type { JourneyMap, Milestone, Stage, Touchpoint } from '../schema';
import { byTiming, CHURNED_LABEL, entryInWords, exitRuleInWords, levelInWords, milestoneLines, nextTermInWords, plainText, scheduledTouchpointLines, touchpointLines } from './words';

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
