/**
 * CSS colours to `#rrggbb`, the form ChatKit's `theme.color.accent.primary`
 * takes. Pure (no DOM), so every syntax is unit-tested here; theme.ts reads the
 * page's computed styles and hands their text to {@link toHex}.
 *
 * Accepts what browsers report in computed styles (`rgb(249, 115, 22)`,
 * `rgba(…)`, `color(srgb 0.9 0.4 0.1)` from `color-mix()`, `oklch(0.7 0.19 47)`
 * and `oklab(…)`/`lab(…)`/`lch(…)` as Chromium serialises colours outside the
 * legacy syntax) and what authors write: hex (3, 4, 6, 8 digits), the 148 named
 * colours, `rgb()`/`rgba()` with commas or spaces, numbers or percentages and an
 * optional `/ alpha`, `hsl()`/`hsla()` (deg, rad, grad, turn), `hwb()`, `lab()`,
 * `lch()`, `oklab()`, `oklch()` and `color()` in srgb, srgb-linear, display-p3,
 * a98-rgb, prophoto-rgb, rec2020, xyz, xyz-d50 and xyz-d65, `none` read as 0.
 * Colours outside sRGB are clipped to it. Alpha is dropped, except that a fully
 * transparent colour is no colour (null). What needs the cascade
 * (`currentcolor`, `var()`, `color-mix()` as written, relative colours,
 * `calc()`, system colours) gives null: read such values through the browser's
 * computed style instead, which resolves them.
 */

type Vec = [number, number, number];

// prettier-ignore
const NAMED =
  "aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff beige f5f5dc " +
  "bisque ffe4c4 black 000000 blanchedalmond ffebcd blue 0000ff blueviolet 8a2be2 brown a52a2a " +
  "burlywood deb887 cadetblue 5f9ea0 chartreuse 7fff00 chocolate d2691e coral ff7f50 cornflowerblue 6495ed " +
  "cornsilk fff8dc crimson dc143c cyan 00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b " +
  "darkgray a9a9a9 darkgreen 006400 darkgrey a9a9a9 darkkhaki bdb76b darkmagenta 8b008b " +
  "darkolivegreen 556b2f darkorange ff8c00 darkorchid 9932cc darkred 8b0000 darksalmon e9967a " +
  "darkseagreen 8fbc8f darkslateblue 483d8b darkslategray 2f4f4f darkslategrey 2f4f4f darkturquoise 00ced1 " +
  "darkviolet 9400d3 deeppink ff1493 deepskyblue 00bfff dimgray 696969 dimgrey 696969 dodgerblue 1e90ff " +
  "firebrick b22222 floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc ghostwhite f8f8ff " +
  "gold ffd700 goldenrod daa520 gray 808080 green 008000 greenyellow adff2f grey 808080 honeydew f0fff0 " +
  "hotpink ff69b4 indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa " +
  "lavenderblush fff0f5 lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080 " +
  "lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90 lightgrey d3d3d3 " +
  "lightpink ffb6c1 lightsalmon ffa07a lightseagreen 20b2aa lightskyblue 87cefa lightslategray 778899 " +
  "lightslategrey 778899 lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 " +
  "magenta ff00ff maroon 800000 mediumaquamarine 66cdaa mediumblue 0000cd mediumorchid ba55d3 " +
  "mediumpurple 9370db mediumseagreen 3cb371 mediumslateblue 7b68ee mediumspringgreen 00fa9a " +
  "mediumturquoise 48d1cc mediumvioletred c71585 midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 " +
  "moccasin ffe4b5 navajowhite ffdead navy 000080 oldlace fdf5e6 olive 808000 olivedrab 6b8e23 " +
  "orange ffa500 orangered ff4500 orchid da70d6 palegoldenrod eee8aa palegreen 98fb98 paleturquoise afeeee " +
  "palevioletred db7093 papayawhip ffefd5 peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd " +
  "powderblue b0e0e6 purple 800080 rebeccapurple 663399 red ff0000 rosybrown bc8f8f royalblue 4169e1 " +
  "saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee sienna a0522d " +
  "silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090 snow fffafa " +
  "springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080 thistle d8bfd8 tomato ff6347 turquoise 40e0d0 " +
  "violet ee82ee wheat f5deb3 white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32";

let namedTable: Map<string, string> | null = null;

function named(name: string): string | undefined {
  if (!namedTable) {
    namedTable = new Map();
    const words = NAMED.split(" ");
    for (let i = 0; i < words.length; i += 2) namedTable.set(words[i], words[i + 1]);
  }
  return namedTable.get(name);
}

const mul = (m: readonly number[], v: Vec): Vec => [
  m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
  m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
  m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
];

