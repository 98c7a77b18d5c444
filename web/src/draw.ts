/**
 * @module
 * Draws one moment of a tank on a canvas over its scenery: branching plants with their nectar,
 * food, the crab, and fish coloured, sized and patterned by their genome, each facing and tilting
 * where it swims with a beating tail, then the night's tint. Positions come already interpolated
 * from `viewer.ts`; nothing here keeps state.
 */
import type { CrabState, FishState, FoodState, PlantState } from '../../src/tank/wire/index.ts';
import { daylight, drawBubbles, drawLightShafts, drawNightTint, drawSand, drawWater } from './scenery.ts';

export interface Scene {
  dayPhase: number;
  fish: FishState[];
  food: FoodState[];
  plants: PlantState[];
  crab: CrabState;
  selected: number | null;
  /** The page's clock in ms, for the sway of plants and the beat of tails. */
  time: number;
}

/** Colours of the sim's food types (0 algae … 6 nectar). */
const FOOD_COLOURS = ['#7ddc6a', '#c9a26b', '#e9d27a', '#f29a6b', '#d86bd0', '#8fd3ff', '#ffd84d'];
/** The sim's plant height at size 1 (`PLANT_HEIGHT`): its nectar grows at the top. */
const PLANT_HEIGHT = 65;

/** A branching plant, like the sim's fractal ones, swaying a little with the clock. */
function drawBranch(
  g: CanvasRenderingContext2D,
  x: number,
  y: number,
  length: number,
  angle: number,
  depth: number,
  sway: number,
): void {
  const tipX = x + Math.sin(angle + sway) * length;
  const tipY = y - Math.cos(angle + sway) * length;
  g.lineWidth = Math.max(1, depth * 1.4);
  g.beginPath();
  g.moveTo(x, y);
  g.quadraticCurveTo(x + Math.sin(angle) * length * 0.5, y - Math.cos(angle) * length * 0.5, tipX, tipY);
  g.stroke();
  if (depth <= 1) {
    g.beginPath();
    g.ellipse(tipX, tipY, 4, 2, angle + sway - 0.6, 0, Math.PI * 2);
    g.fill();
    return;
  }
  drawBranch(g, tipX, tipY, length * 0.72, angle - 0.45, depth - 1, sway * 1.2);
  drawBranch(g, tipX, tipY, length * 0.78, angle + 0.35, depth - 1, sway * 1.2);
}

function drawPlant(g: CanvasRenderingContext2D, p: PlantState, time: number): void {
  const height = PLANT_HEIGHT * p.size * 1.6;
  const sway = 0.06 * Math.sin(time / 1400 + p.id);
  g.strokeStyle = `hsl(${130 + (p.id % 5) * 6}, 50%, 38%)`;
  g.fillStyle = `hsl(${120 + (p.id % 5) * 6}, 55%, 45%)`;
  drawBranch(g, p.x, p.y, height * 0.42, 0, 4, sway);
  if (p.nectar) {
    const glow = g.createRadialGradient(
      p.x,
      p.y - PLANT_HEIGHT * p.size,
      0,
      p.x,
      p.y - PLANT_HEIGHT * p.size,
      10,
    );
    glow.addColorStop(0, 'rgba(255, 222, 90, 0.95)');
    glow.addColorStop(1, 'rgba(255, 222, 90, 0)');
    g.fillStyle = glow;
    g.beginPath();
    g.arc(p.x, p.y - PLANT_HEIGHT * p.size, 10, 0, Math.PI * 2);
    g.fill();
  }
}

