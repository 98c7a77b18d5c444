/**
 * @module
 * The tank's backdrop, which carries no sim state: water whose colour follows the time of day,
 * light shafts by day, a sandy floor, rising bubbles, and a night tint drawn over everything.
 * Motion here follows the tank's own clock (its frame number), so a paused tank stands still.
 */

/** 0 at midnight, 1 at noon, from the sim's day phase (0 midnight … 0.5 noon … 1). */
export function daylight(phase: number): number {
  return 0.5 - 0.5 * Math.cos(phase * 2 * Math.PI);
}

export const SAND_HEIGHT = 22;

export function drawWater(g: CanvasRenderingContext2D, w: number, h: number, light: number): void {
  const water = g.createLinearGradient(0, 0, 0, h);
  water.addColorStop(0, `hsl(196, 75%, ${16 + 30 * light}%)`);
  water.addColorStop(0.55, `hsl(205, 72%, ${10 + 20 * light}%)`);
  water.addColorStop(1, `hsl(214, 75%, ${5 + 11 * light}%)`);
  g.fillStyle = water;
  g.fillRect(0, 0, w, h);
}

/** Slanted shafts of light from the surface, fading with the day. */
export function drawLightShafts(g: CanvasRenderingContext2D, w: number, h: number, light: number): void {
  if (light < 0.05) return;
  g.save();
  g.globalCompositeOperation = 'lighter';
  for (let i = 0; i < 5; i++) {
    const x = w * (0.12 + i * 0.2);
    const shaft = g.createLinearGradient(0, 0, 0, h * 0.85);
    shaft.addColorStop(0, `rgba(190, 235, 255, ${0.09 * light})`);
    shaft.addColorStop(1, 'rgba(190, 235, 255, 0)');
    g.fillStyle = shaft;
    g.beginPath();
    g.moveTo(x - 30, 0);
    g.lineTo(x + 40, 0);
    g.lineTo(x + 150, h * 0.85);
    g.lineTo(x + 40, h * 0.85);
    g.closePath();
    g.fill();
  }
  g.restore();
}

export function drawSand(g: CanvasRenderingContext2D, w: number, h: number, light: number): void {
  const top = h - SAND_HEIGHT;
  const sand = g.createLinearGradient(0, top, 0, h);
  sand.addColorStop(0, `hsl(38, 38%, ${20 + 26 * light}%)`);
  sand.addColorStop(1, `hsl(32, 32%, ${10 + 14 * light}%)`);
  g.fillStyle = sand;
  g.beginPath();
  g.moveTo(0, h);
  for (let x = 0; x <= w; x += 16) g.lineTo(x, top + 3 * Math.sin(x / 70) + 2 * Math.sin(x / 23));
  g.lineTo(w, h);
  g.closePath();
  g.fill();
  // Pebbles at fixed, hashed places so they do not move between frames.
  g.fillStyle = `hsla(30, 20%, ${30 + 20 * light}%, 0.8)`;
  for (let i = 0; i < 40; i++) {
    const x = (i * 283.7) % w;
    const y = top + 8 + ((i * 7.3) % (SAND_HEIGHT - 10));
    g.beginPath();
    g.ellipse(x, y, 2 + (i % 3), 1.5 + (i % 2), 0, 0, Math.PI * 2);
    g.fill();
  }
}

/** Three columns of bubbles rising forever; their height is a function of the tank's clock. */
export function drawBubbles(g: CanvasRenderingContext2D, w: number, h: number, time: number): void {
  g.strokeStyle = 'rgba(220, 245, 255, 0.45)';
  g.lineWidth = 1;
  for (const [column, origin] of [0.08, 0.57, 0.93].entries()) {
    for (let k = 0; k < 6; k++) {
      const progress = (time / 9000 + k / 6 + column * 0.37) % 1;
      const y = h - SAND_HEIGHT - progress * (h - SAND_HEIGHT);
      const x = w * origin + 6 * Math.sin(progress * 14 + k);
      g.beginPath();
      g.arc(x, y, 1.5 + 2.5 * progress, 0, Math.PI * 2);
      g.stroke();
    }
  }
}

/** The night: a blue-black veil over the scene, lightest at noon (where it is not drawn). */
export function drawNightTint(g: CanvasRenderingContext2D, w: number, h: number, light: number): void {
  const dark = 0.45 * (1 - light);
  if (dark < 0.01) return;
  g.fillStyle = `rgba(4, 8, 30, ${dark})`;
  g.fillRect(0, 0, w, h);
}