// Matrices and transfer functions of CSS Color 4 (§ 18, "Sample code for color conversions"),
// rounded to 10 significant digits (far below what 8-bit output can show).
// prettier-ignore
const XYZ_TO_LIN_SRGB = [
  3.240969942, -1.537383178, -0.4986107603,
  -0.9692436363, 1.875967502, 0.04155505741,
  0.0556300797, -0.2039769589, 1.056971514,
];
// prettier-ignore
const D50_TO_D65 = [
  0.9554734215, -0.02309845495, 0.0632592432,
  -0.02836970933, 1.009995398, 0.02104144119,
  0.01231401486, -0.0205076493, 1.330365926,
];
// prettier-ignore
const LIN_P3_TO_XYZ = [
  0.4865709486, 0.2656676932, 0.1982172852,
  0.2289745641, 0.6917385218, 0.07928691409,
  0, 0.04511338186, 1.043944369,
];
// prettier-ignore
const LIN_A98_TO_XYZ = [
  0.5766690429, 0.1855582379, 0.1882286462,
  0.2973449753, 0.6273635663, 0.07529145849,
  0.02703136139, 0.07068885254, 0.9913375368,
];
// prettier-ignore
const LIN_PROPHOTO_TO_XYZ_D50 = [
  0.7977666449, 0.1351812974, 0.03134773413,
  0.2880748288, 0.7118352342, 8.993693873e-05,
  0, 0, 0.8251046025,
];
// prettier-ignore
const LIN_2020_TO_XYZ = [
  0.6369580483, 0.1446169036, 0.1688809752,
  0.262700212, 0.6779980715, 0.05930171647,
  0, 0.02807269305, 1.060985058,
];
/** The D50 white point (for Lab and LCH). */
const D50: Vec = [0.3457 / 0.3585, 1, (1 - 0.3457 - 0.3585) / 0.3585];

const signed = (v: number, f: (a: number) => number): number => Math.sign(v) * f(Math.abs(v));
const srgbToLinear = (v: number): number => signed(v, (a) => (a <= 0.04045 ? a / 12.92 : ((a + 0.055) / 1.055) ** 2.4));
const linearToSrgb = (v: number): number =>
  signed(v, (a) => (a <= 0.0031308 ? a * 12.92 : 1.055 * a ** (1 / 2.4) - 0.055));

function labToXyzD50([l, a, b]: Vec): Vec {
  const k = 24389 / 27;
  const e = 216 / 24389;
  const f1 = (l + 16) / 116;
  const f0 = a / 500 + f1;
  const f2 = f1 - b / 200;
  const x = f0 ** 3 > e ? f0 ** 3 : (116 * f0 - 16) / k;
  const y = l > k * e ? f1 ** 3 : l / k;
  const z = f2 ** 3 > e ? f2 ** 3 : (116 * f2 - 16) / k;
  return [x * D50[0], y * D50[1], z * D50[2]];
}

function oklabToLinearSrgb([l, a, b]: Vec): Vec {
  const lc = (l + 0.3963377773761749 * a + 0.2158037573099136 * b) ** 3;
  const mc = (l - 0.1055613458156586 * a - 0.0638541728258133 * b) ** 3;
  const sc = (l - 0.0894841775298119 * a - 1.2914855480194092 * b) ** 3;
  return [
    4.0767416621 * lc - 3.3077115913 * mc + 0.2309699292 * sc,
    -1.2684380046 * lc + 2.6097574011 * mc - 0.3413193965 * sc,
    -0.0041960863 * lc - 0.7034186147 * mc + 1.707614701 * sc,
  ];
}

const polar = (l: number, c: number, h: number): Vec => [
  l,
  c * Math.cos((h * Math.PI) / 180),
  c * Math.sin((h * Math.PI) / 180),
];

/** Gamma-encoded sRGB (0..1, may be out of range) for a `color()` space and its components. */
function fromColorSpace(space: string, c: Vec): Vec | null {
  const fromLinear = (lin: Vec): Vec => lin.map(linearToSrgb) as Vec;
  const fromXyz = (xyz: Vec): Vec => fromLinear(mul(XYZ_TO_LIN_SRGB, xyz));
  switch (space) {
    case "srgb":
      return c;
    case "srgb-linear":
      return fromLinear(c);
    case "display-p3":
      return fromXyz(mul(LIN_P3_TO_XYZ, c.map(srgbToLinear) as Vec));
    case "a98-rgb":
      return fromXyz(mul(LIN_A98_TO_XYZ, c.map((v) => signed(v, (a) => a ** (563 / 256))) as Vec));
    case "prophoto-rgb": {
      const lin = c.map((v) => signed(v, (a) => (a <= 16 / 512 ? a / 16 : a ** 1.8))) as Vec;
      return fromXyz(mul(D50_TO_D65, mul(LIN_PROPHOTO_TO_XYZ_D50, lin)));
    }
    case "rec2020": {
      const alpha = 1.09929682680944;
      const beta = 0.018053968510807;
      const lin = c.map((v) => signed(v, (a) => (a < beta * 4.5 ? a / 4.5 : ((a + alpha - 1) / alpha) ** (1 / 0.45)))) as Vec;
      return fromXyz(mul(LIN_2020_TO_XYZ, lin));
    }
    case "xyz":
    case "xyz-d65":
      return fromXyz(c);
    case "xyz-d50":
      return fromXyz(mul(D50_TO_D65, c));
    default:
      return null;
  }
}

