import { FieldProblem } from './request-validation';

/** How deep a request body may nest objects and arrays: far above any body the API takes (about 6). */
export const MAX_BODY_DEPTH = 32;

/**
 * What a request body must be before anything reads it, beyond being JSON: nested at most MAX_BODY_DEPTH
 * levels (deeper bodies would overflow the stack of the recursive readers behind, class-transformer and
 * JSON.stringify), strings of well-formed UTF-16 (a lone surrogate cannot be stored as sent, nor hashed, nor
 * compared with a retry), and numbers that JSON.parse holds exactly (`1e-400` would become 0,
 * `9007199254740993` would become 9007199254740992). `text` must be valid JSON; each problem names its field,
 * and the scan stops at the first one too deep, since nothing below it is read.
 */
export function jsonBodyProblems(text: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  /** The open containers, innermost last: an object's current key, or an array's current index. */
  const path: { key: string | number; expectingKey: boolean }[] = [];
  const fieldAt = () =>
    path.reduce<string>((field, { key }) => {
      if (typeof key === 'number') return `${field || 'body'}[${key}]`;
      return field === '' ? key : `${field}.${key}`;
    }, '') || 'body';
  for (let index = 0; index < text.length;) {
    const char = text[index]!;
    const top = path[path.length - 1];
    if (char === '{' || char === '[') {
      if (path.length === MAX_BODY_DEPTH) {
        problems.push({
          field: fieldAt(),
          message: `nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels, the limit of a request body`,
        });
        return problems;
      }
      path.push(char === '{' ? { key: '', expectingKey: true } : { key: 0, expectingKey: false });
      index++;
    } else if (char === '}' || char === ']') {
      path.pop();
      index++;
    } else if (char === ',') {
      if (top && typeof top.key === 'number') top.key++;
      else if (top) top.expectingKey = true;
      index++;
    } else if (char === '"') {
      const end = endOfString(text, index);
      const value = JSON.parse(text.slice(index, end)) as string;
      if (top?.expectingKey) {
        top.key = value;
        top.expectingKey = false;
      }
      if (LONE_SURROGATE.test(value)) {
        problems.push({
          field: fieldAt(),
          message: 'holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff): send well-formed Unicode',
        });
      }
      index = end;
    } else if (char === '-' || (char >= '0' && char <= '9')) {
      NUMBER.lastIndex = index;
      const token = NUMBER.exec(text)![0];
      const problem = numberProblem(token);
      if (problem) problems.push({ field: fieldAt(), message: problem });
      index += token.length;
    } else {
      index++;
    }
  }
  return problems;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The index just after the string literal that starts at `start` (an opening quote). */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
  return index + 1;
}

/** Why a JSON number cannot be taken as sent, or undefined when JSON.parse holds it exactly. */
function numberProblem(token: string): string | undefined {
  const parsed = Number(token);
  if (Math.abs(parsed) > Number.MAX_SAFE_INTEGER) {
    return `${token} is beyond ±${Number.MAX_SAFE_INTEGER}, the largest number this service holds exactly`;
  }
  if (!sameDecimal(token, String(parsed))) {
    return `${token} cannot be held exactly (it would be read as ${parsed}): send an exact decimal of at most 15 significant digits`;
  }
  return undefined;
}

/** Whether two JSON number texts write the same decimal value (`1.50` and `1.5`, `1e3` and `1000`). */
function sameDecimal(left: string, right: string): boolean {
  const a = decimalOf(left);
  const b = decimalOf(right);
  return a !== undefined && b !== undefined && a.digits === b.digits && a.exponent === b.exponent;
}

/** A decimal as `digits` × 10^`exponent`, digits without leading or trailing zeros (zero: '' and 0). */
function decimalOf(text: string): { digits: string; exponent: number } | undefined {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return undefined;
  const fraction = match[3] ?? '';
  let digits = (match[2]! + fraction).replace(/^0+/, '');
  let exponent = Number(match[4] ?? 0) - fraction.length;
  if (digits === '') return { digits: '', exponent: 0 };
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return { digits: `${match[1]}${digits}`, exponent };
}
