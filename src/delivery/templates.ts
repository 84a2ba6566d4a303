import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import MarkdownIt from 'markdown-it';
import { parse } from 'yaml';
import { z } from 'zod';

const templateFileSchema = z.strictObject({
  subject: z.string().min(1),
  text: z.string().min(1),
  html: z.string().min(1).optional(),
});

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Every variable path a template uses ({{customer.plan}}, {{#if owner.name}}), from Handlebars' own parse. */
function variablePaths(source: string): string[] {
  const paths = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; original?: string; data?: boolean; params?: unknown[] };
    if (n.type === 'PathExpression' && !n.data && n.original && n.original !== 'this') paths.add(n.original);
    // The path of a block ({{#if}}) or of a call with arguments names a helper, not a variable.
    const helperCall = n.type === 'BlockStatement' || n.type === 'SubExpression' || (n.params?.length ?? 0) > 0;
    for (const [key, value] of Object.entries(node)) if (key !== 'loc' && !(helperCall && key === 'path')) visit(value);
  };
  visit(Handlebars.parse(source));
  return [...paths];
}

type Compiled = {
  subject: HandlebarsTemplateDelegate;
  text: HandlebarsTemplateDelegate;
  html?: HandlebarsTemplateDelegate;
  variables: string[];
};

/**
 * Plain text as HTML: special characters escaped, blank lines as paragraphs, line breaks kept, URLs as links,
 * and nothing else. The text holds customer data (a company's name), so no Markdown is read in it: a name
 * like `[Verify your account](http://phish.example) ![](http://tracker.example/p.gif)` stays text, never a
 * disguised link or a tracking image (the 'zero' preset has no rules but paragraphs and text).
 */
const textAsHtml = new MarkdownIt('zero', { html: false, linkify: true, breaks: true }).enable(['linkify', 'newline']);

/**
 * Email templates, one YAML file per template (`welcome.yaml` with subject, text and optional html),
 * rendered with Handlebars in strict mode: a variable that does not exist is an error, never a blank.
 */
export class EmailTemplates {
  private constructor(private readonly templates: Map<string, Compiled>) {}

  static load(dir: string): EmailTemplates {
    const templates = new Map<string, Compiled>();
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()) {
      const where = path.join(dir, file);
      const parsed = templateFileSchema.safeParse(parse(readFileSync(where, 'utf8')));
      if (!parsed.success) {
        const problem = parsed.error.issues[0]!;
        throw new Error(`${where}: ${problem.path.join('.') || '(file)'}: ${problem.message}`);
      }
      const { subject, text, html } = parsed.data;
      templates.set(file.replace(/\.yaml$/, ''), {
        variables: [...new Set([subject, text, html ?? ''].flatMap(variablePaths))],
        subject: Handlebars.compile(subject, { strict: true, noEscape: true }),
        text: Handlebars.compile(text, { strict: true, noEscape: true }),
        ...(html ? { html: Handlebars.compile(html, { strict: true }) } : {}),
      });
    }
    return new EmailTemplates(templates);
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** The variable paths a template uses, for checking maps before anything is sent. */
  variablesOf(name: string): string[] {
    return this.templates.get(name)?.variables ?? [];
  }

  names(): string[] {
    return [...this.templates.keys()];
  }

  render(name: string, variables: object): RenderedEmail {
    const template = this.templates.get(name);
    if (!template) throw new Error(`no email template "${name}" (have: ${this.names().join(', ')})`);
    try {
      const text = template.text(variables);
      // Every email has an HTML part; a template without its own gets its text, paragraphs and links kept.
      return { subject: template.subject(variables).trim(), text, html: template.html ? template.html(variables) : textAsHtml.render(text) };
    } catch (err) {
      throw new Error(`email template "${name}": ${(err as Error).message}`);
    }
  }
}