/**
 * One component: a number, a percentage (`percent` is what 100% stands for), an
 * angle in degrees (when `angle`), or `none` (0). NaN when it is none of these.
 */
function component(token: string, percent: number, angle = false): number {
  if (token === "none") return 0;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(%|deg|rad|grad|turn)?$/.exec(token);
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2];
  if (unit === "%") return (n / 100) * percent;
  if (!unit) return n;
  if (!angle) return NaN;
  return unit === "deg" ? n : unit === "rad" ? (n * 180) / Math.PI : unit === "grad" ? n * 0.9 : n * 360;
}

function hslToSrgb(hue: number, s: number, l: number): Vec {
  const h = ((hue % 360) + 360) % 360;
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

/** sRGB (0..1, possibly out of gamut) for a function's name and tokens, or null. */
function fromFunction(name: string, tokens: string[]): Vec | null {
  if (name === "color") {
    const space = tokens.shift() ?? "";
    const c = tokens.slice(0, 3).map((t) => component(t, 1)) as Vec;
    return tokens.length === 3 ? fromColorSpace(space, c) : null;
  }
  if (tokens.length !== 3) return null;
  const [t0, t1, t2] = tokens;
  switch (name) {
    case "rgb":
    case "rgba":
      return [component(t0, 255) / 255, component(t1, 255) / 255, component(t2, 255) / 255];
    case "hsl":
    case "hsla":
      return hslToSrgb(component(t0, NaN, true), component(t1, 100) / 100, component(t2, 100) / 100);
    case "hwb": {
      const w = component(t1, 100) / 100;
      const b = component(t2, 100) / 100;
      if (w + b >= 1) return [w / (w + b), w / (w + b), w / (w + b)];
      return hslToSrgb(component(t0, NaN, true), 1, 0.5).map((v) => v * (1 - w - b) + w) as Vec;
    }
    case "lab":
      return fromColorSpace("xyz-d50", labToXyzD50([component(t0, 100), component(t1, 125), component(t2, 125)]));
    case "lch":
      return fromColorSpace("xyz-d50", labToXyzD50(polar(component(t0, 100), component(t1, 150), component(t2, NaN, true))));
    case "oklab":
      return oklabToLinearSrgb([component(t0, 1), component(t1, 0.4), component(t2, 0.4)]).map(linearToSrgb) as Vec;
    case "oklch":
      return oklabToLinearSrgb(polar(component(t0, 1), component(t1, 0.4), component(t2, NaN, true))).map(
        linearToSrgb,
      ) as Vec;
    default:
      return null;
  }
}

function hexOf(rgb: Vec): string {
  return (
    "#" +
    rgb
      .map((v) =>
        Math.round(Math.min(1, Math.max(0, v)) * 255)
          .toString(16)
          .padStart(2, "0"),
      )
      .join("")
  );
}

/** `#rrggbb` (lowercase) for a CSS colour, or null when it is not one this function can resolve. */
export function toHex(css: string): string | null {
  const text = css.trim().toLowerCase();
  const word = named(text);
  if (word) return "#" + word;
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text);
  if (hex) {
    const digits = hex[1].length <= 4 ? hex[1].replace(/./g, "$&$&") : hex[1];
    return digits.length === 8 && digits.endsWith("00") ? null : "#" + digits.slice(0, 6);
  }
  const fn = /^([a-z]+)\(([^()]*)\)$/.exec(text);
  if (!fn) return null;
  // Commas (legacy syntax), spaces and the slash before alpha all separate tokens.
  const tokens = fn[2].split(/[\s,/]+/).filter(Boolean);
  const alphaAt = fn[1] === "color" ? 4 : 3;
  if (tokens.length === alphaAt + 1) {
    const alpha = component(tokens.pop() as string, 1);
    if (Number.isNaN(alpha)) return null;
    if (alpha <= 0) return null;
  }
  const rgb = fromFunction(fn[1], tokens);
  return rgb && rgb.every(Number.isFinite) ? hexOf(rgb) : null;
}
