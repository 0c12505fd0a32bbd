/**
 * The little Markdown the knowledge base's articles and a model's answers use — paragraphs,
 * bullet and numbered lists, tables, **bold**, *italic*, `code` and https links — rendered as
 * Preact elements. Never as HTML: the text is data (a model's words, retrieved passages), so
 * nothing in it can become markup or script; anything else shows as the text it is.
 */

import type { ComponentChildren, JSX } from "preact";

/** Turns spans of a line into elements; `extra` handles what a caller adds (e.g. citations). */
export type InlineHook = (text: string, key: string) => ComponentChildren;

const INLINE = /(\*\*[^*\n]+\*\*|\*[^*\s][^*\n]*\*|`[^`\n]+`|\[[^\]\n]+\]\(https:\/\/[^)\s]+\))/g;

export function inline(text: string, hook: InlineHook = (t) => t, prefix = "i"): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(INLINE)) {
    const at = match.index ?? 0;
    if (at > last) out.push(hook(text.slice(last, at), `${prefix}-${n++}`));
    const token = match[0];
    const key = `${prefix}-${n++}`;
    if (token.startsWith("**")) out.push(<strong key={key}>{hook(token.slice(2, -2), `${key}b`)}</strong>);
    else if (token.startsWith("`")) out.push(<code key={key}>{token.slice(1, -1)}</code>);
    else if (token.startsWith("[")) {
      const split = token.indexOf("](");
      out.push(
        <a key={key} href={token.slice(split + 2, -1)} rel="noopener noreferrer" target="_blank">
          {token.slice(1, split)}
        </a>,
      );
    } else out.push(<em key={key}>{hook(token.slice(1, -1), `${key}e`)}</em>);
    last = at + token.length;
  }
  if (last < text.length) out.push(hook(text.slice(last), `${prefix}-${n}`));
  return out;
}

const BULLET = /^\s*[-*]\s+/;
const NUMBERED = /^\s*\d+[.)]\s+/;
const ROW = /^\s*\|.*\|\s*$/;
const RULE = /^\s*\|?\s*:?-{3,}/;

/** Blocks of Markdown: paragraphs, lists and tables, each line's spans through `inline`. */
export function Markdown({ text, hook }: { text: string; hook?: InlineHook }): JSX.Element {
  const blocks: JSX.Element[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  const take = (test: RegExp) => {
    const taken: string[] = [];
    while (i < lines.length && test.test(lines[i]!)) taken.push(lines[i++]!);
    return taken;
  };
  while (i < lines.length) {
    const line = lines[i]!;
    const key = `b${blocks.length}`;
    if (!line.trim()) {
      i++;
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const numbered = NUMBERED.test(line);
      const items = take(numbered ? NUMBERED : BULLET).map((l, n) => (
        <li key={n}>{inline(l.replace(numbered ? NUMBERED : BULLET, ""), hook, `${key}-${n}`)}</li>
      ));
      blocks.push(numbered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>);
    } else if (ROW.test(line)) {
      const rows = take(ROW)
        .filter((l) => !RULE.test(l))
        .map((l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
      const [head, ...body] = rows;
      blocks.push(
        <div key={key} class="table-scroll">
          <table>
            <thead>
              <tr>
                {head!.map((c, n) => (
                  <th key={n} scope="col">
                    {inline(c, hook, `${key}-h${n}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((row, r) => (
                <tr key={r}>
                  {row.map((c, n) => (
                    <td key={n}>{inline(c, hook, `${key}-${r}-${n}`)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>,
      );
    } else {
      const paragraph: string[] = [];
      while (
        i < lines.length &&
        lines[i]!.trim() &&
        !BULLET.test(lines[i]!) &&
        !NUMBERED.test(lines[i]!) &&
        !ROW.test(lines[i]!)
      ) {
        paragraph.push(lines[i++]!.trim());
      }
      blocks.push(<p key={key}>{inline(paragraph.join(" "), hook, key)}</p>);
    }
  }
  return <>{blocks}</>;
}