function drawFood(g: CanvasRenderingContext2D, f: FoodState): void {
  const r = 2 + 3 * f.remaining;
  g.fillStyle = FOOD_COLOURS[f.type] ?? '#ffffff';
  g.beginPath();
  g.arc(f.x, f.y, r, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = 'rgba(255, 255, 255, 0.5)';
  g.beginPath();
  g.arc(f.x - r * 0.35, f.y - r * 0.35, r * 0.35, 0, Math.PI * 2);
  g.fill();
}

function drawCrab(g: CanvasRenderingContext2D, c: CrabState, time: number): void {
  const step = Math.sin(time / 120) * 2;
  g.strokeStyle = '#b93a2a';
  g.lineWidth = 2;
  for (const side of [-1, 1])
    for (const k of [0, 1, 2]) {
      g.beginPath();
      g.moveTo(c.x + side * (6 + k * 4), c.y + 2);
      g.lineTo(c.x + side * (16 + k * 4), c.y + 6 + (k % 2 ? step : -step));
      g.lineTo(c.x + side * (19 + k * 4), c.y + 12);
      g.stroke();
    }
  for (const side of [-1, 1]) {
    g.beginPath();
    g.moveTo(c.x + side * 12, c.y - 4);
    g.lineTo(c.x + side * 22, c.y - 14);
    g.stroke();
    g.fillStyle = '#e0533d';
    g.beginPath();
    g.ellipse(c.x + side * 24, c.y - 17, 6, 4, side * 0.5, 0, Math.PI * 2);
    g.fill();
  }
  const shell = g.createRadialGradient(c.x - 4, c.y - 5, 2, c.x, c.y, 18);
  shell.addColorStop(0, '#ff8a6a');
  shell.addColorStop(1, '#c8412d');
  g.fillStyle = shell;
  g.beginPath();
  g.ellipse(c.x, c.y, 17, 10, 0, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#1a0a06';
  for (const side of [-1, 1]) {
    g.beginPath();
    g.arc(c.x + side * 5, c.y - 10, 2, 0, Math.PI * 2);
    g.fill();
  }
}

function drawPattern(g: CanvasRenderingContext2D, pattern: number, length: number, height: number): void {
  if (pattern === 1)
    for (const x of [-0.22, 0.02, 0.24]) g.fillRect(x * length, -height * 0.45, length * 0.07, height * 0.9);
  if (pattern === 2)
    for (const [x, y] of [
      [-0.2, -0.1],
      [0.05, 0.15],
      [0.15, -0.15],
      [-0.05, -0.02],
    ]) {
      g.beginPath();
      g.arc(x! * length, y! * height, length * 0.055, 0, Math.PI * 2);
      g.fill();
    }
  if (pattern === 3) g.fillRect(-length * 0.45, -height * 0.07, length * 0.85, height * 0.14);
}

function drawFish(g: CanvasRenderingContext2D, f: FishState, selected: boolean, time: number): void {
  const length = 10 + f.size * 26; // size 0.35–1.3
  const height = length * 0.55;
  const facing = f.vx < 0 ? -1 : 1;
  const hue = Math.round(f.hue * 360);
  const speed = Math.min(3, Math.hypot(f.vx, f.vy));
  const wag = Math.sin(time / (90 - 15 * speed) + f.id) * (0.12 + 0.06 * speed);
  g.save();
  g.translate(f.x, f.y);
  g.scale(facing, 1);
  g.rotate(Math.max(-0.5, Math.min(0.5, Math.atan2(f.vy, Math.abs(f.vx) + 0.01))));
  if (selected) {
    g.shadowColor = '#ffffff';
    g.shadowBlur = 14;
  }
  const light = 32 + 26 * f.energy;
  // Tail: swings about the body's back end.
  g.save();
  g.translate(-length * 0.45, 0);
  g.rotate(wag);
  g.fillStyle = `hsl(${hue}, 70%, ${light - 8}%)`;
  g.beginPath();
  g.moveTo(0, 0);
  g.lineTo(-length * 0.42, -height * 0.6);
  g.quadraticCurveTo(-length * 0.3, 0, -length * 0.42, height * 0.6);
  g.closePath();
  g.fill();
  g.restore();
  const body = g.createLinearGradient(0, -height * 0.5, 0, height * 0.5);
  body.addColorStop(0, `hsl(${hue}, 80%, ${light + 12}%)`);
  body.addColorStop(1, `hsl(${hue}, 70%, ${light - 10}%)`);
  g.fillStyle = body;
  g.beginPath();
  g.ellipse(0, 0, length * 0.55, height * 0.5, 0, 0, Math.PI * 2);
  g.fill();
  g.shadowBlur = 0;
  g.fillStyle = `hsla(${(hue + 180) % 360}, 70%, 88%, 0.75)`;
  drawPattern(g, f.pattern, length, height);
  g.fillStyle = `hsla(${hue}, 70%, ${light - 12}%, 0.9)`;
  g.beginPath();
  g.moveTo(-length * 0.1, -height * 0.45);
  g.quadraticCurveTo(length * 0.05, -height * 0.95, length * 0.2, -height * 0.42);
  g.fill();
  g.fillStyle = '#ffffff';
  g.beginPath();
  g.arc(length * 0.3, -height * 0.1, Math.max(1.8, length * 0.075), 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#06121d';
  g.beginPath();
  g.arc(length * 0.32, -height * 0.1, Math.max(1, length * 0.04), 0, Math.PI * 2);
  g.fill();
  g.restore();
  if (f.pokerEffect !== 0) {
    g.fillStyle = f.pokerEffect === 1 ? '#3ccf91' : f.pokerEffect === 2 ? '#ef5b5b' : '#dbe9f7';
    g.font = 'bold 11px system-ui';
    g.fillText(`♠ ${f.pokerEffect === 2 ? '−' : '+'}${Math.abs(f.pokerAmount)}`, f.x + 8, f.y - 12);
  }
  if (selected) {
    g.strokeStyle = 'rgba(255, 255, 255, 0.85)';
    g.lineWidth = 1.5;
    g.setLineDash([4, 3]);
    g.beginPath();
    g.arc(f.x, f.y, length * 0.85, 0, Math.PI * 2);
    g.stroke();
    g.setLineDash([]);
  }
}

export function drawScene(g: CanvasRenderingContext2D, scene: Scene): void {
  const { width: w, height: h } = g.canvas;
  const light = daylight(scene.dayPhase);
  drawWater(g, w, h, light);
  drawLightShafts(g, w, h, light);
  drawSand(g, w, h, light);
  for (const p of scene.plants) drawPlant(g, p, scene.time);
  drawBubbles(g, w, h, scene.time);
  for (const f of scene.food) drawFood(g, f);
  drawCrab(g, scene.crab, scene.time);
  for (const f of scene.fish) drawFish(g, f, f.id === scene.selected, scene.time);
  drawNightTint(g, w, h, light);
}
