import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
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
  html?: string;
}

type Compiled = { subject: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate; html?: HandlebarsTemplateDelegate };

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

  names(): string[] {
    return [...this.templates.keys()];
  }

  render(name: string, variables: object): RenderedEmail {
    const template = this.templates.get(name);
    if (!template) throw new Error(`no email template "${name}" (have: ${this.names().join(', ')})`);
    try {
      return {
        subject: template.subject(variables).trim(),
        text: template.text(variables),
        ...(template.html ? { html: template.html(variables) } : {}),
      };
    } catch (err) {
      throw new Error(`email template "${name}": ${(err as Error).message}`);
    }
  }
}
