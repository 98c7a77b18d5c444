/**
 * @module
 * Types for the two SPDX helpers the licence policy uses (plain CommonJS without typings).
 */
declare module 'spdx-correct' {
  /** The SPDX id a licence name most likely means, or null. */
  export default function spdxCorrect(name: string): string | null;
}
declare module 'spdx-satisfies' {
  /** True when the expression is satisfied by licences of the list; throws on an unreadable one. */
  export default function spdxSatisfies(expression: string, allowed: string[]): boolean;
}
declare module 'license-checker-rseidelsohn' {
  export interface ModuleInfo {
    licenses?: string | string[];
    path?: string;
  }
  export function init(
    options: { start: string; excludePrivatePackages?: boolean },
    callback: (err: Error | null, packages: Record<string, ModuleInfo>) => void,
  ): void;
}
