import { describe, expect, it } from 'vitest';
import { hasLevel, isPermissionLevel, type PermissionLevel } from '../../src/auth/index.ts';

describe('permission levels', () => {
  const table: Array<[PermissionLevel | undefined, PermissionLevel, boolean]> = [
    ['read', 'read', true],
    ['read', 'write', false],
    ['read', 'admin', false],
    ['write', 'read', true],
    ['write', 'write', true],
    ['write', 'admin', false],
    ['admin', 'read', true],
    ['admin', 'write', true],
    ['admin', 'admin', true],
    [undefined, 'read', false],
    [undefined, 'admin', false],
  ];

  it.each(table)('should answer hasLevel(%s, %s) with %s', (granted, needed, expected) => {
    expect(hasLevel(granted, needed)).toBe(expected);
  });

  it('should recognise level names and nothing else', () => {
    expect(['read', 'write', 'admin'].every(isPermissionLevel)).toBe(true);
    expect([undefined, null, 1, 'owner', 'toString', 'READ'].some(isPermissionLevel)).toBe(false);
  });
});
