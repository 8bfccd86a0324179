/**
 * ObsCore `s_region` (STC-S, or a DALI polygon/circle as bare numbers) into
 * shapes the sky view draws.
 *
 * The same grammar as the server's `esap.data.sky` (Polygon, Circle, Box and
 * Union, with an optional ICRS-like frame, reference position and flavour),
 * where its cases are unit-tested. Aladin Lite's own `A.footprintsFromSTCS`
 * draws straight away but knows no Box and reports nothing on bad input, so
 * the sky view could not count what it could not draw.
 */

export type SkyShape =
  | { kind: 'circle'; ra: number; dec: number; radius: number }
  | { kind: 'polygon'; vertices: [number, number][] };

const FRAMES = new Set(['ICRS', 'FK5', 'J2000', 'UNKNOWNFRAME']);
const QUALIFIERS = new Set([
  'BARYCENTER',
  'GEOCENTER',
  'TOPOCENTER',
  'HELIOCENTER',
  'UNKNOWNREFPOS',
  'SPHERICAL2'
]);

class SRegionError extends Error {}

function wrapRa(ra: number): number {
  return ((ra % 360) + 360) % 360;
}

function num(tokens: string[], at: number): number {
  const value = Number(tokens[at]);
  if (at >= tokens.length || !Number.isFinite(value)) {
    throw new SRegionError(`expected a number at "${tokens[at] ?? ''}"`);
  }
  return value;
}

function checkDec(dec: number): void {
  if (dec < -90 || dec > 90) {
    throw new SRegionError(`declination ${dec} is off the sphere`);
  }
}

function shape(tokens: string[], start: number): [SkyShape[], number] {
  const name = (tokens[start] ?? '').toUpperCase();
  let at = start + 1;
  while (
    at < tokens.length &&
    (FRAMES.has(tokens[at].toUpperCase()) ||
      QUALIFIERS.has(tokens[at].toUpperCase()))
  ) {
    at += 1;
  }
  switch (name) {
    case 'CIRCLE': {
      const [ra, dec, radius] = [
        num(tokens, at),
        num(tokens, at + 1),
        num(tokens, at + 2)
      ];
      checkDec(dec);
      if (radius <= 0) {
        throw new SRegionError('circle radius must be > 0');
      }
      return [[{ kind: 'circle', ra: wrapRa(ra), dec, radius }], at + 3];
    }
    case 'BOX': {
      const [ra, dec, w, h] = [0, 1, 2, 3].map(i => num(tokens, at + i));
      checkDec(dec);
      if (w <= 0 || h <= 0) {
        throw new SRegionError('box width and height must be > 0');
      }
      const scale = 1 / Math.max(Math.cos((dec * Math.PI) / 180), 1e-6);
      const vertices = (
        [
          [-1, -1],
          [1, -1],
          [1, 1],
          [-1, 1]
        ] as const
      ).map(([dx, dy]): [number, number] => [
        wrapRa(ra + (dx * w * scale) / 2),
        Math.max(-90, Math.min(90, dec + (dy * h) / 2))
      ]);
      return [[{ kind: 'polygon', vertices }], at + 4];
    }
    case 'POLYGON': {
      const numbers: number[] = [];
      while (at < tokens.length && tokens[at] !== '(' && tokens[at] !== ')') {
        const value = Number(tokens[at]);
        if (tokens[at] === '' || Number.isNaN(value)) {
          break;
        }
        numbers.push(value);
        at += 1;
      }
      if (numbers.length % 2 || numbers.length < 6) {
        throw new SRegionError('a polygon needs at least 3 RA Dec pairs');
      }
      const vertices: [number, number][] = [];
      for (let i = 0; i < numbers.length; i += 2) {
        checkDec(numbers[i + 1]);
        vertices.push([wrapRa(numbers[i]), numbers[i + 1]]);
      }
      return [[{ kind: 'polygon', vertices }], at];
    }
    case 'UNION': {
      if (tokens[at] !== '(') {
        throw new SRegionError('UNION takes its shapes in parentheses');
      }
      at += 1;
      const shapes: SkyShape[] = [];
      while (at < tokens.length && tokens[at] !== ')') {
        const [part, next] = shape(tokens, at);
        shapes.push(...part);
        at = next;
      }
      if (at >= tokens.length || shapes.length === 0) {
        throw new SRegionError('UNION is not closed or is empty');
      }
      return [shapes, at + 1];
    }
    default:
      throw new SRegionError(`shape "${tokens[start] ?? ''}" is not drawn`);
  }
}

/**
 * The shapes of one `s_region` value, or an error message for the view's
 * status line (the footprint is then left out, the row still listed).
 */
export function parseSRegion(
  text: string
): { shapes: SkyShape[] } | { error: string } {
  const tokens = text
    .replace(/\(/g, ' ( ')
    .replace(/\)/g, ' ) ')
    .split(/\s+/)
    .filter(t => t.length > 0);
  try {
    if (tokens.length === 0) {
      throw new SRegionError('empty');
    }
    if (!Number.isNaN(Number(tokens[0]))) {
      // DALI xtype circle (ra dec radius) or polygon (ra dec pairs)
      tokens.unshift(tokens.length === 3 ? 'CIRCLE' : 'POLYGON');
    }
    const [shapes, at] = shape(tokens, 0);
    if (at !== tokens.length) {
      throw new SRegionError(`unexpected "${tokens.slice(at).join(' ')}"`);
    }
    return { shapes };
  } catch (reason) {
    if (reason instanceof SRegionError) {
      return { error: `s_region "${text}": ${reason.message}` };
    }
    throw reason;
  }
}
