/**
 * @module
 * Tuning constants of the simulation, taken from the original Python Tank World this project
 * ports, unless a comment says why they differ.
 */

/** Ticks per simulated second: one `step` is one tick. */
export const TICKS_PER_SECOND = 30;

/** Default tank size in pixels (origin top-left, y grows downward). */
export const DEFAULT_WIDTH = 1088;
export const DEFAULT_HEIGHT = 612;

/** One day/night cycle in frames (60 s). */
export const DAY_LENGTH = 1800;

/** Life stages by age in frames: baby < 300, juvenile < 900, adult < 3600, elder after. */
export const BABY_END = 300;
export const JUVENILE_END = 900;
export const ADULT_END = 3600;
/** Lifespan = LIFESPAN_BASE × genome.maxEnergy frames (3780–8100). */
export const LIFESPAN_BASE = 5400;
/** Max energy = ENERGY_BASE × genome.maxEnergy. */
export const ENERGY_BASE = 100;

/** Base speed in px/frame, multiplied by genome.speed. */
export const BASE_SPEED = 4;
/** Steering inertia: velocity moves this fraction toward the target each frame. */
export const STEER = 0.2;
/** Fish stay this far below the surface. */
export const TOP_MARGIN = 20;
/** Half of a fish's collision box (the original used a fixed 50 × 50 box). */
export const FISH_HALF = 25;

/** Per-frame energy costs (see C.5). */
export const COST_EXISTENCE = 0.02;
export const COST_METABOLISM = 0.025;
export const COST_MOVEMENT = 0.015;
export const COST_TURN = 0.03;

/** Base food-detection range in px, scaled by genome.vision and the time of day. */
export const DETECTION_RANGE = 400;
/** Centre distance at which a fish reaches food and bites. */
export const EAT_RANGE = 30;
/** A bite is worth this × current size in energy. */
export const BITE = 20;
/** Fish with at least this share of their max energy do not look for food. */
export const SATED = 0.95;

/** Fish within this distance of each other are neighbours (grid cell size too). */
export const NEIGHBOUR_RANGE = 64;
/** Fish closer than this push each other apart. */
export const SEPARATION_RANGE = 30;
/** Fish closer than this are in contact and may play poker. */
export const CONTACT_RANGE = 50;
/** Fish closer than this may mate. */
export const MATING_RANGE = 60;

/** Reproduction (C.7). */
export const MATING_MIN_ENERGY = 25;
export const MATING_COST = 10;
export const MATING_COOLDOWN = 240;
export const PREGNANCY = 300;
export const BIRTH_SHARE = 0.3;
export const POKER_BIRTH_MIN_ENERGY = 40;
export const POKER_BIRTH_SHARE = 0.15;
export const POKER_BIRTH_COOLDOWN = 360;
/**
 * Asexual budding (the issue asks for it in place of the original's emergency spawn): an adult
 * at or above this energy share may bud, with a per-frame chance scaled by fertility, giving the
 * bud this share of its energy.
 */
export const BUD_MIN_RATIO = 0.9;
export const BUD_CHANCE = 0.004;
export const BUD_SHARE = 0.45;
export const BUD_COOLDOWN = 360;

/** Poker (C.9). */
export const POKER_MIN_ENERGY = 10;
export const POKER_COOLDOWN = 60;
export const POKER_EFFECT_FRAMES = 15;
export const POKER_MAX_BLIND = 5;
/** No player may risk more than this share of its energy in one hand. */
export const POKER_MAX_RISK = 0.4;

/** The crab (C.11). */
export const CRAB_HALF = 25;
export const CRAB_KILL_RANGE = 40;
export const CRAB_FOOD_RANGE = 100;
export const CRAB_HUNT_RANGE = 80;
export const CRAB_MEAL = 60;
export const CRAB_HUNT_COOLDOWN = 120;
export const CRAB_BASE_SPEED = 1.5;
export const CRAB_ENERGY_BASE = 150;
/** A fish starving within this many frames of touching the crab counts as predation. */
export const CRAB_SCARE_FRAMES = 150;
/** Fish steer away from the crab inside this range. */
export const CRAB_FLEE_RANGE = 110;

/** Food (C.2, C.6). */
export const MAX_FOOD = 160;
export const FLAKE_SINK = 0.01;
export const LIVE_SPEED = 1.8;
export const LIVE_FLEE_RANGE = 180;
/**
 * Live food never sinks, so uneaten items would pile up forever; they die after a minute
 * instead (the original relied on fish eating them).
 */
export const LIVE_LIFETIME = 1800;

/** Plants (C.10). */
export const ROOT_SPOTS = 25;
export const PLANT_BASE_ENERGY = 120;
export const PLANT_SPROUT_ENERGY = 10;
export const NECTAR_COOLDOWN = 600;
export const NECTAR_FIRST_COOLDOWN = 300;
/**
 * Making nectar costs the plant this much energy, so nectar follows growth, which follows
 * daylight: more nectar by day than by night (the original made it for free on a timer).
 */
export const NECTAR_COST = 30;
export const SPROUT_RANGE = 200;
export const SPROUT_PREFERRED_GAP = 50;
export const PLANT_HEIGHT = 65;
