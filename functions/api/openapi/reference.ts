/**
 * The rendered API reference (docs/api.md), made from the OpenAPI document so the two cannot drift:
 * `npm run docs:api` writes it, and a test fails when the file is not what this renders.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const cell = (s: unknown): string =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

function typeOf(s: Json | undefined, doc: Json): string {
  if (!s) return '';
  if (s.$ref) return `[${String(s.$ref).split('/').pop()}](#${anchor(`schema-${String(s.$ref).split('/').pop()}`)})`;
  if (s.enum) return s.enum.map((v: unknown) => (v === null ? 'null' : `\`${String(v)}\``)).join(' \\| ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.anyOf || s.oneOf) return [...new Set((s.anyOf ?? s.oneOf).map((x: Json) => typeOf(x, doc)))].join(' \\| ');
  if (s.allOf)
    return s.allOf
      .map((x: Json) => typeOf(x, doc))
      .filter(Boolean)
      .join(' + ');
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  if (s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array')))
    return `${typeOf(s.items, doc) || 'any'}[]`;
  return s.format ? `${t} (${s.format})` : t;
}

function constraints(s: Json): string {
  const out: string[] = [];
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.maxItems !== undefined) out.push(`≤ ${s.maxItems} items`);
  if (s.pattern !== undefined) out.push(`pattern \`${s.pattern}\``);
  const alternatives = ((s.anyOf ?? []) as Json[]).filter((x) => x.pattern !== undefined);
  if (alternatives.length > 0) out.push(`pattern ${alternatives.map((x) => `\`${x.pattern}\``).join(' or ')}`);
  if (s.description) out.push(String(s.description));
  return out.join('; ');
}

function fields(s: Json, doc: Json, prefix = ''): string[] {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set<string>(s.required ?? []);
  const rows: string[] = [];
  for (const [name, p] of Object.entries(props)) {
    rows.push(
      `| \`${prefix}${name}\` | ${typeOf(p, doc)} | ${required.has(name) ? 'yes' : ''} | ${cell(constraints(p))} |`,
    );
    if (p.type === 'object' && p.properties && prefix.split('.').length < 3)
      rows.push(...fields(p, doc, `${prefix}${name}.`));
    if (p.type === 'array' && p.items?.properties && prefix.split('.').length < 3)
      rows.push(...fields(p.items, doc, `${prefix}${name}[].`));
  }
  return rows;
}

const table = (rows: string[]): string[] =>
  rows.length === 0 ? [] : ['| field | type | required | notes |', '|---|---|---|---|', ...rows, ''];
const anchor = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

export function renderApiReference(doc: Json): string {
  const out: string[] = [
    `# ${doc.info.title} API reference`,
    '',
    '<!-- Generated from the OpenAPI document (functions/api/openapi/document.ts) by `npm run docs:api`. ' +
      'Do not edit by hand: a test compares the two. -->',
    '',
    String(doc.info.description),
    '',
    `OpenAPI ${doc.openapi} document: \`GET /api/openapi.json\`. Local server: ${doc.servers.map((s: Json) => `\`${s.url}\``).join(', ')}.`,
    '',
    '## Authentication',
    '',
  ];
  for (const [name, sch] of Object.entries(doc.components.securitySchemes as Record<string, Json>)) {
    const scheme = sch.scheme ? ` ${sch.scheme}` : '';
    const bearerFormat = sch.bearerFormat ? ` (${sch.bearerFormat})` : '';
    const header = sch.in ? `, header \`${sch.name}\`` : '';
    const description = sch.description ? ` — ${sch.description}` : '';
    out.push(`- \`${name}\`: ${sch.type}${scheme}${bearerFormat}${header}${description}`);
  }
  out.push('', '## Endpoints', '');
  const ops: [string, string, Json][] = [];
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>))
    for (const [m, op] of Object.entries(methods)) ops.push([m.toUpperCase(), p, op]);
  out.push('| method | path | summary |', '|---|---|---|');
  for (const [m, p, op] of ops) out.push(`| ${m} | [\`${p}\`](#${anchor(`${m} ${p}`)}) | ${cell(op.summary)} |`);
  out.push('');
  for (const [m, p, op] of ops) out.push(...operation(`${m} ${p}`, op, doc));
  // the tags' words (x-displayName: their heading), then what Verity sends (OpenAPI 3.1 `webhooks`)
  for (const tag of (doc.tags ?? []) as Json[])
    if (tag.description) out.push(`## ${String(tag['x-displayName'] ?? tag.name)}`, '', String(tag.description), '');
  const hooks = Object.entries((doc.webhooks ?? {}) as Record<string, Record<string, Json>>);
  if (hooks.length > 0) out.push('## Webhooks', '', 'What Verity sends (the OpenAPI `webhooks`).', '');
  for (const [name, methods] of hooks)
    for (const [m, op] of Object.entries(methods)) out.push(...operation(`${m.toUpperCase()} ${name}`, op, doc, false));
  out.push('## Schemas', '');
  for (const [name, s] of Object.entries(doc.components.schemas as Record<string, Json>)) {
    out.push(`### Schema ${name}`, '', ...table(fields(s, doc)));
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** One operation (or webhook, `called`: false): its summary, auth, parameters, request body and responses. */
function operation(title: string, op: Json, doc: Json, called = true): string[] {
  const out: string[] = [];
  out.push(`### ${title}`, '', String(op.summary), '');
  if (op.description) out.push(String(op.description), '');
  const sec = op.security as Json[] | undefined;
  if (called)
    out.push(`Auth: ${sec && sec.length > 0 ? sec.map((x) => `\`${Object.keys(x)[0]}\``).join(', ') : 'none'}.`, '');
  const params = (op.parameters ?? []) as Json[];
  if (params.length > 0) {
    out.push('| parameter | in | type | required | notes |', '|---|---|---|---|---|');
    for (const x of params) {
      const notes = cell([constraints(x.schema ?? {}), x.description].filter(Boolean).join('; '));
      out.push(`| \`${x.name}\` | ${x.in} | ${typeOf(x.schema, doc)} | ${x.required ? 'yes' : ''} | ${notes} |`);
    }
    out.push('');
  }
  const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  if (body) {
    out.push(`Request body (JSON${body.additionalProperties === false ? ', no other fields' : ''}):`, '');
    out.push(...table(fields(body, doc)));
    if (Array.isArray(body.anyOf)) out.push('Per job type:', '', ...body.anyOf.map(typeRule), '');
  }
  out.push('Responses:', '');
  for (const [code, r] of Object.entries(op.responses as Record<string, Json>)) {
    const res = r.$ref ? doc.components.responses[String(r.$ref).split('/').pop()!] : r;
    const content = res.content ? Object.entries(res.content as Record<string, Json>)[0] : undefined;
    const shape = content
      ? ` — \`${content[0]}\`${content[1].schema ? ` ${describeShape(content[1].schema, doc)}` : ''}`
      : '';
    const headers = Object.keys((res.headers ?? {}) as Json)
      .map((h) => `\`${h}\``)
      .join(', ');
    const links = Object.keys((r.links ?? {}) as Json);
    const header = headers ? `; header ${headers}` : '';
    const linksTo = links.length > 0 ? `; links to ${links.map((l) => `\`${l}\``).join(', ')}` : '';
    out.push(`- **${code}** ${cell(res.description)}${shape}${header}${linksTo}`);
  }
  out.push('');
  return out;
}

/** One branch of the enqueue body's anyOf: what a request of that type may carry. */
function typeRule(branch: Json): string {
  const p = (branch.properties ?? {}) as Json;
  const pol = (p.policy?.properties ?? {}) as Json;
  const input = p.input?.properties
    ? Object.keys(p.input.properties as Json)
        .map((k) => `\`${k}\``)
        .join(', ')
    : 'any object';
  const timeouts = pol.queueTimeoutSeconds
    ? `timeouts ${pol.queueTimeoutSeconds.minimum}–${pol.queueTimeoutSeconds.maximum} s`
    : '';
  const attempts = pol.maxAttempts ? `maxAttempts ≤ ${pol.maxAttempts.maximum}` : '';
  const outputs = p.outputs === false ? 'no `outputs` (the type derives them)' : 'outputs from the request';
  return `- \`${String(p.type?.const)}\`: input ${input}; ${[timeouts, attempts].filter(Boolean).join(', ')}; ${outputs}`;
}

function describeShape(s: Json, doc: Json): string {
  if (s.$ref) return typeOf(s, doc);
  if (s.type === 'object' && s.properties)
    return `{${Object.entries(s.properties as Record<string, Json>)
      .map(([k, v]) => `${k}: ${typeOf(v, doc)}`)
      .join(', ')}}`;
  return typeOf(s, doc);
}
