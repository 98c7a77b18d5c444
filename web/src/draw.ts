/**
 * @module
 * Draws one moment of a tank on a canvas: water tinted by the time of day, plants with their
 * nectar, food, the crab, and fish coloured, sized and patterned by their genome, each facing
 * where it swims. Positions come already interpolated from `viewer.ts`; nothing here keeps state.
 */
import type { CrabState, FishState, FoodState, PlantState } from '../../src/tank/wire/index.ts';

export interface Scene {
  dayPhase: number;
  fish: FishState[];
  food: FoodState[];
  plants: PlantState[];
  crab: CrabState;
  selected: number | null;
}

/** Colours of the sim's food types (0 algae … 6 nectar). */
const FOOD_COLOURS = ['#7ddc6a', '#c9a26b', '#e9d27a', '#f29a6b', '#d86bd0', '#8fd3ff', '#ffd84d'];

/** 0 at midnight, 1 at noon. */
function daylight(phase: number): number {
  return 0.5 - 0.5 * Math.cos(phase * 2 * Math.PI);
}

function drawWater(g: CanvasRenderingContext2D, w: number, h: number, light: number): void {
  const top = `hsl(205, 70%, ${12 + 28 * light}%)`;
  const bottom = `hsl(215, 75%, ${6 + 12 * light}%)`;
  const water = g.createLinearGradient(0, 0, 0, h);
  water.addColorStop(0, top);
  water.addColorStop(1, bottom);
  g.fillStyle = water;
  g.fillRect(0, 0, w, h);
  g.fillStyle = `hsl(40, 35%, ${14 + 16 * light}%)`;
  g.fillRect(0, h - 14, w, 14);
}

function drawPlant(g: CanvasRenderingContext2D, p: PlantState, h: number): void {
  const height = 50 + p.size * 150; // size 0.3–1.0
  g.strokeStyle = '#3fae5a';
  g.lineWidth = 2 + 3 * p.size;
  g.beginPath();
  g.moveTo(p.x, h - 12);
  g.bezierCurveTo(p.x - 10, h - height * 0.4, p.x + 10, h - height * 0.7, p.x, h - height);
  g.stroke();
  if (p.nectar) {
    g.fillStyle = '#ffd84d';
    g.beginPath();
    g.arc(p.x, h - height - 4, 4, 0, Math.PI * 2);
    g.fill();
  }
}

function drawFood(g: CanvasRenderingContext2D, f: FoodState): void {
  g.fillStyle = FOOD_COLOURS[f.type] ?? '#ffffff';
  g.beginPath();
  g.arc(f.x, f.y, 2.5 + 2.5 * f.remaining, 0, Math.PI * 2);
  g.fill();
}

function drawCrab(g: CanvasRenderingContext2D, c: CrabState): void {
  g.fillStyle = '#e0533d';
  g.beginPath();
  g.ellipse(c.x, c.y, 16, 9, 0, 0, Math.PI * 2);
  g.fill();
  g.strokeStyle = '#e0533d';
  g.lineWidth = 2;
  for (const side of [-1, 1]) {
    g.beginPath();
    g.moveTo(c.x + side * 12, c.y - 4);
    g.lineTo(c.x + side * 22, c.y - 14);
    g.stroke();
  }
}

function drawFish(g: CanvasRenderingContext2D, f: FishState, selected: boolean): void {
  const length = 6 + f.size * 26; // size 0.35–1.3
  const height = length * 0.55;
  const facing = f.vx < 0 ? -1 : 1;
  const hue = Math.round(f.hue * 360);
  g.save();
  g.translate(f.x, f.y);
  g.scale(facing, 1);
  g.fillStyle = `hsl(${hue}, 75%, ${35 + 25 * f.energy}%)`;
  g.beginPath();
  g.moveTo(-length * 0.5, 0);
  g.lineTo(-length * 0.9, -height * 0.6);
  g.lineTo(-length * 0.9, height * 0.6);
  g.closePath();
  g.fill();
  g.beginPath();
  g.ellipse(0, 0, length * 0.55, height * 0.5, 0, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = `hsla(${(hue + 180) % 360}, 70%, 85%, 0.7)`;
  if (f.pattern === 1)
    for (const x of [-0.2, 0.1]) g.fillRect(x * length, -height * 0.45, length * 0.08, height * 0.9);
  if (f.pattern === 2)
    for (const [x, y] of [
      [-0.15, -0.1],
      [0.1, 0.12],
      [0.2, -0.12],
    ]) {
      g.beginPath();
      g.arc(x! * length, y! * height, length * 0.06, 0, Math.PI * 2);
      g.fill();
    }
  if (f.pattern === 3) g.fillRect(-length * 0.4, -height * 0.06, length * 0.8, height * 0.12);
  g.fillStyle = '#06121d';
  g.beginPath();
  g.arc(length * 0.3, -height * 0.1, Math.max(1.2, length * 0.05), 0, Math.PI * 2);
  g.fill();
  g.restore();
  if (f.pokerEffect !== 0) {
    g.fillStyle = f.pokerEffect === 1 ? '#3ccf91' : f.pokerEffect === 2 ? '#ef5b5b' : '#dbe9f7';
    g.font = '11px system-ui';
    g.fillText(`♠ ${f.pokerEffect === 2 ? '−' : '+'}${Math.abs(f.pokerAmount)}`, f.x + 8, f.y - 10);
  }
  if (selected) {
    g.strokeStyle = '#ffffff';
    g.lineWidth = 1.5;
    g.beginPath();
    g.arc(f.x, f.y, length * 0.8, 0, Math.PI * 2);
    g.stroke();
  }
}

export function drawScene(g: CanvasRenderingContext2D, scene: Scene): void {
  const { width: w, height: h } = g.canvas;
  drawWater(g, w, h, daylight(scene.dayPhase));
  for (const p of scene.plants) drawPlant(g, p, h);
  for (const f of scene.food) drawFood(g, f);
  drawCrab(g, scene.crab);
  for (const f of scene.fish) drawFish(g, f, f.id === scene.selected);
}
