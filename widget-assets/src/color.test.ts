import { describe, expect, it } from "vitest";
import { toHex } from "./color";

// Expected values: the sRGB result of an independent CSS colour implementation
// (@csstools/css-color-parser 3, the one jsdom uses), rounded to 8 bits. Most inputs are
// Tailwind's orange-500 (#f97316, the brand orange of fixtures/site-course) written in each
// syntax, as browsers report it or as authors write it.
describe("toHex", () => {
  it.each([
    ["#f97316", "#f97316"],
    ["#F73", "#ff7733"],
    ["#f97316cc", "#f97316"],
    ["#f73c", "#ff7733"],
    ["orange", "#ffa500"],
    ["RebeccaPurple", "#663399"],
    ["  rgb(249, 115, 22)  ", "#f97316"],
    ["rgb(249 115 22)", "#f97316"],
    ["rgb(249 115 22 / 50%)", "#f97316"],
    ["rgba(249,115,22,0.5)", "#f97316"],
    ["rgb(97.6% 45.1% 8.6%)", "#f97316"],
    ["rgb(none 115 22)", "#007316"],
    ["hsl(24.6 95% 53.1%)", "#f97316"],
    ["hsl(24.6, 95%, 53.1%)", "#f97316"],
    ["hsla(0.0683turn 95% 53.1% / 1)", "#f97316"],
    ["hsl(-335.4deg 95% 53.1%)", "#f97316"],
    ["hsl(0.4294rad 95 53.1)", "#f97316"],
    ["hwb(24.6 8.6% 2.4%)", "#f97316"],
    ["hwb(0 60% 60%)", "#808080"],
    ["oklch(0.7049 0.1867 47.6)", "#f97316"],
    ["oklch(70.49% 0.1867 47.6)", "#f97316"],
    ["oklch(0.5 none 120)", "#636363"],
    ["oklab(0.7049 0.1259 0.1379)", "#f97316"],
    ["lab(50% 50% -25%)", "#c53eae"],
    ["color(srgb 0.976 0.451 0.086)", "#f97316"],
    ["color(srgb 0.5 0.25 0.75)", "#8040bf"],
    ["color(srgb-linear 0.94 0.17 0.008)", "#f87316"],
    ["color(display-p3 0.9 0.5 0.2)", "#f5790d"],
    ["color(xyz-d65 0.45 0.31 0.05)", "#fa6b20"],
    ["color(xyz 0.45 0.31 0.05)", "#fa6b20"],
    ["color(xyz-d50 0.47 0.32 0.04)", "#f86e23"],
    ["color(prophoto-rgb 0.75 0.5 0.25)", "#fd803d"],
    ["lab(60 30 40)", "#cd7a4b"],
    ["lch(60 50 53)", "#cd7a4b"],
    ["color(a98-rgb 0.8 0.5 0.3)", "#e38148"],
    ["color(rec2020 0.7 0.5 0.3)", "#d48451"],
  ])("%s → %s", (css, hex) => {
    expect(toHex(css)).toBe(hex);
  });

  it("clips colours outside sRGB to its edge (no gamut mapping)", () => {
    // Display P3's pure red is outside sRGB: red clipped to 255, green and blue to 0 (CSS gamut
    // mapping would give #ff3428; a clipped accent is close enough for ChatKit's palette).
    expect(toHex("color(display-p3 1 0 0)")).toBe("#ff0000");
    expect(toHex("color(srgb 1.2 -0.1 0.5)")).toBe("#ff0080");
  });

  it.each([
    ["transparent"],
    ["rgba(0, 0, 0, 0)"],
    ["rgb(249 115 22 / 0)"],
    ["#f9731600"],
    ["currentcolor"],
    ["var(--ifm-color-primary)"],
    ["color-mix(in srgb, red, blue)"],
    ["rgb(from red r g b)"],
    ["rgb(calc(255) 0 0)"],
    ["color(unknown-space 1 0 0)"],
    ["rgb(1 2)"],
    ["rgb(1 2 3 4 5)"],
    ["hsl(10% 50% 50%)"],
    ["rgb(10deg 0 0)"],
    ["#12345"],
    ["notacolor"],
    [""],
  ])("%s → null", (css) => {
    expect(toHex(css)).toBeNull();
  });
});
